// A machine-wide lock by name: one process (and one caller in it) at a time
// for work that must not interleave, like two applies of one lab, or two
// CNI ADDs for the two ends of one link. It is flock(2) on a file under
// /run/vethcon: the kernel drops it when the holder exits, however it exits.

import { closeSync, mkdirSync, openSync } from 'node:fs';
import { tryLockExclusive } from '../sys/index.js';

export const LOCK_DIR = '/run/vethcon/locks';
const POLL_MS = 5;

/** In this process, flock on two files of one path does not exclude: queue callers here first. */
const queues = new Map<string, Promise<void>>();

/**
 * Hold the lock `name` (letters, digits, . _ -) until release() is called.
 * Waits while another holds it; gives up after `timeoutMs` or on `signal`.
 */
export async function machineLock(name: string, opts: { timeoutMs?: number; signal?: AbortSignal; dir?: string } = {}): Promise<() => void> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`lock name ${JSON.stringify(name)} cannot be a file name`);
  const dir = opts.dir ?? LOCK_DIR;
  const path = `${dir}/${name}.lock`;
  const before = queues.get(path) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => { done = r; });
  const tail = before.then(() => mine);
  queues.set(path, tail);
  const releaseQueue = (): void => {
    done();
    if (queues.get(path) === tail) queues.delete(path);
  };
  try {
    await before;
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const fd = openSync(path, 'a', 0o644);
    const deadline = performance.now() + (opts.timeoutMs ?? 60_000);
    try {
      while (!tryLockExclusive(fd)) {
        if (opts.signal?.aborted) throw new Error(`stopped while waiting for the lock ${path}`);
        if (performance.now() > deadline) throw new Error(`another vethcon process has held the lock ${path} for over ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      closeSync(fd);
      releaseQueue();
    };
  } catch (e) {
    releaseQueue();
    throw e;
  }
}
