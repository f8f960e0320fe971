// A dump the kernel marks NLM_F_DUMP_INTR (the table changed while it was
// being read) fails with EINTR and carries what it had read; with retries it
// is read again, whole. Live, root: a namespace with 2,000 veth pairs (a
// link dump of ~100 parts), and links added from a second socket in the same
// namespace whenever the dump yields to the event loop.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vethcon, type Link } from '../../src/index.js';
import { NamespaceThreads } from '../../src/ns/index.js';
import { NetlinkSocket } from '../../src/transport/socket.js';
import { NetlinkError } from '../../src/netlink/kernel-error.js';
import { RTNETLINK, addLink, dumpLinks } from '../../src/netlink/index.js';
import { readLink } from '../../src/api/readers.js';
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
    // Disturb only the first attempt: stop once the dump has had a few turns.
    setTimeout(() => void changes.stop(), 5);
    const links = await dumper.dump(dumpLinks(SKIP_STATS), `list links in ${netns}`, { read: readLink, retries: 20 });
    await changes.stop();
    const names = ipJson<{ ifname: string }[]>('-n', netns, 'link', 'show').map((l) => l.ifname).sort();
    assert.deepEqual(links.map((l) => l.ifname).sort(), names);
    assert.equal(links.length, 1 + 2 * (PAIRS + added));
  });
});
