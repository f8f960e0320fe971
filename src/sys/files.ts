// Files and namespaces: open, close, setns, unshare, mount. setns and
// unshare change only the CALLING thread; only src/ns's workers call them.

import { invoke, check, prepare, STR, I32, I64 } from './ffi.js';
import { C } from './libc.js';
import { O_CLOEXEC, O_RDONLY } from './constants.js';

/** close(fd); throws SysError (EBADF for a bad fd). */
export function closeFd(fd: number): void {
  C.close.paramsValue[0] = fd;
  check('close', invoke(C.close));
}

/** open(path, flags) → fd, on the calling thread (so /proc/thread-self means this thread). */
export function openPath(path: string, flags = O_RDONLY | O_CLOEXEC): number {
  const v = C.open.paramsValue;
  v[0] = path;
  v[1] = flags;
  v[2] = 0;
  return check('open', invoke(C.open), path);
}

/** setns(fd, nstype): moves the CALLING THREAD into the namespace fd refers to. */
export function setns(fd: number, nstype: number): void {
  const v = C.setns.paramsValue;
  v[0] = fd;
  v[1] = nstype;
  check('setns', invoke(C.setns));
}

/** unshare(flags): for CLONE_NEWNET, gives the CALLING THREAD a new network namespace. */
export function unshare(flags: number): void {
  C.unshare.paramsValue[0] = flags;
  check('unshare', invoke(C.unshare));
}

/** mount(2); a null fstype or data passes NULL. Like `mount --bind` / `--make-shared`, by flags. */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  // Cold path: a fresh params object per call, NULL slots typed as 64-bit 0.
  const call = prepare('mount', I32, [STR, STR, fstype === null ? I64 : STR, I64, data === null ? I64 : STR]);
  call.paramsValue = [source, target, fstype ?? 0, flags, data ?? 0];
  check('mount', invoke(call), target);
}

/** umount2(target, flags), like `umount -l` with MNT_DETACH. */
export function umount2(target: string, flags: number): void {
  const v = C.umount2.paramsValue;
  v[0] = target;
  v[1] = flags;
  check('umount2', invoke(C.umount2), target);
}

/** close(2), ignoring a failure: for cleanup after an error, whose cause is the one to report. */
export function closeQuietly(fd: number): void {
  try {
    closeFd(fd);
  } catch {
    // already failing; the first error is the one to report
  }
}

/** CLONE_NEW* flag of each namespace kind, as ioctl(NS_GET_NSTYPE) answers, by the name /proc/PID/ns gives it. */
const NS_TYPES: Record<number, string> = {
  0x00020000: 'mnt', 0x04000000: 'uts', 0x08000000: 'ipc', 0x10000000: 'user', 0x20000000: 'pid', 0x40000000: 'net', 0x02000000: 'cgroup', 0x00000080: 'time',
};
const NS_GET_NSTYPE = 0xb703;

/**
 * The kind of namespace open at `fd` ('net', 'mnt', ...), from the kernel
 * (ioctl NS_GET_NSTYPE, one system call); undefined for a file that is not
 * a namespace or a kernel that cannot say.
 */
export function namespaceType(fd: number): string | undefined {
  const v = C.ioctl.paramsValue;
  v[0] = fd;
  v[1] = NS_GET_NSTYPE;
  v[2] = 0;
  const r = invoke(C.ioctl);
  return r < 0 ? undefined : NS_TYPES[r] ?? `type ${r}`;
}
