// Netlink sockets: open one like `ip` does, send, receive one datagram or
// many (recvmmsg), peek at the next one's size.
//
// The request path (writeDatagram, readDatagram) goes through Node's own
// fs.writeSync / fs.readSync on the fd: a netlink socket is an ordinary file
// descriptor, and write(2)/read(2) on it are send/recv without flags. That
// costs ~1 µs of Node per call against ~4-6 µs for an ffi-rs call (bench/ffi).
// read(2) has no MSG_DONTWAIT, so the sockets are O_NONBLOCK instead: every
// receive was already non-blocking (MSG_DONTWAIT), and a send to the kernel
// never waits either way. FFI stays for what Node cannot do (socket, bind,
// setsockopt, recvmmsg). On the FFI calls, buffers are passed as their raw
// address (a U64), ~1.5 µs cheaper per call than a U8Array param; see
// addressOf() for why that is safe.

import { readSync, writeSync } from 'node:fs';
import { EMSGSIZE, EOPNOTSUPP, EPERM, errnoNumber } from '../netlink/errno.js';
import { invoke, check, rawLoad, type Call } from './ffi.js';
import { C, addressOf } from './libc.js';
import { closeFd } from './files.js';
import { SysError } from './errors.js';
import {
  AF_NETLINK, NETLINK_ROUTE, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, SOCK_RAW, SOCK_CLOEXEC, SOCK_NONBLOCK, SOL_SOCKET, SO_SNDBUF, SO_RCVBUF,
  SO_RCVBUFFORCE, SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, SOCKET_BUFFER_BYTES, SOCKADDR_NL_BYTES,
  F_GETFL, F_SETFL, O_NONBLOCK,
} from './constants.js';

// Keeps the Buffer reachable while only its address is in the native call.
let pinned: Uint8Array | null = null;

const intBuffer = Buffer.alloc(4);

export function setIntOption(fd: number, level: number, name: number, value: number): number {
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
 * one `ip` opens: socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC|SOCK_NONBLOCK,
 * protocol) with extended acks, strict checking, capped acks and 1 MiB
 * buffers. Closes the fd if any step fails.
 */
export function openNetlinkSocket(protocol = NETLINK_ROUTE): number {
  const s = C.socket.paramsValue;
  s[0] = AF_NETLINK;
  s[1] = SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK;
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
export function socketName(fd: number, bytes: number): Buffer {
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

/** Make an fd O_NONBLOCK (a socket handed to us from elsewhere), as openNetlinkSocket's are. */
export function setNonBlocking(fd: number): void {
  const v = C.fcntl.paramsValue;
  v[0] = fd; v[1] = F_GETFL; v[2] = 0;
  const flags = check('fcntl', invoke(C.fcntl), 'F_GETFL');
  if (flags & O_NONBLOCK) return;
  v[0] = fd; v[1] = F_SETFL; v[2] = flags | O_NONBLOCK;
  check('fcntl', invoke(C.fcntl), 'F_SETFL');
}

/**
 * The errno of a failed fs call, exactly: Node names it in err.code
 * ('ENOBUFS'), which our errno table (Linux's) turns back into its number;
 * err.errno (-errno on Linux) covers a name the table lacks. Anything else
 * (Node's own RangeError for a bad argument) is not a failed system call and
 * is thrown on.
 */
function errnoOf(error: unknown): number {
  const e = error as NodeJS.ErrnoException;
  const named = typeof e?.code === 'string' ? errnoNumber(e.code) : undefined;
  if (named !== undefined) return named;
  if (typeof e?.errno === 'number' && e.errno < 0 && e.syscall !== undefined) return -e.errno;
  throw error;
}

/** write(fd, buf, length) with Node's fs.writeSync: a whole datagram; throws SysError('write', errno). */
export function writeDatagram(fd: number, buf: Uint8Array, length: number): number {
  if (!(length >= 0 && length <= buf.length)) throw new RangeError(`writeDatagram: length ${length} outside buffer of ${buf.length}`);
  try {
    return writeSync(fd, buf, 0, length);
  } catch (error) {
    throw new SysError('write', errnoOf(error));
  }
}

/**
 * read(fd, buf) with Node's fs.readSync on an O_NONBLOCK socket: one
 * datagram's bytes, or the NEGATIVE errno (-EAGAIN: nothing queued; -ENOBUFS:
 * the kernel dropped messages), no throw. read(2) cuts a datagram larger than
 * the buffer without saying so: a result of buf.length means it may have been
 * cut, and callers treat it as too large.
 */
export function readDatagram(fd: number, buf: Uint8Array): number {
  try {
    return readSync(fd, buf, 0, buf.length, null);
  } catch (error) {
    return -errnoOf(error);
  }
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
