// When acks overflow a socket's receive buffer the kernel drops them and
// marks the socket ENOBUFS; a batch must then fail with ENOBUFS and say so,
// not wait for acks that will never come. Live, root: a fresh namespace, a
// socket opened inside it whose receive buffer the test shrinks (through
// ffi-rs, as src/ offers no such knob), and a batch of address adds whose
// acks cannot all fit.

import assert from 'node:assert/strict';
import { Vethcon } from '../../src/index.js';
import { NamespaceThreads } from '../../src/ns/index.js';
import { NetlinkSocket } from '../../src/transport/socket.js';
import { NetlinkError } from '../../src/netlink/kernel-error.js';
import { RTNETLINK, addAddress } from '../../src/netlink/index.js';
import { LiveNamespaces, requireRoot, ip, ipJson, closeAndCleanup, shrinkReceiveBuffer } from './live-helpers.js';

const ADDRESSES = 2000;


describe('a receive buffer that overflows (ENOBUFS) (live, root)', function () {
  this.timeout(60000);
  const spaces = new LiveNamespaces();
  let netns: string;
  let threads: NamespaceThreads;
  let vc: Vethcon;
  let small: NetlinkSocket;
  let index: number;

  before(async function () {
    requireRoot(this);
    netns = spaces.add();
    ip('-n', netns, 'link', 'add', 'vcb0', 'type', 'veth', 'peer', 'name', 'vcb1');
    index = ipJson<{ ifindex: number }[]>('-n', netns, 'link', 'show', 'vcb0')[0].ifindex;
    threads = new NamespaceThreads();
    vc = new Vethcon({ threads });
    const [fd] = await threads.openSockets({ name: netns }, 1);
    small = new NetlinkSocket(fd, RTNETLINK, `small-buffer socket in ${netns}`);
    shrinkReceiveBuffer(fd, 4096);
  });

  after(async () => {
    small?.close();
    await closeAndCleanup(vc, spaces);
  });

  it('a batch whose acks do not fit fails with ENOBUFS and says why', async () => {
    const requests = Array.from({ length: ADDRESSES }, (_, i) => addAddress({ index, cidr: `10.240.${i >> 8}.${i & 255}/32` }));
    await assert.rejects(small.batch(requests, (i) => `add address ${i + 1}`), (error: unknown) => {
      assert.ok(error instanceof NetlinkError, `expected a NetlinkError, got ${String(error)}`);
      assert.equal(error.code, 'ENOBUFS');
      assert.match(error.message, /receive buffer overflowed and acks were lost/);
      return true;
    });
    // The kernel did apply requests whose acks it dropped: the error is about the acks, not the adds.
    const applied = ipJson<{ addr_info: unknown[] }[]>('-n', netns, '-4', 'addr', 'show', 'dev', 'vcb0')[0]?.addr_info.length ?? 0;
    assert.ok(applied > 0, 'no address was added at all');
  });

  it('the same batch through a socket with the default buffer is acked whole', async () => {
    const h = await vc.netns(netns);
    const requests = Array.from({ length: ADDRESSES }, (_, i) => addAddress({ index, cidr: `10.241.${i >> 8}.${i & 255}/32` }));
    const results = await h.batch(requests, 'add address');
    assert.equal(results.filter((r) => r !== undefined).length, 0);
  });
});
