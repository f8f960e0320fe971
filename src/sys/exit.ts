// exitNow: end the process at once, worker threads and all.

import { rawLoad } from './ffi.js';
import { C, SYSCALLS } from './libc.js';

/**
 * End the process now with `code`, like process.exit but without Node's
 * teardown: after 'exit' listeners run, exit_group(2) ends every thread at
 * once, where process.exit would first stop each worker thread and wait for
 * it (~3-5 ms with the namespace worker alive). For a command line whose work
 * is done: nothing is left to flush, as Node writes stdout and stderr
 * synchronously on Linux (files, pipes and terminals). When Node runs with
 * flags (--cpu-prof, --inspect...) or NODE_V8_COVERAGE, whose files Node
 * writes during its teardown, it is plain process.exit.
 */
export function exitNow(code: number): never {
  if (!SYSCALLS || process.execArgv.length > 0 || process.env.NODE_V8_COVERAGE) process.exit(code);
  process.exitCode = code;
  process.emit('exit', code);
  const v = C.syscall.paramsValue;
  v[0] = SYSCALLS.exitGroup;
  v[1] = code;
  rawLoad(C.syscall);
  process.exit(code); // not reached
}

