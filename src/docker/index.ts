// Container engine access (dockerode). Nothing else in src/ may talk to Docker.
export { DockerError, resolveContainer } from './container.js';
export type { DockerErrorCode, ResolveContainerOptions, ResolvedContainer } from './container.js';
export { runningContainers, type RunningContainers } from './list.js';
