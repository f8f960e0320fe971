// The C functions the system layer calls, each prepared once, and the
// addresses of the Buffers passed to them on the hot path.

import { isMainThread } from 'node:worker_threads';
import { prepare, rawLoad, bytes, STR, I32, I64, U64, type Call } from './ffi.js';
import { O_CLOEXEC, O_RDONLY } from './constants.js';

/** The syscall numbers exitNow needs, where we know them. */
export const SYSCALLS = process.arch === 'x64' ? { getpid: 39, exitGroup: 231 }
  : process.arch === 'arm64' ? { getpid: 172, exitGroup: 94 }
  : null;

export const C = {
  socket: prepare('socket', I32, [I32, I32, I32]),
  setsockopt: prepare('setsockopt', I32, [I32, I32, I32, bytes(), I32]),
  bind: prepare('bind', I32, [I32, bytes(), I32]),
  getsockname: prepare('getsockname', I32, [I32, bytes(), bytes()]),
  // ioctl is variadic; (fd, request, 0) passes a harmless zero third argument.
  ioctl: prepare('ioctl', I32, [I32, U64, U64]),
  sendAddr: prepare('send', I32, [I32, U64, I32, I32]),
  // Without errno (~1 µs cheaper): sendBytes asks again with errno only after a -1.
  sendAddrQuick: prepare('send', I32, [I32, U64, I32, I32], false),
  // recvmmsg(fd, msgvec, vlen, flags, timeout = NULL)
  recvmmsg: prepare('recvmmsg', I32, [I32, U64, I32, I32, U64]),
  sendBytes: prepare('send', I32, [I32, bytes(), I32, I32]),
  recvAddr: prepare('recv', I32, [I32, U64, I32, I32]),
  recvBytes: prepare('recv', I32, [I32, bytes(), I32, I32]),
  close: prepare('close', I32, [I32]),
  // fcntl is variadic; (fd, cmd, int) is how F_GETFL / F_SETFL take it.
  fcntl: prepare('fcntl', I32, [I32, I32, I32]),
  open: prepare('open', I32, [STR, I32, I32]),
  setns: prepare('setns', I32, [I32, I32]),
  unshare: prepare('unshare', I32, [I32]),
  mount: prepare('mount', I32, [STR, STR, I64, I64, I64]), // warm-up only; see mount()
  umount2: prepare('umount2', I32, [STR, I32]),
  flock: prepare('flock', I32, [I32, I32]),
  // syscall(number, arg): exit_group for exitNow, warmed with getpid.
  syscall: prepare('syscall', I64, [I64, I64], false),
  // memcpy(p, p, 0) returns p: the cheapest way to learn a Buffer's address.
  addressOf: prepare('memcpy', U64, [bytes(), bytes(), I32], false),
};

// ffi-rs caches symbols in a process-wide map that is not locked. Calling every
// function once here (harmlessly failing: bad fd, empty path) fills that map on
// the first thread that loads this module, so worker threads only ever read it.
// That is the main thread (see Loading above); a worker skips it (~0.4 ms of
// its start), as it would only read what is there.
function warmSymbols(): void {
  const a = Buffer.alloc(16);
  const calls: Array<[Call, unknown[]]> = [
    [C.socket, [-1, 0, 0]],
    [C.setsockopt, [-1, 0, 0, a, 4]],
    [C.bind, [-1, a, 12]],
    [C.getsockname, [-1, a, a]],
    [C.ioctl, [-1, 0, 0]],
    [C.sendAddr, [-1, 0, 0, 0]],
    [C.recvAddr, [-1, 0, 0, 0]],
    [C.sendAddrQuick, [-1, 0, 0, 0]],
    [C.recvmmsg, [-1, 0, 0, 0, 0]],
    [C.close, [-1]],
    [C.fcntl, [-1, 0, 0]],
    [C.open, ['', O_RDONLY | O_CLOEXEC, 0]],
    [C.setns, [-1, 0]],
    [C.mount, ['', '', 0, 0, 0]],
    [C.umount2, ['', 0]],
    [C.flock, [-1, 0]],
    ...(SYSCALLS ? [[C.syscall, [SYSCALLS.getpid, 0]] as [Call, unknown[]]] : []),
    [C.addressOf, [a, a, 0]],
  ];
  for (const [call, values] of calls) {
    call.paramsValue.splice(0, values.length, ...values);
    rawLoad(call);
  }
  // unshare has no harmless failing argument; unshare(0) is a no-op.
  C.unshare.paramsValue[0] = 0;
  rawLoad(C.unshare);
}
if (isMainThread) warmSymbols();

// ---------------------------------------------------------------- buffer addresses

// Base address of each ArrayBuffer's memory, learned with one extra native call
// on its second use (-1 marks "seen once": one-shot Buffers never pay for it).
// Safe because V8 never moves an ArrayBuffer's backing store once it exists
// (reading `buf.buffer` first moves a small on-heap Uint8Array off-heap for
// good), and a detached ArrayBuffer's views report length 0, so the cached
// address is never used for more than the current length.
const bases = new WeakMap<ArrayBufferLike, number>();

export function addressOf(buf: Uint8Array): number {
  if (buf.length === 0) return 0;
  const arrayBuffer = buf.buffer;
  const base = bases.get(arrayBuffer);
  if (base === undefined) {
    bases.set(arrayBuffer, -1);
    return 0;
  }
  if (base >= 0) return base + buf.byteOffset;
  const values = C.addressOf.paramsValue;
  values[0] = buf;
  values[1] = buf;
  values[2] = 0;
  const address = rawLoad(C.addressOf) as number;
  values[0] = values[1] = null;
  if (!address) return 0;
  bases.set(arrayBuffer, address - buf.byteOffset);
  return address;
}
