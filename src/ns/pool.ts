// Main-thread side of the namespace workers. One long-lived "hopper" worker
// serves every namespace in turn: it enters a namespace, opens netlink
// sockets there, returns home and proves it, and hands back plain fds that the
// main thread then drives directly. One hopper beats a worker per namespace:
// a Node worker costs ~25–35 ms and ~8.5 MiB to start, a hop with one socket
// ~0.25 ms, and a second hopper barely speeds up bulk work (bench/ffi/ns.ts).
// The main thread never calls setns; a worker that cannot prove where it is
// gets terminated and is never reused.
//
// ffi-rs must be loaded on the main thread BEFORE any worker loads it: if a
// worker is the first to load it, the process segfaults when that worker
// exits. The import below loads it here, on the main thread, as soon as this
// module is imported; a worker (spawn.ts) loads it only when told go, which
// only this module does, so only after that. (So use this module from the
// main thread.)
import '../sys/index.js';

import { fstatSync, readdirSync, unlinkSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { closeFd, MNT_DETACH, umount2 } from '../sys/index.js';
import { ffiBindingPath } from '../sys/binding-path.js';
import { NetnsError, namedNetnsPath, NETNS_RUN_DIR, resolveNetns } from './handle.js';
import type { NetnsErrorCode, NetnsRef } from './handle.js';
import { spawnWorker, takePrestarted, type SpawnedWorker } from './spawn.js';
import { sameNetns, type NamespaceTarget, type NsIdentity, type WorkerReady, type WorkerReply, type WorkerRequest } from './protocol.js';

const MAX_SOCKETS_PER_REQUEST = 1024;
const NETNS_CODES: ReadonlySet<string> = new Set<NetnsErrorCode>(['ENONETNS', 'ENOTNETNS', 'EBADNAME', 'EEXIST', 'ETHREAD']);

function checkCount(count: unknown, what: string): number {
  if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_SOCKETS_PER_REQUEST) {
    throw new RangeError(`${what} must be an integer from 0 to ${MAX_SOCKETS_PER_REQUEST}, got ${String(count)}`);
  }
  return count as number;
}

/** One worker thread and its single in-flight request. */
class Hopper {
  readonly #worker: Worker;
  readonly #ready: Promise<void>;
  #pending: { id: number; resolve: (reply: WorkerReply) => void; reject: (error: Error) => void } | null = null;
  #failure: Error | null = null;
  #homeFd = -1;

  /** `spawned`: a booting worker (spawn.ts), told go here: this module has loaded ffi-rs. */
  constructor(spawned: SpawnedWorker) {
    const mainNetns = spawned.home;
    this.#worker = spawned.worker;
    // Replies; the first message, `ready`, is spawned.ready's.
    this.#worker.on('message', (message: WorkerReply | WorkerReady) => {
      if (!('ready' in message)) this.#settle(message);
    });
    spawned.go(ffiBindingPath());
    this.#ready = spawned.ready.then(
      (message) => {
        const home = message.home;
        this.#homeFd = message.homeFd;
        if (!sameNetns(home, mainNetns)) {
          // A thread that starts anywhere but the main thread's netns is unknown.
          this.#fail(new NetnsError('ETHREAD', 'namespace worker started outside the main thread netns'));
          throw this.#failure;
        }
      },
      async () => {
        // It failed or exited before it was ready; `ended` (already settled) says which.
        this.#stopped(await spawned.ended);
        throw this.#failure;
      },
    );
    void spawned.ended.then((how) => {
      this.#closeHomeFd(mainNetns);
      this.#stopped(how);
    });
    this.#ready.catch(() => {}); // reported through request()
  }

  get usable(): boolean {
    return this.#failure === null;
  }

  async request(request: WorkerRequest): Promise<WorkerReply> {
    if (this.#failure) throw this.#failure;
    this.#worker.ref();
    try {
      // Sent at once, even before the worker is ready (saves a round trip at
      // start): it answers once it is, and refuses all work if it did not
      // start in this thread's netns (hopper.ts).
      const reply = await new Promise<WorkerReply>((resolve, reject) => {
        this.#pending = { id: request.id, resolve, reject };
        this.#worker.postMessage(request);
      });
      // `ready` came before any reply: take none from a worker not seen to start at home.
      await this.#ready;
      return reply;
    } finally {
      this.#worker.unref();
    }
  }

  /** Never used again after this. */
  async terminate(): Promise<void> {
    this.#fail(new NetnsError('ETHREAD', 'namespace worker terminated'));
    await this.#worker.terminate();
  }

  // fds belong to the process, not the thread: the worker's home fd stays
  // open after it exits. Close it only if it still is that fd (something that
  // closed it behind our back may have let the number be reused).
  #closeHomeFd(home: NsIdentity): void {
    const fd = this.#homeFd;
    this.#homeFd = -1;
    if (fd < 0) return;
    try {
      const stat = fstatSync(fd);
      if (sameNetns(stat, home)) closeFd(fd);
    } catch {
      // already closed
    }
  }

  #settle(reply: WorkerReply): void {
    const pending = this.#pending;
    if (!pending || pending.id !== reply.id) return;
    this.#pending = null;
    pending.resolve(reply);
  }

  #stopped({ error, code }: { error?: Error; code?: number }): void {
    this.#fail(error
      ? new NetnsError('ETHREAD', `namespace worker failed: ${error.message}`, { cause: error })
      : new NetnsError('ETHREAD', `namespace worker exited (code ${code})`));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(this.#failure);
  }
}

export interface CreateNamedOptions {
  /** Netlink sockets to open inside the new namespace while creating it (saves a hop). */
  sockets?: number;
}

/**
 * Opens netlink sockets inside network namespaces and creates/deletes named
 * namespaces, without the calling (main) thread ever leaving its namespace.
 * Requests run one at a time, in call order. An idle instance does not keep
 * the process alive. The fds returned belong to the caller, who closes them.
 */
export class NamespaceThreads {
  #hopper: Hopper | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #nextId = 1;

  /** `count` bound NETLINK_ROUTE sockets living in the namespace `ref` names. */
  openSockets(ref: NetnsRef, count = 1): Promise<number[]> {
    return this.#enqueue(() => {
      checkCount(count, 'socket count');
      const ns = resolveNetns(ref);
      return this.#ask(ns.label, (id) => ({ id, op: 'openSockets', path: ns.path, fd: ns.fd, label: ns.label, expect: { dev: ns.dev, ino: ns.ino }, count }));
    });
  }

  /**
   * `count` sockets in each namespace of `refs`, all in one worker request
   * (one round trip instead of one per namespace): per ref, its fds, or the
   * error openSockets would have thrown for it alone. A failure of the worker
   * itself rejects the whole call.
   */
  openSocketsEach(refs: NetnsRef[], count = 1): Promise<(number[] | Error)[]> {
    return this.#enqueue(async () => {
      checkCount(count, 'socket count');
      const out: (number[] | Error)[] = new Array(refs.length);
      const targets: NamespaceTarget[] = [];
      const at: number[] = [];
      for (const [i, ref] of refs.entries()) {
        try {
          const ns = resolveNetns(ref);
          targets.push({ path: ns.path, fd: ns.fd, label: ns.label, expect: { dev: ns.dev, ino: ns.ino } });
          at.push(i);
        } catch (error) {
          out[i] = error as Error;
        }
      }
      if (!targets.length) return out;
      const reply = await this.#askReply(`${targets.length} namespaces`, (id) => ({ id, op: 'openSocketsEach', targets, count }));
      const each = reply.each ?? [];
      for (const [j, i] of at.entries()) {
        const r = each[j];
        out[i] = !r ? new NetnsError('ETHREAD', `${targets[j]!.label}: no answer from the namespace worker`) : r.ok ? r.fds : failureOf(targets[j]!.label, r);
      }
      return out;
    });
  }

  /**
   * Open files from inside the namespace `ref` (read-write), for files whose
   * meaning depends on the opener's namespace, like /proc/sys/net/... sysctls.
   * The caller reads and writes the returned fds from any thread.
   */
  openFiles(ref: NetnsRef, files: string[]): Promise<number[]> {
    return this.#enqueue(() => {
      const ns = resolveNetns(ref);
      return this.#ask(ns.label, (id) => ({ id, op: 'openSockets', path: ns.path, fd: ns.fd, label: ns.label, expect: { dev: ns.dev, ino: ns.ino }, count: 0, files }));
    });
  }

  /**
   * An unbound TCP socket made inside the namespace (socket(2) there), for
   * node:net to adopt: `server.listen({ fd })` listens in that namespace,
   * `new net.Socket({ fd }).connect(...)` connects from it. The fd is the
   * caller's; it is non-blocking and close-on-exec.
   */
  openTcpSocket(ref: NetnsRef): Promise<number> {
    return this.#enqueue(async () => {
      const ns = resolveNetns(ref);
      const fds = await this.#ask(ns.label, (id) => ({ id, op: 'openTcp', path: ns.path, fd: ns.fd, label: ns.label, expect: { dev: ns.dev, ino: ns.ino } }));
      return fds[0];
    });
  }

  /**
   * Like `ip netns add NAME`: a new, empty network namespace bound at
   * /run/netns/NAME. With `sockets: n`, also returns n netlink sockets opened
   * inside it. Fails with NetnsError EEXIST if the name is taken.
   */
  createNamed(name: string, options: CreateNamedOptions = {}): Promise<number[]> {
    return this.#enqueue(() => {
      const path = namedNetnsPath(name);
      const count = checkCount(options.sockets ?? 0, 'sockets');
      return this.#ask(`netns ${name}`, (id) => ({ id, op: 'createNamed', name, path, count }));
    });
  }

  /** Like `ip netns del NAME`: detach the bind mount and remove the file (no worker needed). */
  deleteNamed(name: string): Promise<void> {
    return this.#enqueue(async () => {
      const path = namedNetnsPath(name);
      try {
        umount2(path, MNT_DETACH);
      } catch {
        // as iproute2: an unmounted leftover file is still removed below
      }
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new NetnsError('ENONETNS', `netns ${name}: not found`, { cause: error });
        }
        throw new NetnsError('ESYSCALL', `netns ${name}: cannot remove ${path}: ${(error as Error).message}`, {
          cause: error,
          errnoCode: (error as NodeJS.ErrnoException).code,
        });
      }
    });
  }

  /** Like `ip netns list`: the names in /run/netns, sorted. */
  listNamed(): string[] {
    try {
      return readdirSync(NETNS_RUN_DIR).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Rejects requests not yet started, lets the running one finish, terminates the worker. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
    const hopper = this.#hopper;
    this.#hopper = null;
    await hopper?.terminate();
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => {
      if (this.#closed) throw new NetnsError('ECLOSED', 'NamespaceThreads is closed');
      return task();
    });
    this.#tail = run.catch(() => {});
    return run;
  }

  /**
   * Start the worker now rather than at the first request, so its start-up
   * (tens of ms) overlaps the caller's own work. A command line calls this
   * as soon as it knows it will need a namespace.
   */
  prestart(): void {
    if (!this.#closed) this.#hopperReady();
  }

  #hopperReady(): Hopper {
    let hopper = this.#hopper;
    if (!hopper || !hopper.usable) {
      // A worker prestarted by the command line (spawn.ts), else a new one.
      hopper = this.#hopper = new Hopper(takePrestarted() ?? spawnWorker());
    }
    return hopper;
  }

  async #ask(label: string, makeRequest: (id: number) => WorkerRequest): Promise<number[]> {
    return (await this.#askReply(label, makeRequest)).fds;
  }

  /** The worker's successful reply; a failed one as the error it means (a fatal one ends the worker). */
  async #askReply(label: string, makeRequest: (id: number) => WorkerRequest): Promise<Extract<WorkerReply, { ok: true }>> {
    const hopper = this.#hopperReady();
    let reply: WorkerReply;
    try {
      reply = await hopper.request(makeRequest(this.#nextId++));
    } catch (error) {
      this.#hopper = null;
      await hopper.terminate();
      throw error instanceof NetnsError ? error : new NetnsError('ETHREAD', `${label}: ${(error as Error).message}`, { cause: error });
    }
    if (reply.ok) return reply;
    if (reply.fatal) {
      this.#hopper = null;
      await hopper.terminate();
    }
    throw failureOf(label, reply);
  }
}

/** A failure the worker reported, as a NetnsError naming `label`. */
function failureOf(label: string, reply: { code: string; message: string }): NetnsError {
  if (NETNS_CODES.has(reply.code)) {
    const message = reply.message.startsWith(label) ? reply.message : `${label}: ${reply.message}`;
    return new NetnsError(reply.code as NetnsErrorCode, message);
  }
  return new NetnsError('ESYSCALL', `${label}: ${reply.message}`, { errnoCode: reply.code });
}

let shared: NamespaceThreads | null = null;

/** A process-wide NamespaceThreads, so separate callers share one worker. */
export function namespaceThreads(): NamespaceThreads {
  if (!shared || shared.closed) shared = new NamespaceThreads();
  return shared;
}
