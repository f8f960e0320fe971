// The body of a namespace worker thread ("hopper"), loaded by worker.ts once
// the main thread says go (it loads ffi-rs). setns(CLONE_NEWNET) and
// unshare(CLONE_NEWNET) change only the calling thread, so this thread does
// them and the main thread never does. For each request it enters a
// namespace, opens netlink sockets (or one TCP socket, openTcp) there (a
// socket stays in the namespace it was created in, and its fd is usable by the
// whole process), goes back to its home namespace and PROVES it is home
// (dev/ino of /proc/thread-self/ns/net) before replying. If it cannot, it
// says so (fatal) and refuses all further work; the pool terminates it.
//
// Only synchronous calls here: node:fs sync calls run on this thread, while
// async ones would run on libuv's shared pool in some other namespace.

import { closeSync, constants, fstatSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { workerData, type MessagePort } from 'node:worker_threads';
import * as sys from '../sys/index.js';
import { NETNS_RUN_DIR, NetnsError } from './handle.js';
import { sameNetns, threadNetns, THREAD_NETNS, type EachResult, type NamespaceTarget, type NsIdentity, type WorkerData, type WorkerGo, type WorkerReady, type WorkerReply, type WorkerRequest } from './protocol.js';

const O_RDWR = 2;

class FatalError extends Error {}

// Opened before any hop, so "home" always means the namespace we started in.
// Never closed here: fds outlive a terminated thread, so the pool closes it.
const homeFd = sys.openPath(THREAD_NETNS);
const home = threadNetns();
// Set once this thread's namespace is unknown; nothing runs on it after that.
// A thread that starts anywhere but where its starter lives is unknown too
// (the pool may send requests before it has seen `ready`, see pool.ts).
const starter = (workerData as Partial<WorkerData> | undefined)?.home;
let poisoned = starter !== undefined && !sameNetns(home, starter);

function returnHomeAndVerify(): boolean {
  try {
    // Still home if entering failed: no setns then, which would need the very
    // privilege (CAP_SYS_ADMIN) whose lack may be why entering failed.
    if (sameNetns(threadNetns(), home)) return true;
    sys.setns(homeFd, sys.CLONE_NEWNET);
    return sameNetns(threadNetns(), home);
  } catch {
    return false;
  }
}

/**
 * Runs enter() then work() away from home, then always goes home and checks.
 * On any failure closes the sockets work() opened and runs undo().
 */
function awayFromHome(enter: () => void, work: (fds: number[]) => void, undo: () => void): number[] {
  const fds: number[] = [];
  let failure: unknown = null;
  try {
    enter();
    work(fds);
  } catch (error) {
    failure = error;
  }
  const isHome = returnHomeAndVerify();
  if (failure !== null || !isHome) {
    for (const fd of fds) sys.closeQuietly(fd);
    undo();
  }
  if (!isHome) {
    poisoned = true;
    throw new FatalError('namespace worker could not return to its home netns; it will be replaced');
  }
  if (failure !== null) throw failure;
  return fds;
}

function openSocketsIn(fds: number[], count: number): void {
  for (let i = 0; i < count; i++) fds.push(sys.openNetlinkSocket());
}

/**
 * Opens the namespace file (or takes the main thread's open one, `fd`),
 * enters it (checking it is still the namespace the main thread resolved),
 * runs work() there, and comes home (awayFromHome).
 */
function inNamespace(request: NamespaceTarget, work: (fds: number[]) => void): number[] {
  let nsFd: number;
  try {
    nsFd = request.fd ?? sys.openPath(request.path);
  } catch (error) {
    if (error instanceof sys.SysError && error.code === 'ENOENT') {
      throw new NetnsError('ENONETNS', `${request.label}: gone since it was resolved`, { cause: error });
    }
    throw error;
  }
  try {
    return awayFromHome(
      () => {
        // The name may have been re-pointed since the main thread resolved it.
        const stat = fstatSync(nsFd);
        if (!sameNetns(stat, request.expect)) {
          throw new NetnsError('ENONETNS', `${request.label}: changed since it was resolved`);
        }
        sys.setns(nsFd, sys.CLONE_NEWNET);
        if (!sameNetns(threadNetns(), request.expect)) {
          throw new NetnsError('ETHREAD', `${request.label}: setns did not enter it`);
        }
      },
      work,
      () => {},
    );
  } finally {
    // The main thread's fd stays open: it is its pin on the namespace.
    if (request.fd === undefined) sys.closeQuietly(nsFd);
  }
}

function openSockets(request: Extract<WorkerRequest, { op: 'openSockets' }>): number[] {
  return inNamespace(request, (fds) => {
    openSocketsIn(fds, request.count);
    // Files whose meaning depends on the opener's netns (/proc/sys/net/...), opened from inside it.
    // Through FFI, not node:fs: Node tracks fds a worker opens with fs and closes them when it exits.
    for (const file of request.files ?? []) fds.push(sys.openPath(file, O_RDWR | sys.O_CLOEXEC));
  });
}

/**
 * Sockets in many namespaces in one request (one message each way instead of
 * one per namespace): each namespace as openSockets does it, its failure its
 * own. A fatal failure (not home after a hop) ends the request: the sockets
 * already opened for it are closed, and the pool terminates this thread.
 */
function openSocketsEach(request: Extract<WorkerRequest, { op: 'openSocketsEach' }>): EachResult[] {
  const out: EachResult[] = [];
  try {
    for (const target of request.targets) {
      try {
        out.push({ ok: true, fds: inNamespace(target, (fds) => openSocketsIn(fds, request.count)) });
      } catch (error) {
        if (error instanceof FatalError) throw error;
        out.push({ ok: false, code: errorCode(error), message: (error as Error).message });
      }
    }
  } catch (error) {
    for (const r of out) if (r.ok) for (const fd of r.fds) sys.closeQuietly(fd);
    throw error;
  }
  return out;
}

/** One unbound TCP socket made inside the namespace, for node:net to adopt. */
function openTcp(request: Extract<WorkerRequest, { op: 'openTcp' }>): number[] {
  return inNamespace(request, (fds) => {
    fds.push(sys.openTcpSocket());
  });
}

/** Makes /run/netns a shared mount point, the way `ip netns add` does. */
function prepareRunDir(): void {
  mkdirSync(NETNS_RUN_DIR, { recursive: true, mode: 0o755 });
  let madeMountPoint = false;
  for (;;) {
    try {
      sys.mount('', NETNS_RUN_DIR, 'none', sys.MS_SHARED | sys.MS_REC, null);
      return;
    } catch (error) {
      // EINVAL: not a mount point yet; bind it onto itself once and retry.
      if (!(error instanceof sys.SysError) || error.code !== 'EINVAL' || madeMountPoint) throw error;
      sys.mount(NETNS_RUN_DIR, NETNS_RUN_DIR, 'none', sys.MS_BIND | sys.MS_REC, null);
      madeMountPoint = true;
    }
  }
}

function createNamed(request: Extract<WorkerRequest, { op: 'createNamed' }>): number[] {
  const { name, path } = request;
  prepareRunDir();
  try {
    closeSync(openSync(path, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL, 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new NetnsError('EEXIST', `netns ${name} already exists`, { cause: error });
    }
    throw error;
  }
  let mounted = false;
  return awayFromHome(
    () => sys.unshare(sys.CLONE_NEWNET),
    (fds) => {
      sys.mount(THREAD_NETNS, path, 'none', sys.MS_BIND, null);
      mounted = true;
      openSocketsIn(fds, request.count);
    },
    () => {
      try {
        if (mounted) sys.umount2(path, sys.MNT_DETACH);
        unlinkSync(path);
      } catch {
        // leave the first error as the one reported
      }
    },
  );
}

/** NetnsError code, errno name, or ETHREAD: what a failed reply says. */
function errorCode(error: unknown): string {
  return error instanceof NetnsError || error instanceof sys.SysError ? error.code
    : error instanceof FatalError ? 'ETHREAD'
    : ((error as NodeJS.ErrnoException).code ?? 'ETHREAD');
}

function handle(request: WorkerRequest): WorkerReply {
  try {
    if (poisoned) throw new FatalError('namespace worker is in an unknown namespace');
    if (request.op === 'openSocketsEach') return { id: request.id, ok: true, fds: [], each: openSocketsEach(request) };
    const fds =
      request.op === 'openSockets' ? openSockets(request)
      : request.op === 'openTcp' ? openTcp(request)
      : createNamed(request);
    return { id: request.id, ok: true, fds };
  } catch (error) {
    return { id: request.id, ok: false, fatal: poisoned, code: errorCode(error), message: (error as Error).message };
  }
}

// The build's code cache pass only (scripts/bundle.mjs): writes the one-file
// build's code cache of this worker's code once a first request has been
// handled (so it holds the functions a request compiles). Absent at run time:
// a run never writes a cache.
const CODE_CACHE = Symbol.for('vethcon.saveCodeCache');

/** Answer requests on `port`, after saying where home is. */
export function serve(port: MessagePort): void {
  port.on('message', (request: WorkerRequest | WorkerGo) => {
    if ('go' in request) return; // said already (worker.ts)
    const reply = handle(request);
    // Before the answer, not after: the command exits (exit_group) as soon as
    // it has what it needs, which would cut a save short and leave its file.
    const save = (globalThis as Record<symbol, unknown>)[CODE_CACHE];
    if (typeof save === 'function') {
      delete (globalThis as Record<symbol, unknown>)[CODE_CACHE];
      save();
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true, home, homeFd } satisfies WorkerReady);
}
