// Endpoints: where one end of a link lives. A Docker container (through
// src/docker), a named netns, a PID, a namespace file, or the current
// namespace, resolved to a target the library can open and a label for
// messages ("container centos1", "netns pb-a").

import type { NetnsTarget } from '../api/sockets.js';
import { resolveNetns } from '../ns/index.js';
import type { EndpointNs } from '../rules/index.js';

export interface ResolvedEndpoint {
  target: NetnsTarget;
  label: string;
  /** Namespace identity (device:inode): two ends in one namespace share it. */
  identity: string;
  /** For containers: what was resolved, to check it is still the same container later. */
  container?: { name: string; id: string; pid: number };
}

export function describeEndpoint(ns: EndpointNs): string {
  switch (ns.type) {
    case 'docker': return `container ${ns.container}`;
    case 'netns': return `netns ${ns.name}`;
    case 'pid': return `pid ${ns.pid}`;
    case 'path': return `netns path ${ns.path}`;
    case 'current': return 'current netns';
  }
}

/** Resolve an endpoint; fails (DockerError / NetnsError) before anything is changed. */
export async function resolveEndpoint(ns: EndpointNs): Promise<ResolvedEndpoint> {
  const label = describeEndpoint(ns);
  let target: NetnsTarget;
  let container: ResolvedEndpoint['container'];
  switch (ns.type) {
    case 'docker': {
      const { resolveContainer } = await import('../docker/index.js');
      const c = await resolveContainer(ns.container);
      container = { name: c.name, id: c.id, pid: c.pid };
      target = { path: c.netnsPath };
      break;
    }
    case 'netns': target = { name: ns.name }; break;
    case 'pid': target = { pid: ns.pid }; break;
    case 'path': target = { path: ns.path }; break;
    case 'current': target = { current: true }; break;
  }
  const r = resolveNetns(typeof target === 'string' ? { name: target } : target);
  return { target, label, identity: `${r.dev}:${r.ino}`, container };
}

/** Is a container still running as the same process? (It may stop while we wire.) */
export async function containerStillThere(end: ResolvedEndpoint): Promise<boolean> {
  if (!end.container) return true;
  const { resolveContainer } = await import('../docker/index.js');
  try {
    const now = await resolveContainer(end.container.id);
    return now.pid === end.container.pid;
  } catch {
    return false;
  }
}
