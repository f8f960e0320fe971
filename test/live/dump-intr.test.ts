// A dump the kernel marks NLM_F_DUMP_INTR (the table changed while it was
// being read) fails with EINTR and carries what it had read; with retries it
// is read again, whole. Live, root: a namespace with 2,000 veth pairs (a
// link dump of ~100 parts), and links added from a second socket in the same
// namespace whenever the dump yields to the event loop.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vethcon, type Address, type Link } from '../../src/index.js';
import { NamespaceThreads } from '../../src/ns/index.js';
import { NetlinkSocket } from '../../src/transport/socket.js';
import { NetlinkError } from '../../src/netlink/kernel-error.js';
import {
  RTNETLINK, addLink, dumpLinks, addAddress, deleteAddress, dumpAddresses,
} from '../../src/netlink/index.js';
import { readLink } from '../../src/api/readers.js';
import { toAddress } from '../../src/api/convert.js';
import { SUMMARY } from '../../src/api/summary.js';
import { LiveNamespaces, requireRoot, ip, ipJson, closeAndCleanup } from './live-helpers.js';

const PAIRS = 2000;
const SKIP_STATS = 1 | 8; // RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS, as links.list asks

describe('dumps interrupted by a change (NLM_F_DUMP_INTR) (live, root)', function () {
  this.timeout(120000);
  const spaces = new LiveNamespaces();
  let netns: string;
  let threads: NamespaceThreads;
  let vc: Vethcon;
  let dumper: NetlinkSocket;
  let changer: NetlinkSocket;
  let added = 0;

  /** Adds links from the second socket, one per event-loop turn, until stopped. */
  function disturb(): { stop: () => Promise<void> } {
    let running = true;
    const loop = (async () => {
      while (running) {
        await new Promise((r) => setImmediate(r));
        if (!running) break;
        await changer.request(addLink({ ifname: `vci-${added}`, kind: 'veth', peer: { ifname: `vcj-${added}` } }), `add vci-${added}`);
        added++;
      }
    })();
    return { stop: async () => { running = false; await loop; } };
  }

  before(async function () {
    requireRoot(this);
    netns = spaces.add();
    const dir = mkdtempSync(join(tmpdir(), 'vclive-'));
    try {
      writeFileSync(join(dir, 'links'), Array.from({ length: PAIRS }, (_, i) => `link add vcx${i} type veth peer name vcy${i}\n`).join(''));
      ip('-n', netns, '-batch', join(dir, 'links'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    threads = new NamespaceThreads();
    vc = new Vethcon({ threads });
    dumper = (await vc.netns(netns)).socket;
    const [fd] = await threads.openSockets({ name: netns }, 1);
    changer = new NetlinkSocket(fd, RTNETLINK, `second socket in ${netns}`);
  });

  after(async () => {
    changer?.close();
    await closeAndCleanup(vc, spaces);
  });

  it('fails with EINTR and the part it read when the links change mid-dump (no retries)', async () => {
    const before = added;
    const changes = disturb();
    let failure: unknown;
    try {
      await dumper.dump(dumpLinks(SKIP_STATS), `list links in ${netns}`, { read: readLink, retries: 0 });
    } catch (error) {
      failure = error;
    } finally {
      await changes.stop();
    }
    assert.ok(added > before, 'the disturber never ran during the dump');
    assert.ok(failure instanceof NetlinkError, `expected a NetlinkError, got ${String(failure)}`);
    assert.equal(failure.code, 'EINTR');
    assert.match(failure.message, /interrupted/);
    const partial = failure.partial as unknown as Link[];
    assert.ok(Array.isArray(partial) && partial.length > 0, 'no partial result attached');
    assert.ok(partial.every((l) => typeof l.ifname === 'string' && l.ifindex > 0), 'the partial result holds Links');
  });

  it('reads the whole table again when retries are allowed', async () => {
    const changes = disturb();
    // Disturb the first read only: stop as soon as it is found interrupted. (A timer
    // that stopped the changes after 5 ms let most runs read one undisturbed dump.)
    let retried = 0;
    const links = await dumper.dump(dumpLinks(SKIP_STATS), `list links in ${netns}`, {
      read: readLink, retries: 20, onRetry: () => { retried++; void changes.stop(); },
    });
    await changes.stop();
    assert.ok(retried >= 1, 'the dump was never interrupted, so nothing was retried: the test proves nothing');
    const names = ipJson<{ ifname: string }[]>('-n', netns, 'link', 'show').map((l) => l.ifname).sort();
    assert.deepEqual(links.map((l) => l.ifname).sort(), names);
    assert.equal(links.length, 1 + 2 * (PAIRS + added));
  });
});

// The other dump path: messages decoded (and mapped) as they arrive, as
// addresses.list reads them (and neighbours.list, and dump() without `read`).
// A namespace with thousands of addresses on one link; the disturber adds and
// removes one on the other link whenever the dump yields. (Neighbour dumps
// share the path but cannot be tested this way: the kernel never marks them
// interrupted; with 3,000 neighbours changing underneath, 6.18 sent none.)
describe('address dumps interrupted by a change (NLM_F_DUMP_INTR, the decoded path of addresses.list and neighbours.list) (live, root)', function () {
  this.timeout(120000);
  const spaces = new LiveNamespaces();
  const COUNT = 3000;
  let netns: string;
  let threads: NamespaceThreads;
  let vc: Vethcon;
  let dumper: NetlinkSocket;
  let changer: NetlinkSocket;
  let other: number;
  let changes = 0;

  /** Add then delete an address on the other link, once per event-loop turn, until stopped. */
  function disturb(): { stop: () => Promise<void> } {
    let running = true;
    const loop = (async () => {
      for (let k = 0; running; k++) {
        await new Promise((r) => setImmediate(r));
        if (!running) break;
        const cidr = `10.251.${(k >> 8) & 255}.${k & 255}/32`;
        await changer.request(addAddress({ index: other, cidr }), `add ${cidr}`);
        await changer.request(deleteAddress({ index: other, cidr }), `delete ${cidr}`);
        changes += 2;
      }
    })();
    return { stop: async () => { running = false; await loop; } };
  }

  before(async function () {
    requireRoot(this);
    netns = spaces.add();
    ip('-n', netns, 'link', 'add', 'vcd-a', 'type', 'veth', 'peer', 'name', 'vcd-b');
    const dir = mkdtempSync(join(tmpdir(), 'vclive-'));
    try {
      writeFileSync(join(dir, 'addrs'), Array.from({ length: COUNT }, (_, i) => `address add 10.250.${i >> 8}.${i & 255}/32 dev vcd-a\n`).join(''));
      ip('-n', netns, '-batch', join(dir, 'addrs'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    other = ipJson<{ ifindex: number }[]>('-n', netns, 'link', 'show', 'dev', 'vcd-b')[0].ifindex;
    threads = new NamespaceThreads();
    vc = new Vethcon({ threads });
    dumper = (await vc.netns(netns)).socket;
    const [fd] = await threads.openSockets({ name: netns }, 1);
    changer = new NetlinkSocket(fd, RTNETLINK, `second socket in ${netns}`);
  });

  after(async () => {
    changer?.close();
    await closeAndCleanup(vc, spaces);
  });

  /** The dump addresses.list makes (same request, mapper and protocol), with these retries. */
  const listAddresses = (retries: number, onRetry?: () => void): Promise<Address[]> =>
    dumper.dump(dumpAddresses(0), `list addresses in ${netns}`, { map: toAddress, retries, onRetry, protocol: SUMMARY });

  const ipAddresses = (): string[] => ipJson<{ ifindex: number; addr_info: { local: string; prefixlen: number }[] }[]>('-n', netns, 'addr', 'show')
    .flatMap((l) => l.addr_info.map((a) => `${l.ifindex} ${a.local}/${a.prefixlen}`)).sort();

  it('fails with EINTR and what it read when the addresses change mid-dump (no retries)', async () => {
    const before = changes;
    const disturber = disturb();
    let failure: unknown;
    try {
      await listAddresses(0);
    } catch (error) {
      failure = error;
    } finally {
      await disturber.stop();
    }
    assert.ok(changes > before, 'the disturber never ran during the dump');
    assert.ok(failure instanceof NetlinkError, `expected a NetlinkError EINTR, got ${failure === undefined ? 'a complete dump' : String(failure)}`);
    assert.equal(failure.code, 'EINTR');
    assert.match(failure.message, /interrupted/);
    const partial = failure.partial as unknown as Address[];
    assert.ok(Array.isArray(partial) && partial.length > 0, 'no partial result attached');
    assert.ok(partial.every((a) => a.ifindex > 0 && typeof a.cidr === 'string'), 'the partial result holds Addresses');
  });

  it('retried after an interruption (counted by onRetry), it reads the whole table again', async () => {
    const disturber = disturb();
    let retried = 0;
    // Disturb the first read only: stop as soon as it is found interrupted.
    const got = await listAddresses(20, () => { retried++; void disturber.stop(); });
    await disturber.stop();
    assert.ok(retried >= 1, 'the dump was never interrupted, so nothing was retried: the test proves nothing');
    assert.deepEqual(got.map((a) => `${a.ifindex} ${a.address}/${a.prefixlen}`).sort(), ipAddresses());
    assert.equal(got.filter((a) => a.address.startsWith('10.250.')).length, COUNT);
  });
});
