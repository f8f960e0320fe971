// Starting a namespace worker thread. Nothing here loads ffi-rs, so a
// command line can start the worker first thing (it takes ~25–35 ms to boot)
// and load everything else meanwhile. The worker boots, then waits for "go"
// before it loads ffi-rs; only pool.ts says go, and pool.ts loads ffi-rs on
// the main thread before it can (see the header of src/sys/ffi.ts for
// why the main thread must load it first). Go is a flag in shared memory,
// which a worker that boots later than that reads at once, and a message,
// which wakes one that was waiting. Beside the flag, the main thread leaves
// the path of the ffi-rs binary it loaded, so the worker skips resolving it.

import { Worker } from 'node:worker_threads';
import { newGate, threadNetns, writeGateBinding, type NsIdentity, type WorkerData, type WorkerGo, type WorkerReady } from './protocol.js';

export interface SpawnedWorker {
  readonly worker: Worker;
  /** The netns of the thread that started it, where it must say it is (ready.home). */
  readonly home: NsIdentity;
  /** Let it load ffi-rs (from `binding`, the file this thread loaded): call only once this thread has loaded it. */
  go(binding?: string): void;
  /** The worker's first message, sent once it has loaded ffi-rs (after go). */
  readonly ready: Promise<WorkerReady>;
  /** Settles, never rejects, when the worker fails or exits, saying how. */
  readonly ended: Promise<{ error?: Error; code?: number }>;
}

// The ESM worker for the library; the one-file build (dist/vethcon.cjs) points
// it at its own CommonJS worker, which boots ~20 ms sooner (scripts/bundle.mjs).
let workerScript: URL = new URL('./worker.js', import.meta.url);

/** Where new workers' code is. */
export function setWorkerScript(script: URL): void {
  workerScript = script;
}

/** A new worker, booting; it does nothing until told go (pool.ts). */
export function spawnWorker(): SpawnedWorker {
  const gate = newGate();
  const home = threadNetns();
  // execArgv [], not the parent's: flags like `--input-type` (node -e) make
  // a worker fail to start, and the worker needs no loader or flags.
  // stdout and stderr: true, so the constructor does not set up this
  // thread's process.stdout and process.stderr (on a terminal ~1.7 ms, before
  // the thread even starts) to pipe the worker's into. The worker never writes
  // to stdout, and writes its stderr to fd 2 itself (worker.ts).
  const worker = new Worker(workerScript, { execArgv: [], stdout: true, stderr: true, workerData: { gate, home } satisfies WorkerData });
  worker.unref(); // ref'd only while a request waits on it
  // Listeners go on at once: an event before anyone asks must not be lost.
  let stopped!: (how: { error?: Error; code?: number }) => void;
  const ended = new Promise<{ error?: Error; code?: number }>((resolve) => (stopped = resolve));
  const ready = new Promise<WorkerReady>((resolve, reject) => {
    worker.once('message', resolve);
    worker.on('error', (error) => {
      stopped({ error });
      reject(error);
    });
    worker.on('exit', (code) => {
      stopped({ code });
      reject(new Error(`exited (code ${code})`));
    });
  });
  ready.catch(() => {}); // reported through `ended` and the pool's requests
  const go = (binding?: string): void => {
    writeGateBinding(gate, binding);
    Atomics.store(gate, 0, 1);
    worker.postMessage({ go: true } satisfies WorkerGo);
  };
  return { worker, home, go, ready, ended };
}

let prestarted: SpawnedWorker | null = null;

/**
 * Start a worker now, for the next NamespaceThreads of this thread to take
 * (before this thread has loaded ffi-rs, even). A command line calls this as
 * soon as it knows it will need a namespace.
 */
export function prestartWorker(): void {
  prestarted ??= spawnWorker();
}

/** The prestarted worker, if any (once). */
export function takePrestarted(): SpawnedWorker | null {
  const spawned = prestarted;
  prestarted = null;
  return spawned;
}
