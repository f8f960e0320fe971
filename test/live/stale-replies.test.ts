// Replies are matched to requests by sequence number. Here an answer nobody
// read is left queued on a socket (a request sent straight through its fd,
// with a sequence number of its own, as a caller that gave up on a request
// would leave one) before a request, a dump or a batch: each must take its
// own answers only. Live, root: one vclive-* namespace with a veth pair.

import assert from 'node:assert/strict';
import * as sys from '../../src/sys/index.js';
import { open, type Vethcon } from '../../src/index.js';
import {
  RTNETLINK, NLM_F_ACK, NLM_F_REQUEST, requestBytes, u32At, u16At,
  getLink, setLink, deleteLink, dumpLinks, isLink, type Request,
} from '../../src/netlink/index.js';
import { NetlinkError } from '../../src/netlink/kernel-error.js';
import { readLink } from '../../src/api/readers.js';
import type { NetlinkSocket } from '../../src/transport/socket.js';
import { LiveNamespaces, requireRoot, ip, ipJson, closeAndCleanup } from './live-helpers.js';

/** Far from any sequence number the socket will use (it starts below 2^31 and counts up). */
const STALE_SEQ = 0xfffffff0;

describe('a stale reply queued before a request is not taken for its answer (live, root)', function () {
  this.timeout(60000);
  const spaces = new LiveNamespaces();
  let netns: string;
  let vc: Vethcon;
  let sock: NetlinkSocket;
  let indexA: number;

  before(async function () {
    requireRoot(this);
    netns = spaces.add();
    ip('-n', netns, 'link', 'add', 'vcs-a', 'type', 'veth', 'peer', 'name', 'vcs-b');
    indexA = ipJson<{ ifindex: number }[]>('-n', netns, 'link', 'show', 'dev', 'vcs-a')[0].ifindex;
    vc = open();
    sock = (await vc.netns(netns)).socket;
  });

  after(() => closeAndCleanup(vc, spaces));

  /** Send `req` straight through the socket's fd with STALE_SEQ and leave its answer unread; check it is queued. */
  function leaveStale(req: Request, ack: boolean): void {
    const bytes = requestBytes({ ...req, flags: req.flags | NLM_F_REQUEST | (ack ? NLM_F_ACK : 0) }, RTNETLINK, STALE_SEQ, 0);
    sys.sendBytes(sock.fd, bytes, bytes.length);
    const peek = Buffer.alloc(65536);
    const n = sys.recvBytes(sock.fd, peek, sys.MSG_PEEK | sys.MSG_DONTWAIT);
    assert.ok(n >= 16, `an answer is queued (recv: ${n})`);
    assert.equal(u32At(peek, 8), STALE_SEQ, 'the queued answer is the stale one');
  }

  /** How many answers are still queued (read and dropped here), and their types. */
  function drain(): number[] {
    const types: number[] = [];
    const buf = Buffer.alloc(65536);
    for (let n; (n = sys.recvBytes(sock.fd, buf, sys.MSG_DONTWAIT)) > 0;) {
      for (let off = 0; off + 16 <= n; off += (u32At(buf, off) + 3) & ~3) types.push(u16At(buf, off + 4));
    }
    return types;
  }

  afterEach(() => {
    // Each test starts with nothing queued, whatever the one before left.
    drain();
  });

  it('request (a GET, no ack): a stale RTM_NEWLINK for vcs-a queued, getLink(vcs-b) answers vcs-b', async () => {
    leaveStale(getLink({ ifname: 'vcs-a' }), false);
    const replies = await sock.request(getLink({ ifname: 'vcs-b' }), 'get vcs-b', { noAck: true });
    assert.equal(replies.length, 1);
    const [m] = replies;
    assert.ok(isLink(m), `a link message, got type ${m.type}`);
    assert.equal(m.attrs.ifname, 'vcs-b');
  });

  it('requestRead (read from the bytes, the path of links.get): a stale RTM_NEWLINK for vcs-a queued, vcs-b answers vcs-b', async () => {
    leaveStale(getLink({ ifname: 'vcs-a' }), false);
    const links = await sock.requestRead(getLink({ ifname: 'vcs-b' }), 'get vcs-b', readLink, { noAck: true });
    assert.deepEqual(links.map((l) => l.ifname), ['vcs-b']);
    leaveStale(getLink({ ifname: 'vcs-a' }), false);
    assert.equal((await (await vc.netns(netns)).getLink('vcs-b')).ifname, 'vcs-b');
  });

  it('requestRead: a stale success ack queued, a GET of a link that is not there rejects with ENODEV', async () => {
    leaveStale(setLink(indexA, { mtu: 1500 }), true);
    await assert.rejects(sock.requestRead(getLink({ ifname: 'vcs-nosuch' }), 'get vcs-nosuch', readLink, { noAck: true }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError && e.code === 'ENODEV', String(e));
      return true;
    });
    // And the socket is free again: the next request is served.
    assert.equal((await (await vc.netns(netns)).getLink(indexA)).ifname, 'vcs-a');
  });

  it('requestRead (acked): a stale error ack queued, a request that succeeds resolves with no replies', async () => {
    leaveStale(deleteLink({ ifname: 'vcs-nosuch' }), true);
    assert.deepEqual(await sock.requestRead(setLink(indexA, { mtu: 1400 }), 'set mtu of vcs-a', readLink), []);
  });

  it('requestRead waits its turn: gets and a dump started together on one socket each get their own answers', async () => {
    const h = await vc.netns(netns);
    const gets = Array.from({ length: 20 }, (_, i) => h.getLink(i % 2 ? 'vcs-a' : 'vcs-b'));
    const dump = h.listLinks();
    const missing = h.getLink('vcs-nosuch').then(() => 'resolved', (e: unknown) => (e as NetlinkError).code);
    const got = await Promise.all(gets);
    assert.deepEqual(got.map((l) => l.ifname), Array.from({ length: 20 }, (_, i) => (i % 2 ? 'vcs-a' : 'vcs-b')));
    assert.deepEqual((await dump).map((l) => l.ifname).sort(), names());
    assert.equal(await missing, 'ENODEV');
  });

  it('request (acked): a stale error ack (ENODEV) queued, a request that succeeds resolves', async () => {
    leaveStale(deleteLink({ ifname: 'vcs-nosuch' }), true);
    await sock.request(setLink(indexA, { mtu: 1400 }), 'set mtu of vcs-a');
    assert.equal(ipJson<{ mtu: number }[]>('-n', netns, 'link', 'show', 'dev', 'vcs-a')[0].mtu, 1400);
  });

  it('request (acked): a stale success ack queued, a request the kernel refuses rejects', async () => {
    leaveStale(setLink(indexA, { mtu: 1500 }), true);
    await assert.rejects(sock.request(deleteLink({ ifname: 'vcs-nosuch' }), 'delete vcs-nosuch'), (e: unknown) => {
      assert.ok(e instanceof NetlinkError && e.code === 'ENODEV', String(e));
      return true;
    });
  });

  const names = (): string[] => ipJson<{ ifname: string }[]>('-n', netns, 'link', 'show').map((l) => l.ifname).sort();

  it('dump (decoded messages, the path of addresses.list and neighbours.list): a stale RTM_NEWLINK and a stale ack queued, the dump is the table, once', async () => {
    leaveStale(getLink({ ifname: 'vcs-a' }), false);
    leaveStale(setLink(indexA, { mtu: 1500 }), true);
    const links = await sock.dump(dumpLinks(), 'dump links');
    assert.deepEqual(links.map((m) => (isLink(m) ? m.attrs.ifname : `type ${m.type}`)).sort(), names());
  });

  it('dump (with map): the same', async () => {
    leaveStale(getLink({ ifname: 'vcs-a' }), false);
    leaveStale(setLink(indexA, { mtu: 1500 }), true);
    const links = await sock.dump(dumpLinks(), 'dump links', { map: (m) => (isLink(m) ? m.attrs.ifname : `type ${m.type}`) });
    assert.deepEqual(links.sort(), names());
  });

  it('dump (read from the bytes, the path of links.list and routes.list): the same', async () => {
    leaveStale(getLink({ ifname: 'vcs-a' }), false);
    leaveStale(setLink(indexA, { mtu: 1500 }), true);
    const links = await sock.dump(dumpLinks(), 'dump links', { read: readLink });
    assert.deepEqual(links.map((l) => l.ifname).sort(), names());
  });

  it('batch: a stale success ack queued, each request gets its own ack (the refused one its error)', async () => {
    leaveStale(setLink(indexA, { mtu: 1500 }), true);
    const results = await sock.batch([setLink(indexA, { mtu: 1450 }), deleteLink({ ifname: 'vcs-nosuch' }), setLink(indexA, { mtu: 1460 })]);
    assert.equal(results.length, 3);
    assert.equal(results[0], undefined);
    assert.ok(results[1] instanceof NetlinkError && results[1].code === 'ENODEV', `request 2: ${String(results[1])}`);
    assert.equal(results[2], undefined);
    assert.equal(ipJson<{ mtu: number }[]>('-n', netns, 'link', 'show', 'dev', 'vcs-a')[0].mtu, 1460);
    // Every answer of the batch was read, and the stale one dropped: nothing is left queued.
    assert.deepEqual(drain(), []);
  });

  it('the socket is still in step afterwards: a plain request gets its own answer', async () => {
    const [m] = await sock.request(getLink({ ifname: 'vcs-a' }), 'get vcs-a', { noAck: true });
    assert.ok(isLink(m) && m.attrs.ifname === 'vcs-a');
  });
});
