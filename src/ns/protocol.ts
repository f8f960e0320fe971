// Messages between the pool (main thread) and a namespace worker. Small plain
// objects only: fds are plain numbers, valid in the whole process. Also the
// namespace identity both sides check.

import { statSync } from 'node:fs';

/** A namespace identity: device and inode of its nsfs file. */
export interface NsIdentity {
  dev: number;
  ino: number;
}

/** The calling thread's own netns file. */
export const THREAD_NETNS = '/proc/thread-self/ns/net';

/** The identity of the calling thread's netns. */
export function threadNetns(): NsIdentity {
  const stat = statSync(THREAD_NETNS);
  return { dev: stat.dev, ino: stat.ino };
}

export const sameNetns = (a: NsIdentity, b: NsIdentity): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * `fd`, when given, is a namespace file the main thread holds open (fds
 * belong to the process): the worker enters it as it is, and `path` only
 * names it.
 */
/** A namespace to enter for a request, as the main thread resolved it. */
export interface NamespaceTarget {
  path: string;
  fd?: number;
  label: string;
  expect: NsIdentity;
}

export type WorkerRequest =
  | { id: number; op: 'openSockets'; path: string; fd?: number; label: string; expect: NsIdentity; count: number; files?: string[] }
  | { id: number; op: 'openSocketsEach'; targets: NamespaceTarget[]; count: number }
  | { id: number; op: 'createNamed'; name: string; path: string; count: number }
  | { id: number; op: 'openTcp'; path: string; fd?: number; label: string; expect: NsIdentity };

/** One namespace's outcome in an openSocketsEach reply: its fds, or why it failed (as a failed reply says). */
export type EachResult = { ok: true; fds: number[] } | { ok: false; code: string; message: string };

export type WorkerReply =
  | { id: number; ok: true; fds: number[]; each?: EachResult[] }
  | {
      id: number;
      ok: false;
      /** The worker could not get back to (or prove) its home namespace: terminate it. */
      fatal: boolean;
      /** NetnsError code, or the errno name of a failed system call. */
      code: string;
      message: string;
    };

/**
 * Go: ffi-rs is loaded on the main thread, so the worker may load it now
 * (spawn.ts); before it, the worker only boots. Said twice: `gate[0]` set
 * to 1, then this message (which a worker that already went ignores).
 */
export interface WorkerGo {
  go: true;
}

/** The worker's workerData. */
export interface WorkerData {
  /**
   * Shared with the main thread: [0] is 1 once go was said; [1] is the byte
   * length of the path of the ffi-rs binary the main thread loaded, whose
   * UTF-8 bytes follow from byte 8 (written before [0], so read after it).
   */
  gate: Int32Array;
  /** The netns of the thread that started it: the worker refuses all work if it is not home there. */
  home: NsIdentity;
}

/** Sent once, after go: the worker's own (home) namespace, for the pool to check. */
export interface WorkerReady {
  ready: true;
  home: NsIdentity;
  /** The worker's fd to its home netns: the pool closes it once the worker has exited. */
  homeFd: number;
}

const GATE_PATH_BYTES = 4096;

/** A go gate with room for the ffi-rs binary's path (WorkerData.gate). */
export function newGate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8 + GATE_PATH_BYTES), 0, 2);
}

/** Main thread, before it says go: where it loaded ffi-rs from (too long a path is not handed over). */
export function writeGateBinding(gate: Int32Array, path: string | undefined): void {
  const bytes = path === undefined ? undefined : Buffer.from(path, 'utf8');
  if (!bytes || bytes.length > GATE_PATH_BYTES) return;
  bytes.copy(new Uint8Array(gate.buffer, 8, GATE_PATH_BYTES));
  Atomics.store(gate, 1, bytes.length);
}

/** Worker, once go was said: the path the main thread handed over, if any. */
export function readGateBinding(gate: Int32Array): string | undefined {
  const length = Atomics.load(gate, 1);
  return length > 0 ? Buffer.from(gate.buffer, 8, length).toString('utf8') : undefined;
}
