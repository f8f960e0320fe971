// The only file in vethcon that imports ffi-rs: the few libc calls the netlink
// socket and the namespace workers need (socket, send/recv, setns, unshare,
// mount...), plus the few INET socket calls the demo's proof of traffic needs
// (a TCP listener and a TCP connection opened inside a namespace), and the
// command line's immediate exit (exitNow). Nothing in the pure codec imports
// this file.
//
// Loading: importing this module loads ffi-rs on the importing thread. ffi-rs
// must be loaded on the MAIN thread before any worker thread loads it, or the
// process segfaults when that worker exits; src/ns/pool.ts imports this module
// (on the main thread) before it starts a worker for exactly that reason.
//
// Speed (see bench/ffi/calls.ts): every call goes through ffi-rs's native
// `load()` with one prebuilt params object per function (only `paramsValue`
// changes), ~3x cheaper than `define()` wrappers. Buffers on the hot path are
// passed as their raw address (a U64), ~1.5 µs cheaper per call than a U8Array
// param; see addressOf() for why that is safe. The prebuilt binary is required
// directly (see loadBinding), which saves ~10 ms per thread that loads it.
//
// errno: calls that can fail use ffi-rs `errno: true`, which reads errno inside
// the same native call right after the C function returns. It costs ~1 µs per
// call (ffi-rs formats a message string), and there is no cheaper way that is
// correct: retrying a failed call to learn its errno would swallow a one-shot
// netlink ENOBUFS, and reading errno in a later call can see it overwritten.

import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import type { ArrayConstructorOptions, DataType, FFITypeTag, load as ffiLoad, open as ffiOpen } from 'ffi-rs';
import { formatIPv4, parseIPv4 } from './bytes.js';
import { EINTR, EMSGSIZE, EOPNOTSUPP, errnoName, errnoText, EPERM } from './errno.js';
import { ffiBindingPath, setFfiBindingPath } from './binding-path.js';

// ---------------------------------------------------------------- constants

export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_SHARED = 1 << 20;
export const MNT_DETACH = 2;

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const NETLINK_GET_STRICT_CHK = 12;
const SOCKET_BUFFER_BYTES = 1 << 20;
const SOCKADDR_NL_BYTES = 12; // sa_family u16, pad u16, nl_pid u32, nl_groups u32

export const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SO_REUSEADDR = 2;
const SO_ERROR = 4;
const POLLOUT = 0x4;
const POLLFD_BYTES = 8; // fd i32, events i16, revents i16
const EINPROGRESS = 115;
const ETIMEDOUT = 110;
const SIOCGSKNS = 0x894c; // linux/sockios.h: socket's netns as a new fd
const SOCKADDR_IN_BYTES = 16; // sin_family u16, sin_port u16 (big-endian), sin_addr 4 bytes, 8 zero bytes

// ---------------------------------------------------------------- errors

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

// ---------------------------------------------------------------- ffi plumbing

interface Binding {
  load: typeof ffiLoad;
  open: typeof ffiOpen;
}

// ffi-rs's index.js picks its platform package only after a musl check that
// builds a full process.report (~10 ms on every thread that loads it), and its
// load() wrapper re-maps paramsType on every call. Where we can name the
// prebuilt binary (same file index.js would load) we require it directly; on
// any failure we fall back to the documented entry point.
function loadBinding(): Binding {
  const given = ffiBindingPath(); // a worker: the file the main thread loaded
  if (given !== undefined) {
    try {
      const module = { exports: {} as Binding };
      process.dlopen(module, given);
      return module.exports;
    } catch {
      // moved or unreadable since: resolve it as the main thread did
    }
  }
  const require = createRequire(import.meta.url);
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    const requireFromFfiRs = createRequire(require.resolve('ffi-rs'));
    for (const libc of ['gnu', 'musl']) {
      try {
        const path = requireFromFfiRs.resolve(`@yuuang/ffi-rs-linux-${process.arch}-${libc}`);
        const loaded = requireFromFfiRs(path) as Binding;
        setFfiBindingPath(path);
        return loaded;
      } catch {
        // not installed, or not this libc: try the next
      }
    }
  }
  return require('ffi-rs') as Binding;
}

const binding = loadBinding();
const LIB = 'libc';
binding.open({ library: LIB, path: '' }); // '' = the running process, which has libc

type ParamType = DataType | ArrayConstructorOptions;
/** One prebuilt ffi-rs params object per C function; calls only mutate paramsValue. */
interface Call {
  library: string;
  funcName: string;
  retType: DataType;
  paramsType: ParamType[];
  paramsValue: unknown[];
  errno: boolean;
  freeResultMemory: boolean;
}
interface WithErrno {
  value: number;
  errnoCode: number;
}
// ffi-rs's typings cannot express a reused params object; the shapes above are
// exactly what its load() reads.
const rawLoad = binding.load as unknown as (call: Call) => unknown;

// ffi-rs DataType numbers (its public enum; local so no runtime import of index.js).
const STR = 0 as DataType.String;
const I32 = 1 as DataType.I32;
const I64 = 8 as DataType.I64;
const U8_ARRAY = 10 as DataType.U8Array;
const U64 = 12 as DataType.U64;
const ARRAY_TAG = 997 as unknown as FFITypeTag; // FFITypeTag.Array, as arrayConstructor() sets it
const bytes = (): ArrayConstructorOptions => ({ type: U8_ARRAY, length: 0, ffiTypeTag: ARRAY_TAG });

function prepare(funcName: string, retType: DataType, paramsType: ParamType[], errno = true): Call {
  return { library: LIB, funcName, retType, paramsType, paramsValue: new Array(paramsType.length), errno, freeResultMemory: false };
}

/** Calls a C function that returns -1 and sets errno on failure: returns the value, or -errno. */
function invoke(call: Call): number {
  const result = rawLoad(call) as WithErrno;
  if (result.value !== -1) return result.value;
  // errnoCode 0 with -1 has never been seen; keep the answer negative anyway.
  return -(result.errnoCode || 5 /* EIO */);
}

function check(syscall: string, result: number, detail?: string): number {
  if (result < 0) throw new SysError(syscall, -result, detail);
  return result;
}

/** The syscall numbers exitNow needs, where we know them. */
const SYSCALLS = process.arch === 'x64' ? { getpid: 39, exitGroup: 231 }
  : process.arch === 'arm64' ? { getpid: 172, exitGroup: 94 }
  : null;

const C = {
  socket: prepare('socket', I32, [I32, I32, I32]),
  setsockopt: prepare('setsockopt', I32, [I32, I32, I32, bytes(), I32]),
  bind: prepare('bind', I32, [I32, bytes(), I32]),
  getsockname: prepare('getsockname', I32, [I32, bytes(), bytes()]),
  getsockopt: prepare('getsockopt', I32, [I32, I32, I32, bytes(), bytes()]),
  listen: prepare('listen', I32, [I32, I32]),
  connect: prepare('connect', I32, [I32, bytes(), I32]),
  poll: prepare('poll', I32, [bytes(), U64, I32]), // nfds_t is unsigned long
  // ioctl is variadic; (fd, request, 0) passes a harmless zero third argument.
  ioctl: prepare('ioctl', I32, [I32, U64, U64]),
  sendAddr: prepare('send', I32, [I32, U64, I32, I32]),
  // Without errno (~1 µs cheaper): for the hot path, which asks again with errno only after a -1.
  sendAddrQuick: prepare('send', I32, [I32, U64, I32, I32], false),
  recvAddrQuick: prepare('recv', I32, [I32, U64, I32, I32], false),
  // recvmmsg(fd, msgvec, vlen, flags, timeout = NULL)
  recvmmsg: prepare('recvmmsg', I32, [I32, U64, I32, I32, U64]),
  sendBytes: prepare('send', I32, [I32, bytes(), I32, I32]),
  recvAddr: prepare('recv', I32, [I32, U64, I32, I32]),
  recvBytes: prepare('recv', I32, [I32, bytes(), I32, I32]),
  close: prepare('close', I32, [I32]),
  open: prepare('open', I32, [STR, I32, I32]),
  setns: prepare('setns', I32, [I32, I32]),
  unshare: prepare('unshare', I32, [I32]),
  mount: prepare('mount', I32, [STR, STR, I64, I64, I64]), // warm-up only; see mount()
  umount2: prepare('umount2', I32, [STR, I32]),
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
    [C.getsockopt, [-1, 0, 0, a, a]],
    [C.listen, [-1, 0]],
    [C.connect, [-1, a, SOCKADDR_IN_BYTES]],
    [C.poll, [a, 0, 0]], // no fds, no wait: returns 0 at once
    [C.ioctl, [-1, 0, 0]],
    [C.sendAddr, [-1, 0, 0, 0]],
    [C.recvAddr, [-1, 0, 0, 0]],
    [C.sendAddrQuick, [-1, 0, 0, 0]],
    [C.recvmmsg, [-1, 0, 0, 0, 0]],
    [C.recvAddrQuick, [-1, 0, 0, 0]],
    [C.close, [-1]],
    [C.open, ['', O_RDONLY | O_CLOEXEC, 0]],
    [C.setns, [-1, 0]],
    [C.mount, ['', '', 0, 0, 0]],
    [C.umount2, ['', 0]],
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
// Keeps the Buffer reachable while only its address is in the native call.
let pinned: Uint8Array | null = null;

function addressOf(buf: Uint8Array): number {
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

// ---------------------------------------------------------------- netlink sockets

const intBuffer = Buffer.alloc(4);

function setIntOption(fd: number, level: number, name: number, value: number): number {
  intBuffer.writeInt32LE(value, 0);
  const v = C.setsockopt.paramsValue;
  v[0] = fd;
  v[1] = level;
  v[2] = name;
  v[3] = intBuffer;
  v[4] = 4;
  return invoke(C.setsockopt);
}

/**
 * A bound netlink socket in the calling thread's network namespace, like the
 * one `ip` opens: socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, protocol) with
 * extended acks, strict checking, capped acks and 1 MiB buffers. Closes the fd
 * if any step fails.
 */
export function openNetlinkSocket(protocol = NETLINK_ROUTE): number {
  const s = C.socket.paramsValue;
  s[0] = AF_NETLINK;
  s[1] = SOCK_RAW | SOCK_CLOEXEC;
  s[2] = protocol;
  const fd = check('socket', invoke(C.socket), '(AF_NETLINK)');
  try {
    check('setsockopt', setIntOption(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1), 'NETLINK_EXT_ACK');
    check('setsockopt', setIntOption(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1), 'NETLINK_GET_STRICT_CHK');
    check('setsockopt', setIntOption(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1), 'NETLINK_CAP_ACK');
    // RCVBUFFORCE passes rmem_max but needs CAP_NET_ADMIN; fall back without it.
    const forced = setIntOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, SOCKET_BUFFER_BYTES);
    if (forced < 0) {
      if (-forced !== EPERM) check('setsockopt', forced, 'SO_RCVBUFFORCE');
      check('setsockopt', setIntOption(fd, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER_BYTES), 'SO_RCVBUF');
    }
    check('setsockopt', setIntOption(fd, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER_BYTES), 'SO_SNDBUF');
    const address = Buffer.alloc(SOCKADDR_NL_BYTES); // pid 0: the kernel assigns our port id
    address.writeUInt16LE(AF_NETLINK, 0);
    const b = C.bind.paramsValue;
    b[0] = fd;
    b[1] = address;
    b[2] = SOCKADDR_NL_BYTES;
    check('bind', invoke(C.bind), '(AF_NETLINK)');
    return fd;
  } catch (error) {
    closeFd(fd);
    throw error;
  }
}

/** getsockname(2) into a sockaddr buffer of `bytes` bytes. */
function socketName(fd: number, bytes: number): Buffer {
  const sockaddr = Buffer.alloc(bytes);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes, 0);
  const v = C.getsockname.paramsValue;
  v[0] = fd;
  v[1] = sockaddr;
  v[2] = length;
  check('getsockname', invoke(C.getsockname));
  v[1] = v[2] = null;
  return sockaddr;
}

/** The socket's netlink port id (nl_pid from getsockname), which the kernel puts in replies. */
export function socketPortId(fd: number): number {
  return socketName(fd, SOCKADDR_NL_BYTES).readUInt32LE(4);
}

/** send(fd, buf, length, 0): the number of bytes sent; throws SysError. */
export function sendBytes(fd: number, buf: Uint8Array, length: number): number {
  if (!(length >= 0 && length <= buf.length)) throw new RangeError(`sendBytes: length ${length} outside buffer of ${buf.length}`);
  const address = addressOf(buf);
  if (address) {
    // Fast try without errno. A netlink send that fails sends nothing, so
    // asking again (with errno) cannot send the message twice.
    const q = C.sendAddrQuick.paramsValue;
    q[0] = fd; q[1] = address; q[2] = length; q[3] = 0;
    pinned = buf;
    const sent = rawLoad(C.sendAddrQuick) as number;
    pinned = null;
    if (sent >= 0) return sent;
  }
  const call = address ? C.sendAddr : C.sendBytes;
  const v = call.paramsValue;
  v[0] = fd;
  v[1] = address || buf;
  v[2] = length;
  v[3] = 0;
  pinned = buf;
  const result = invoke(call);
  pinned = v[1] = null;
  return check('send', result);
}

/**
 * recv(fd, buf, buf.length, flags): bytes received (with MSG_TRUNC, the
 * datagram's full size), or the NEGATIVE errno (no throw) so callers handle
 * EAGAIN, EINTR and ENOBUFS without an exception.
 */
export function recvBytes(fd: number, buf: Uint8Array, flags: number): number {
  const address = addressOf(buf);
  const call = address ? C.recvAddr : C.recvBytes;
  const v = call.paramsValue;
  v[0] = fd;
  v[1] = address || buf;
  v[2] = buf.length;
  v[3] = flags;
  pinned = buf;
  const result = invoke(call);
  pinned = v[1] = null;
  return result;
}

/**
 * recv without errno (~1 µs cheaper): bytes received, or -1 with the reason
 * unknown. Only for a socket with one small reply outstanding, where a -1 is
 * "not there yet" and the caller asks recvBytes() for the errno; a one-shot
 * error such as ENOBUFS would be consumed here unseen, so dumps and batches
 * use recvBytes().
 */
export function recvQuick(fd: number, buf: Uint8Array, flags: number): number {
  const address = addressOf(buf);
  if (!address) return recvBytes(fd, buf, flags);
  const v = C.recvAddrQuick.paramsValue;
  v[0] = fd; v[1] = address; v[2] = buf.length; v[3] = flags;
  pinned = buf;
  const n = rawLoad(C.recvAddrQuick) as number;
  pinned = null;
  return n;
}

// ---------------------------------------------------------------- many datagrams per call

/** Datagrams one recvMany() can take, and the room for each (acks are far smaller). */
export const MANY_SLOTS = 64;
export const MANY_SLOT_BYTES = 4096;
const MMSGHDR_BYTES = 64; // struct mmsghdr on 64-bit Linux: msghdr (56) + msg_len (4) + padding
const MSGHDR_FLAGS_AT = 48;
const MMSG_LEN_AT = 56;

/** Where recvMany() puts datagram i: bytes [i * MANY_SLOT_BYTES, + manyLength(i)). */
export const manyData = Buffer.alloc(MANY_SLOTS * MANY_SLOT_BYTES);
const manyHeaders = Buffer.alloc(MANY_SLOTS * MMSGHDR_BYTES);
const manyIovecs = Buffer.alloc(MANY_SLOTS * 16);
let manyHeadersAddress = 0;

/** Point each mmsghdr at one iovec and each iovec at its slot (once; the buffers never move). */
function manyReady(): boolean {
  if (manyHeadersAddress) return true;
  for (const b of [manyData, manyHeaders, manyIovecs]) addressOf(b); // first sight: addresses learned on the next
  const data = addressOf(manyData), headers = addressOf(manyHeaders), iovecs = addressOf(manyIovecs);
  if (!data || !headers || !iovecs) return false;
  for (let i = 0; i < MANY_SLOTS; i++) {
    manyIovecs.writeBigUInt64LE(BigInt(data + i * MANY_SLOT_BYTES), i * 16);
    manyIovecs.writeBigUInt64LE(BigInt(MANY_SLOT_BYTES), i * 16 + 8);
    const h = i * MMSGHDR_BYTES;
    manyHeaders.writeBigUInt64LE(BigInt(iovecs + i * 16), h + 16); // msg_iov
    manyHeaders.writeBigUInt64LE(1n, h + 24); // msg_iovlen
  }
  manyHeadersAddress = headers;
  return true;
}

/**
 * recvmmsg: up to MANY_SLOTS queued datagrams in one call (for the acks of a
 * batch: one FFI call instead of one per ack). Returns how many, or the
 * negative errno. A datagram larger than its slot is an error (EMSGSIZE),
 * not silently cut.
 */
export function recvMany(fd: number, flags: number): number {
  if (!manyReady()) return -EOPNOTSUPP; // no addresses here; the caller reads one at a time
  const v = C.recvmmsg.paramsValue;
  v[0] = fd; v[1] = manyHeadersAddress; v[2] = MANY_SLOTS; v[3] = flags; v[4] = 0;
  const n = invoke(C.recvmmsg);
  for (let i = 0; i < n; i++) {
    if (manyHeaders.readUInt32LE(i * MMSGHDR_BYTES + MSGHDR_FLAGS_AT) & MSG_TRUNC) return -EMSGSIZE;
  }
  return n;
}

/** Length of datagram i from the last recvMany(). */
export const manyLength = (i: number): number => manyHeaders.readUInt32LE(i * MMSGHDR_BYTES + MMSG_LEN_AT);

const peekBuffer = Buffer.alloc(16);

/** Size of the next pending datagram without taking it (0 bytes copied), or negative errno (-EAGAIN if none). */
export function peekDatagramSize(fd: number): number {
  return recvBytes(fd, peekBuffer, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
}

// ---------------------------------------------------------------- files and namespaces

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

// ---------------------------------------------------------------- inet sockets

// Cold path (a few calls per demo run): fresh Buffers, no address caching.
// Like a netlink socket, an INET socket lives in the network namespace of the
// thread that called socket(); bind, listen and connect then act in THAT
// namespace whichever thread calls them. So a namespace worker needs only to
// create the socket inside; the rest could run anywhere.

function sockaddrIn(address: string, port: number): Buffer {
  const ip = parseIPv4(address);
  if (!ip) throw new RangeError(`not an IPv4 address: ${JSON.stringify(address)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  const sockaddr = Buffer.alloc(SOCKADDR_IN_BYTES);
  sockaddr.writeUInt16LE(AF_INET, 0); // host order (little-endian on x64 and arm64)
  sockaddr.writeUInt16BE(port, 2); // network order
  sockaddr.set(ip, 4);
  return sockaddr;
}

function openTcpSocket(flags: number): number {
  const s = C.socket.paramsValue;
  s[0] = AF_INET;
  s[1] = SOCK_STREAM | SOCK_CLOEXEC | flags;
  s[2] = 0;
  return check('socket', invoke(C.socket), '(AF_INET, SOCK_STREAM)');
}

function callWithSockaddr(call: Call, fd: number, sockaddr: Buffer): number {
  const v = call.paramsValue;
  v[0] = fd;
  v[1] = sockaddr;
  v[2] = SOCKADDR_IN_BYTES;
  const result = invoke(call);
  v[1] = null;
  return result;
}

/**
 * A listening TCP socket on address:port in the CALLING THREAD's network
 * namespace, like the one `ip netns exec NS nc -l ADDRESS PORT` opens:
 * socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC), SO_REUSEADDR, bind, listen.
 * Port 0 lets the kernel pick one (read it back with inetSocketName). Its
 * backlog completes connections with no accept() yet. Closes the fd if any
 * step fails.
 */
export function openTcpListener(address: string, port: number, backlog = 16): number {
  const sockaddr = sockaddrIn(address, port);
  const fd = openTcpSocket(0);
  try {
    check('setsockopt', setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1), 'SO_REUSEADDR');
    check('bind', callWithSockaddr(C.bind, fd, sockaddr), `${address}:${port}`);
    const v = C.listen.paramsValue;
    v[0] = fd;
    v[1] = backlog;
    check('listen', invoke(C.listen), `${address}:${port}`);
    return fd;
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
}

/**
 * A TCP socket connected to address:port from the CALLING THREAD's network
 * namespace, like `ip netns exec NS nc ADDRESS PORT`: socket(AF_INET,
 * SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC), connect, then poll until the
 * handshake ends, at most timeoutMs (a blocking connect to a silent peer
 * would hang for minutes). Throws SysError (ECONNREFUSED, ENETUNREACH,
 * ETIMEDOUT...) and closes the fd on failure. Non-blocking on return.
 */
export function openTcpConnection(address: string, port: number, timeoutMs: number): number {
  const sockaddr = sockaddrIn(address, port);
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 0)) throw new RangeError(`timeoutMs must be a non-negative integer, got ${String(timeoutMs)}`);
  const where = `to ${address}:${port}`;
  const fd = openTcpSocket(SOCK_NONBLOCK);
  try {
    const started = callWithSockaddr(C.connect, fd, sockaddr);
    if (started < 0 && -started !== EINPROGRESS) check('connect', started, where);
    if (started < 0) waitConnected(fd, timeoutMs, where);
    return fd;
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
}

/** poll(POLLOUT) until the connect ends or timeoutMs passes; then SO_ERROR says how it ended. */
function waitConnected(fd: number, timeoutMs: number, where: string): void {
  const pollfd = Buffer.alloc(POLLFD_BYTES);
  pollfd.writeInt32LE(fd, 0);
  pollfd.writeInt16LE(POLLOUT, 4);
  const deadline = performance.now() + timeoutMs;
  const v = C.poll.paramsValue;
  for (;;) {
    v[0] = pollfd;
    v[1] = 1;
    v[2] = Math.max(0, Math.ceil(deadline - performance.now()));
    const ready = invoke(C.poll);
    v[0] = null;
    if (ready === -EINTR) continue;
    check('poll', ready);
    if (ready === 0) throw new SysError('connect', ETIMEDOUT, `${where} (no answer in ${timeoutMs} ms)`);
    break; // POLLOUT, POLLERR or POLLHUP: the handshake is over, one way or the other
  }
  const error = Buffer.alloc(4);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(4, 0);
  const g = C.getsockopt.paramsValue;
  g[0] = fd;
  g[1] = SOL_SOCKET;
  g[2] = SO_ERROR;
  g[3] = error;
  g[4] = length;
  check('getsockopt', invoke(C.getsockopt), 'SO_ERROR');
  g[3] = g[4] = null;
  const errno = error.readInt32LE(0);
  if (errno !== 0) throw new SysError('connect', errno, where);
}

/** getsockname of an AF_INET socket, like the local column of `ss -tn`: { address: '10.10.1.3', port }. */
export function inetSocketName(fd: number): { address: string; port: number } {
  const sockaddr = socketName(fd, SOCKADDR_IN_BYTES);
  const family = sockaddr.readUInt16LE(0);
  if (family !== AF_INET) throw new SysError('getsockname', 97 /* EAFNOSUPPORT */, `(family ${family}, not AF_INET)`);
  return { address: formatIPv4(sockaddr, 4), port: sockaddr.readUInt16BE(2) };
}

/**
 * ioctl(fd, SIOCGSKNS): a new O_CLOEXEC fd for the network namespace the
 * socket `fd` lives in, whatever thread asks (needs CAP_NET_ADMIN). fstat it
 * and compare dev/ino with a namespace file to PROVE where a socket is; like
 * the netns column `ss` cannot show. The caller closes the fd.
 */
export function socketNetnsFd(fd: number): number {
  const v = C.ioctl.paramsValue;
  v[0] = fd;
  v[1] = SIOCGSKNS;
  v[2] = 0;
  return check('ioctl', invoke(C.ioctl), 'SIOCGSKNS');
}

/** close(2), ignoring a failure: for cleanup after an error, whose cause is the one to report. */
export function closeQuietly(fd: number): void {
  try {
    closeFd(fd);
  } catch {
    // already failing; the first error is the one to report
  }
}

// ---------------------------------------------------------------- exit

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

export { errnoName, errnoText } from './errno.js';
