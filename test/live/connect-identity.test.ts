// connect() pins each end's namespace once and works only through the pin;
// before it reports success, every name still leads to the namespace it
// pinned, or the pair is removed from where it really is and connect()
// fails. (Before pinning, a name re-pointed mid-run got the peer placed in
// the new namespace, its addresses set by ifindex on a link of the old one,
// and success reported.)

import assert from 'node:assert/strict';
import { connect, open, WiringError, type EndInput, type Vethcon } from '../../src/index.js';
import { LiveNamespaces, closeAndCleanup, ipJson, requireRoot } from './live-helpers.js';
import { addressesIn, anonymousNamespace, holdOpen, markedLinks, rebind, removeName } from './trust-helpers.js';

const names = (links: { ifname: string }[]): string[] => links.map((l) => l.ifname).sort();
const linksIn = (ns: string): string[] => names(ipJson<any[]>('-n', ns, 'link', 'show'));

describe('connect() through pinned namespaces (live, root)', function () {
  this.timeout(60000);
  const spaces = new LiveNamespaces();
  const layered: string[] = [];
  let vc: Vethcon;
  let A: string;

  before(function () {
    requireRoot(this);
    A = spaces.add();
    vc = open();
  });

  after(() => closeAndCleanup(vc, spaces, () => layered.forEach(removeName)));

  /** A fresh V and NEW, V held open as OLD to look into it after V is re-pointed at NEW. */
  function remountable() {
    const v = spaces.add();
    const fresh = spaces.add();
    layered.push(v);
    return { v, fresh, old: holdOpen(v) };
  }

  const ends = (v: string, n: number): [EndInput, EndInput] => [
    { ns: { type: 'netns', name: A }, ifname: `r${n}a`, addresses: [`10.60.${n}.1/24`] },
    { ns: { type: 'netns', name: v }, ifname: `r${n}b`, addresses: [`10.60.${n}.2/24`] },
  ];

  it('a name re-pointed once the pair exists: WiringError, the pair removed from the namespace it is really in', async () => {
    const { v, fresh, old } = remountable();
    try {
      const before = { a: linksIn(A), old: old.ipJson<any[]>('link', 'show').map((l: any) => l.ifname).sort(), fresh: linksIn(fresh) };
      const [ea, eb] = ends(v, 1);
      await assert.rejects(connect(ea, eb, { client: vc, afterCreate: async () => rebind(fresh, v) }), (e: unknown) => {
        assert.ok(e instanceof WiringError, String(e));
        assert.match(e.message, new RegExp(`netns ${v} changed while it was being wired: it is another namespace now`));
        assert.match(e.message, /the pair was removed again \(the kernel confirmed .* gone\), nothing is left behind/);
        return true;
      });
      assert.deepEqual(linksIn(A), before.a);
      assert.deepEqual(old.ipJson<any[]>('link', 'show').map((l: any) => l.ifname).sort(), before.old, 'nothing left where the pair really was');
      assert.deepEqual(linksIn(fresh), before.fresh);
      assert.deepEqual(old.ipJson<any[]>('addr', 'show').flatMap((l: any) => l.addr_info).filter((x: any) => x.local === '10.60.1.2'), [], 'no address on a link of the old namespace');
    } finally {
      old.close();
    }
  });

  it('a name re-pointed between validation and wiring: WiringError before any change, nothing anywhere', async () => {
    const { v, fresh, old } = remountable();
    try {
      const before = { a: linksIn(A), fresh: linksIn(fresh), freshAddrs: addressesIn(fresh) };
      const [ea, eb] = ends(v, 2);
      await assert.rejects(connect(ea, eb, { client: vc, beforeWiring: async () => rebind(fresh, v) }), (e: unknown) => {
        assert.ok(e instanceof WiringError, String(e));
        assert.match(e.message, new RegExp(`cannot create .*: netns ${v} changed while it was being wired: it is another namespace now; nothing was changed`));
        return true;
      });
      assert.deepEqual(linksIn(A), before.a);
      assert.deepEqual(linksIn(fresh), before.fresh, 'no peer placed in the namespace the name leads to now');
      assert.deepEqual(addressesIn(fresh), before.freshAddrs);
      assert.deepEqual(old.ipJson<any[]>('link', 'show').map((l: any) => l.ifname), ['lo']);
    } finally {
      old.close();
    }
  });

  it('a -p PID end whose process (the last holder of its namespace) ends mid-run: WiringError, the pair removed', async () => {
    const holder = await anonymousNamespace();
    try {
      const before = linksIn(A);
      const end = { ns: { type: 'pid' as const, pid: holder.pid }, ifname: 'pd1', addresses: ['10.60.3.2/24'] };
      await assert.rejects(connect({ ns: { type: 'netns', name: A }, ifname: 'pd0', addresses: ['10.60.3.1/24'] }, end, { client: vc, afterCreate: holder.kill }), (e: unknown) => {
        assert.ok(e instanceof WiringError, String(e));
        assert.match(e.message, new RegExp(`pid ${holder.pid} changed while it was being wired: it is not found any more`));
        assert.match(e.message, /the pair was removed again/);
        return true;
      });
      assert.deepEqual(linksIn(A), before);
      assert.deepEqual(markedLinks('-n', A), []);
    } finally {
      await holder.kill();
    }
  });

  it('an unchanged run still connects, and leaves the pair complete', async () => {
    const v = spaces.add();
    const [ea, eb] = ends(v, 4);
    const r = await connect(ea, eb, { client: vc });
    assert.equal(r.ends[1].endpoint, `netns ${v}`);
    const peer = ipJson<any[]>('-n', v, '-d', 'addr', 'show', 'dev', 'r4b')[0];
    assert.ok(peer.flags.includes('UP'));
    assert.deepEqual(peer.addr_info.filter((x: any) => x.family === 'inet').map((x: any) => x.local), ['10.60.4.2']);
  });
});
