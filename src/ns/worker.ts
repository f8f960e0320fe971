// A namespace worker thread's entry (started by spawn.ts). It boots without
// ffi-rs and loads it (through hopper.ts) only on go: the main thread must
// load ffi-rs first (src/sys/ffi.ts), and says go only once it has
// (pool.ts). Tiny on purpose: the worker boots while the main thread loads
// everything else, and usually finds go already said.

import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { setFfiBindingPath } from '../sys/binding-path.js';
import { readGateBinding, type WorkerData } from './protocol.js';

// Started with stderr: true (spawn.ts), so nothing pipes this thread's stderr
// to the process's: what it prints (a Node warning, say) goes to fd 2 here.
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  try {
    writeSync(2, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  } catch { /* stderr is gone: nowhere left to say so */ }
  (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
  return true;
}) as typeof process.stderr.write;

const port = parentPort;
if (!port) throw new Error('src/ns/worker.js must run as a worker thread');
const gate = (workerData as WorkerData | undefined)?.gate;

let started = false;
const start = (): void => {
  if (started) return;
  started = true;
  // ffi-rs from the file the main thread loaded: no package resolution here.
  if (gate) setFfiBindingPath(readGateBinding(gate));
  // A failure to load rejects here, unhandled: the worker fails and the pool reports it.
  void import('./hopper.js').then((hopper) => hopper.serve(port));
};
if (gate && Atomics.load(gate, 0) === 1) start();
else port.once('message', start);
