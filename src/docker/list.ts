// The running containers of the engine, with their init PIDs: for `vethcon
// gc`, which names a container's namespace by the container. Inspect only,
// like container.ts; no engine is not an error to the caller here, just an
// empty answer with the reason.

import type Docker from 'dockerode';
import type { ResolvedContainer } from './container.js';

export interface RunningContainers {
  containers: Omit<ResolvedContainer, 'netnsPath'>[];
  /** Why there are none to show, when no engine answered. */
  unavailable?: string;
}

/** Every running container and its init PID; `unavailable` says why none, if no engine answers within `timeoutMs`. */
export async function runningContainers(opts: { docker?: Docker; timeoutMs?: number } = {}): Promise<RunningContainers> {
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 3000);
  try {
    let docker = opts.docker;
    if (docker === undefined) {
      const { default: Dockerode } = await import('dockerode');
      docker = new Dockerode();
    }
    const list = await docker.listContainers({ abortSignal: signal } as Docker.ContainerListOptions);
    const containers: RunningContainers['containers'] = [];
    for (const c of list) {
      if (c.State !== 'running') continue;
      try {
        const info = await docker.getContainer(c.Id).inspect({ abortSignal: signal });
        const pid = info.State?.Pid ?? 0;
        if (info.State?.Running && pid > 0) containers.push({ id: info.Id, name: (info.Name ?? '').replace(/^\//, '') || c.Id.slice(0, 12), pid });
      } catch { /* gone meanwhile */ }
    }
    return { containers };
  } catch (error) {
    return { containers: [], unavailable: (error as Error).message };
  }
}
