// SysError: a failed system call, named as strace would name it.
// FfiLoadError: ffi-rs or its native binary cannot be loaded (what is missing, what to do).

import { errnoName, errnoText } from '../netlink/errno.js';

/** A failed system call: `setns: Operation not permitted (EPERM)`. */
export class SysError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    const what = detail ? `${syscall} ${detail}` : syscall;
    super(`${what}: ${errnoText(errno)} (${code})`);
    this.name = 'SysError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/** ffi-rs cannot be loaded (its native binary missing, or none for this platform); the message says what to do. */
export class FfiLoadError extends Error {
  readonly code = 'ENOFFI';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FfiLoadError';
  }
}
