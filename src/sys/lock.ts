// flock(2): an advisory lock on an open file, held until the file is closed
// (so a killed process never leaves one behind). Never blocks: LOCK_NB.

import { invoke, check } from './ffi.js';
import { C } from './libc.js';

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

/** Take an exclusive lock on `fd` if free: true; false if another open file holds it. */
export function tryLockExclusive(fd: number): boolean {
  const v = C.flock.paramsValue;
  v[0] = fd;
  v[1] = LOCK_EX | LOCK_NB;
  const r = invoke(C.flock);
  if (r === -EWOULDBLOCK) return false;
  check('flock', r);
  return true;
}
