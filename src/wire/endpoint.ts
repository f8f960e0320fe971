// Endpoints: where one end of a link lives. A Docker container (through
// src/docker), a named netns, a PID, a namespace file, or the current
// namespace, resolved ONCE to a pinned namespace (an open file, src/ns/pin.ts)
// and a label for messages ("container centos1", "netns pb-a"). Everything
// after resolving goes through the pin; drift() only checks that what the
// user named still leads there.

import { pinDrift, pinNetns, unpin, type NetnsRef, type PinnedNetns } from '../ns/index.js';
import type { EndpointNs } from '../rules/index.js';

export interface ResolvedEndpoint {
  /** The namespace, held open: sockets are opened in it, a peer is placed in it. */
  pin: PinnedNetns;
  /** The pin as a target for the library: `{ fd, label }`. */
  target: { fd: number; label: string };
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

/** Resolve and pin an endpoint; fails (DockerError / NetnsError) before anything is changed. Release it after. */
export async function resolveEndpoint(ns: EndpointNs): Promise<ResolvedEndpoint> {
  const label = describeEndpoint(ns);
  let ref: NetnsRef;
  let container: ResolvedEndpoint['container'];
  switch (ns.type) {
    case 'docker': {
      const { resolveContainer } = await import('../docker/index.js');
      const c = await resolveContainer(ns.container);
      container = { name: c.name, id: c.id, pid: c.pid };
      ref = { path: c.netnsPath };
      break;
    }
    case 'netns': ref = { name: ns.name }; break;
    case 'pid': ref = { pid: ns.pid }; break;
    case 'path': ref = { path: ns.path }; break;
    case 'current': ref = { current: true }; break;
  }
  const pin = pinNetns(ref, label);
  return { pin, target: pin.target, label, identity: `${pin.dev}:${pin.ino}`, container };
}

/** Close an endpoint's pin. */
export function releaseEndpoint(end: ResolvedEndpoint | undefined): void {
  unpin(end?.pin);
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

/** Why the name (path, pid) of an end no longer leads to its pinned namespace, if it does not. */
export function nameDrift(end: ResolvedEndpoint): string | undefined {
  const why = pinDrift(end.pin);
  return why && `${end.label} changed while it was being wired: it is ${why}`;
}

/**
 * What changed under the ends since they were resolved: a container stopped
 * (or is another process now), or a name that leads elsewhere. Undefined if
 * nothing did. `containers: false` skips the engine round trip.
 */
export async function drift(ends: ResolvedEndpoint[], opts: { containers?: boolean } = {}): Promise<string | undefined> {
  for (const e of ends) {
    if (opts.containers !== false && !(await containerStillThere(e))) return `${e.label} stopped while it was being wired`;
    const why = nameDrift(e);
    if (why) return why;
  }
  return undefined;
}
