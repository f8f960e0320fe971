// Network namespace handles: turn a user's reference (a name from
// `ip netns`, a PID, a path, "current", or an fd already open on a namespace)
// into a file path plus a stable identity (device + inode of the nsfs file),
// so one namespace gets one key however it was named. Pure node:fs; no FFI,
// no threads.

import { closeSync, fstatSync, openSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { netnsNameProblem, netnsTargetProblem, pathProblem, quote } from '../rules/problems.js';
import { namespaceType } from '../sys/index.js';

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

export type NetnsErrorCode = 'ENONETNS' | 'ENOTNETNS' | 'EBADNAME' | 'EEXIST' | 'ESYSCALL' | 'ETHREAD' | 'ECLOSED';

/**
 * A namespace that cannot be found, named or reached, or a file that is another
 * kind of namespace (ENOTNETNS); `code` says which.
 */
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
  if (why) throw new NetnsError('EBADNAME', `invalid netns name ${quote(name)}: ${why}`);
}

/** The path `ip netns add NAME` creates. */
export function namedNetnsPath(name: string): string {
  validateNetnsName(name);
  return `${NETNS_RUN_DIR}/${name}`;
}

let nsfsDev: number | undefined;

/** Kinds of namespace as /proc/self/fd/N names them (`mnt:[4026531841]`), for messages. */
const NS_KINDS: Record<string, string> = {
  mnt: 'mount', uts: 'UTS', ipc: 'IPC', pid: 'PID', pid_for_children: 'PID', user: 'user', cgroup: 'cgroup', time: 'time', time_for_children: 'time',
};

/** dev:ino of files seen to be network namespaces, so a name used call after call is checked once. */
const knownNet = new Set<string>();
const KNOWN_NET_MAX = 4096;

/**
 * What kind of namespace the file open at `fd` is: `net:[4026532247]`,
 * `mnt:[4026531841]`, ...; undefined if that cannot be told. /proc/self/fd/N
 * names it for a namespace file as /proc/PID/ns/* gives it; for one bind-mounted
 * elsewhere (ip netns add, Docker) it names the mount point instead, and the
 * mount's root (in /proc/self/mountinfo, found by the fd's mount id) names it.
 */
function namespaceKind(fd: number): string | undefined {
  // One ioctl where the kernel answers it (4.11 and later); the names otherwise.
  const type = namespaceType(fd);
  if (type !== undefined) return `${type}:[${fstatSync(fd).ino}]`;
  const link = readlinkSync(`/proc/self/fd/${fd}`);
  if (/^[a-z_]+:\[\d+\]$/.test(link)) return link;
  const mntId = /^mnt_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  if (mntId === undefined) return undefined;
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.startsWith(`${mntId} `));
  const root = line?.split(' ')[3];
  return root && /^[a-z_]+:\[\d+\]$/.test(root) ? root : undefined;
}

/**
 * Throws NetnsError ENOTNETNS if the namespace file at `path` (on nsfs) is
 * another kind of namespace, like /proc/PID/ns/mnt: setns would refuse it,
 * but only once the command is under way.
 */
function assertNetworkNamespace(path: string, label: string, key: string, open?: number): void {
  if (knownNet.has(key)) return;
  const fd = open ?? openSync(path, 'r');
  let kind: string | undefined;
  try {
    kind = namespaceKind(fd);
  } finally {
    if (open === undefined) closeSync(fd);
  }
  // Where the kind cannot be told, setns says it.
  if (kind !== undefined && !kind.startsWith('net:[')) {
    const name = NS_KINDS[kind.slice(0, kind.indexOf(':'))];
    throw new NetnsError('ENOTNETNS', `${label}: ${path} is ${name ? `a ${name} namespace` : 'another kind of namespace'} (${kind}), not a network namespace`);
  }
  if (kind === undefined) return;
  // An inode number is reused only once its namespace is gone; the set is a cache, kept small.
  if (knownNet.size >= KNOWN_NET_MAX) knownNet.clear();
  knownNet.add(key);
}

/**
 * `typed`: the file is known to be a network namespace (/proc/PID/ns/net);
 * otherwise (a name, a path, an fd) it is checked. `fd`: the file is open
 * already (a pinned namespace), and is stat'ed and checked as it is.
 */
function identity(path: string, label: string, missing: string, opts: { typed?: boolean; fd?: number } = {}): ResolvedNetns {
  const fd = opts.fd;
  try {
    const stat: Stats = fd === undefined ? statSync(path) : fstatSync(fd);
    // Every namespace file lives on the one nsfs device; anything else (say a
    // file left by an interrupted `ip netns add`) would make setns fail EINVAL.
    nsfsDev ??= statSync('/proc/self/ns/net').dev;
    if (stat.dev !== nsfsDev) {
      throw new NetnsError('ENONETNS', `${label}: ${path} is not a namespace file (not mounted?)`);
    }
    // Another kind of namespace (/proc/PID/ns/mnt) is on nsfs too; setns would refuse it, but later.
    if (!opts.typed) assertNetworkNamespace(path, label, `${stat.dev}:${stat.ino}`, fd);
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
  if (typeof ref !== 'object' || ref === null) throw new NetnsError('ENONETNS', `not a netns reference: ${netnsTargetProblem(ref)}`);
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
    return identity(`/proc/${ref.pid}/ns/net`, `pid ${ref.pid}`, 'no such process', { typed: true });
  }
  if ('path' in ref) {
    const why = pathProblem(ref.path);
    if (why) throw new NetnsError('ENONETNS', `netns path: ${why}`);
    return identity(ref.path, `netns path ${ref.path}`, 'no such file');
  }
  if ('fd' in ref) {
    if (!Number.isSafeInteger(ref.fd) || ref.fd < 0) throw new NetnsError('ENONETNS', `netns fd ${String(ref.fd)}: not a file descriptor`);
    // The fd itself is what the worker enters; the path names it for messages and reopening.
    return identity(`/proc/self/fd/${ref.fd}`, ref.label ?? `netns fd ${ref.fd}`, 'not open', { fd: ref.fd });
  }
  if ('current' in ref && ref.current === true) {
    // /proc/self is the thread-group leader: the main thread, which never switches.
    return identity('/proc/self/ns/net', 'current netns', 'no /proc/self/ns/net (is /proc mounted?)', { typed: true });
  }
  throw new NetnsError('ENONETNS', `not a netns reference: ${netnsTargetProblem(ref) ?? quote(ref)}`);
}
