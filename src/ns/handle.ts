// Network namespace handles: turn a user's reference (a name from
// `ip netns`, a PID, a path, "current", or an fd already open on a namespace)
// into a file path plus a stable identity (device + inode of the nsfs file),
// so one namespace gets one key however it was named. Pure node:fs; no FFI,
// no threads.

import { fstatSync, statSync, type Stats } from 'node:fs';
import { netnsNameProblem } from '../rules/problems.js';

/**
 * A network namespace as a user names it, or `{ fd }`: a namespace file open
 * in this process (a pinned one, pin.ts), which names one namespace for as
 * long as it stays open, whatever happens to names and processes.
 */
export type NetnsRef = { name: string } | { pid: number } | { path: string } | { current: true } | { fd: number; label?: string };

/** A resolved namespace: where to open it, and its identity (dev+ino). */
export interface ResolvedNetns {
  path: string;
  dev: number;
  ino: number;
  /** For messages: `netns pb-a`, `pid 1234`, `current netns`, `netns path /x`. */
  label: string;
  /** For `{ fd }`: the open file itself, entered as it is (never reopened by path). */
  fd?: number;
}

export type NetnsErrorCode = 'ENONETNS' | 'EBADNAME' | 'EEXIST' | 'ESYSCALL' | 'ETHREAD' | 'ECLOSED';

/** A namespace that cannot be found, named or reached; `code` says which. */
export class NetnsError extends Error {
  readonly code: NetnsErrorCode;
  /** For ESYSCALL: the failed call's errno name, e.g. 'EPERM'. */
  readonly errnoCode: string | undefined;
  constructor(code: NetnsErrorCode, message: string, options?: { cause?: unknown; errnoCode?: string }) {
    super(message, options);
    this.name = 'NetnsError';
    this.code = code;
    this.errnoCode = options?.errnoCode;
  }
}

/** Where `ip netns add` puts namespace files; /var/run/netns is the older spelling. */
export const NETNS_RUN_DIR = '/run/netns';
const NETNS_RUN_DIR_OLD = '/var/run/netns';

/**
 * Throws NetnsError EBADNAME unless `name` is one iproute2 accepts for
 * `ip netns add`: non-empty, no '/', not '.' or '..', at most 255 bytes.
 */
export function validateNetnsName(name: unknown): asserts name is string {
  const why = netnsNameProblem(name);
  if (why) throw new NetnsError('EBADNAME', `invalid netns name ${JSON.stringify(name)}: ${why}`);
}

/** The path `ip netns add NAME` creates. */
export function namedNetnsPath(name: string): string {
  validateNetnsName(name);
  return `${NETNS_RUN_DIR}/${name}`;
}

let nsfsDev: number | undefined;

function identity(path: string, label: string, missing: string, fd?: number): ResolvedNetns {
  try {
    const stat: Stats = fd === undefined ? statSync(path) : fstatSync(fd);
    // Every namespace file lives on the one nsfs device; anything else (say a
    // file left by an interrupted `ip netns add`) would make setns fail EINVAL.
    nsfsDev ??= statSync('/proc/self/ns/net').dev;
    if (stat.dev !== nsfsDev) {
      throw new NetnsError('ENONETNS', `${label}: ${path} is not a namespace file (not mounted?)`);
    }
    return fd === undefined ? { path, dev: stat.dev, ino: stat.ino, label } : { path, dev: stat.dev, ino: stat.ino, label, fd };
  } catch (error) {
    if (error instanceof NetnsError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR' || code === 'EBADF') {
      throw new NetnsError('ENONETNS', `${label}: ${missing}`, { cause: error });
    }
    throw new NetnsError('ESYSCALL', `${label}: cannot stat ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Resolves a reference to a namespace file and its identity (like the lookup
 * `ip -n NAME` or `ip netns exec` does). Throws NetnsError ENONETNS naming
 * what is missing.
 */
export function resolveNetns(ref: NetnsRef): ResolvedNetns {
  if ('name' in ref) {
    validateNetnsName(ref.name);
    const label = `netns ${ref.name}`;
    try {
      return identity(`${NETNS_RUN_DIR}/${ref.name}`, label, 'not found');
    } catch (error) {
      if (!(error instanceof NetnsError) || error.code !== 'ENONETNS') throw error;
      return identity(`${NETNS_RUN_DIR_OLD}/${ref.name}`, label, `not found in ${NETNS_RUN_DIR} (see \`ip netns list\`)`);
    }
  }
  if ('pid' in ref) {
    if (!Number.isSafeInteger(ref.pid) || ref.pid <= 0) {
      throw new NetnsError('ENONETNS', `pid ${String(ref.pid)}: not a process id`);
    }
    return identity(`/proc/${ref.pid}/ns/net`, `pid ${ref.pid}`, 'no such process');
  }
  if ('path' in ref) {
    if (typeof ref.path !== 'string' || ref.path.length === 0) {
      throw new NetnsError('ENONETNS', 'netns path: must be a non-empty string');
    }
    return identity(ref.path, `netns path ${ref.path}`, 'no such file');
  }
  if ('fd' in ref) {
    if (!Number.isSafeInteger(ref.fd) || ref.fd < 0) throw new NetnsError('ENONETNS', `netns fd ${String(ref.fd)}: not a file descriptor`);
    // The fd itself is what the worker enters; the path names it for messages and reopening.
    return identity(`/proc/self/fd/${ref.fd}`, ref.label ?? `netns fd ${ref.fd}`, 'not open', ref.fd);
  }
  if ('current' in ref && ref.current === true) {
    // /proc/self is the thread-group leader: the main thread, which never switches.
    return identity('/proc/self/ns/net', 'current netns', 'no /proc/self/ns/net (is /proc mounted?)');
  }
  throw new NetnsError('ENONETNS', `not a netns reference: ${JSON.stringify(ref)}`);
}
