// Light live checks of src/sys/ffi.ts, the FFI binding: a real netlink
// socket, a hand-written RTM_GETLINK, errno reporting. Needs no root.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as sys from '../../src/sys/index.js';
import { errnoName, errnoText } from '../../src/netlink/errno.js';
import { shrinkReceiveBuffer } from './live-helpers.js';

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const NLM_F_REQUEST = 1;

/** nlmsghdr + ifinfomsg asking for one link by index, as bytes. */
function getLinkRequest(ifindex: number, seq: number): Buffer {
  const buf = Buffer.alloc(32);
  buf.writeUInt32LE(32, 0); // nlmsg_len
  buf.writeUInt16LE(RTM_GETLINK, 4);
  buf.writeUInt16LE(NLM_F_REQUEST, 6);
  buf.writeUInt32LE(seq, 8);
  buf.writeInt32LE(ifindex, 20); // ifi_index
  return buf;
}

describe('sys (the ffi binding)', () => {
  let fd = -1;
  afterEach(() => {
    if (fd >= 0) sys.closeFd(fd);
    fd = -1;
  });

  it('opens a bound netlink socket with a port id', () => {
    fd = sys.openNetlinkSocket();
    assert.ok(fd > 2);
    assert.ok(sys.socketPortId(fd) > 0);
  });

  it('sends RTM_GETLINK for ifindex 1 and receives RTM_NEWLINK, repeatedly', () => {
    fd = sys.openNetlinkSocket();
    const reply = Buffer.alloc(65536);
    // Several rounds: the buffers go from the U8Array path to the address path.
    for (let seq = 1; seq <= 4; seq++) {
      const request = getLinkRequest(1, seq);
      assert.equal(sys.sendBytes(fd, request, request.length), 32);
      const size = sys.peekDatagramSize(fd);
      const n = sys.recvBytes(fd, reply, 0);
      assert.equal(n, size, 'peek sees the size recv then returns');
      assert.equal(reply.readUInt32LE(0), n, 'one message in the datagram');
      assert.equal(reply.readUInt16LE(4), RTM_NEWLINK);
      assert.equal(reply.readUInt32LE(8), seq);
      assert.equal(reply.readInt32LE(20), 1, 'ifi_index');
      assert.ok(reply.subarray(0, n).includes(Buffer.from('lo\0')));
    }
  });

  it('receives into a subarray at its offset, not at the start of the ArrayBuffer', () => {
    fd = sys.openNetlinkSocket();
    const whole = Buffer.alloc(8192, 0xee);
    const window = whole.subarray(100, 4196);
    for (let seq = 1; seq <= 3; seq++) {
      sys.sendBytes(fd, getLinkRequest(1, seq), 32);
      const n = sys.recvBytes(fd, window, 0);
      assert.equal(window.readUInt16LE(4), RTM_NEWLINK);
      assert.equal(whole.readUInt8(99), 0xee, 'byte before the window untouched');
      assert.equal(whole.readUInt8(100 + n), 0xee, 'byte after the message untouched');
    }
  });

  it('writes and reads datagrams with Node\'s fs calls, the errno exact', () => {
    fd = sys.openNetlinkSocket();
    const reply = Buffer.alloc(65536);
    for (let seq = 1; seq <= 3; seq++) {
      const request = getLinkRequest(1, seq);
      assert.equal(sys.writeDatagram(fd, request, request.length), 32);
      const n = sys.readDatagram(fd, reply);
      assert.equal(reply.readUInt32LE(0), n, 'one whole message in the datagram');
      assert.equal(reply.readUInt16LE(4), RTM_NEWLINK);
      assert.equal(reply.readUInt32LE(8), seq);
    }
    assert.equal(sys.readDatagram(fd, reply), -11, 'nothing queued: -EAGAIN, not a block and not a throw');
    assert.equal(sys.readDatagram(987654, reply), -9, 'EBADF');
    assert.throws(() => sys.writeDatagram(987654, Buffer.alloc(4), 4), { name: 'SysError', code: 'EBADF', errno: 9, syscall: 'write' });
    assert.throws(() => sys.writeDatagram(fd, Buffer.alloc(4), 5), RangeError);
  });

  it('reads -ENOBUFS once replies overflowed the receive buffer, then the replies that fit', () => {
    fd = sys.openNetlinkSocket();
    shrinkReceiveBuffer(fd, 4096);
    for (let seq = 1; seq <= 64; seq++) sys.writeDatagram(fd, getLinkRequest(1, seq), 32);
    const reply = Buffer.alloc(65536);
    const seen: number[] = [];
    for (let n = sys.readDatagram(fd, reply); n !== -11; n = sys.readDatagram(fd, reply)) seen.push(n < 0 ? n : 1);
    assert.ok(seen.includes(-105), `ENOBUFS (-105) reported; saw ${seen.join(',')}`);
    assert.ok(seen.includes(1), 'the replies that fit were read');
  });

  it('makes a blocking socket non-blocking (setNonBlocking), so a read of nothing returns -EAGAIN', () => {
    // A socket opened without SOCK_NONBLOCK, as one handed to the library from elsewhere may be.
    const ffi = createRequire(import.meta.url)('ffi-rs') as typeof import('ffi-rs');
    fd = ffi.load({ library: 'libc', funcName: 'socket', retType: ffi.DataType.I32, paramsType: [ffi.DataType.I32, ffi.DataType.I32, ffi.DataType.I32], paramsValue: [16, 3 | 0o2000000, 0] }) as number;
    assert.ok(fd > 2);
    sys.setNonBlocking(fd);
    sys.setNonBlocking(fd); // already so: no change
    assert.equal(sys.readDatagram(fd, Buffer.alloc(64)), -11); // without it, this read would block the test for good
  });

  it('returns negative errno from recvBytes instead of throwing', () => {
    fd = sys.openNetlinkSocket();
    assert.equal(sys.recvBytes(fd, Buffer.alloc(64), sys.MSG_DONTWAIT), -11); // EAGAIN
    assert.equal(sys.peekDatagramSize(fd), -11);
    assert.equal(sys.recvBytes(-1, Buffer.alloc(64), 0), -9); // EBADF
  });

  it('throws SysError with errno, code and syscall', () => {
    assert.throws(
      () => sys.setns(987654, sys.CLONE_NEWNET),
      (error: unknown) =>
        error instanceof sys.SysError &&
        error.errno === 9 &&
        error.code === 'EBADF' &&
        error.syscall === 'setns' &&
        error.message === 'setns: Bad file descriptor (EBADF)',
    );
    assert.throws(() => sys.sendBytes(-1, Buffer.alloc(4), 4), { name: 'SysError', code: 'EBADF', syscall: 'send' });
    assert.throws(() => sys.openPath('/nonexistent/vethcon'), { code: 'ENOENT', message: 'open /nonexistent/vethcon: No such file or directory (ENOENT)' });
    assert.throws(() => sys.closeFd(-1), { code: 'EBADF' });
  });

  it('rejects a send length beyond the buffer before any syscall', () => {
    assert.throws(() => sys.sendBytes(0, Buffer.alloc(4), 5), RangeError);
  });

  it('names errnos', () => {
    assert.equal(errnoName(17), 'EEXIST');
    assert.equal(errnoText(17), 'File exists');
    assert.equal(errnoName(-1), 'EPERM');
    assert.equal(errnoName(133), 'EHWPOISON');
    assert.equal(errnoName(9999), 'E9999');
  });
});
