// Container engine access (dockerode). Nothing else in src/ may talk to Docker.
export { DockerError, engineLimits, resolveContainer, setEngineLimits } from './container.js';
export type { DockerErrorCode, EngineLimits, ResolveContainerOptions, ResolvedContainer } from './container.js';
export { runningContainers, type RunningContainers } from './list.js';
export { followContainerStarts, type ContainerStart } from './events.js';
