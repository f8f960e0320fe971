// Pinning (src/ns/pin.ts): a namespace resolved once to an open file goes on
// naming that namespace, and keeping it alive, whatever happens to its name
// or its last process; the library reaches it through the pin.

import assert from 'node:assert/strict';
import { open, type Vethcon } from '../../src/index.js';
import { pinDrift, pinNetns, unpin, type PinnedNetns } from '../../src/ns/index.js';
import { LiveNamespaces, closeAndCleanup, ip, ipJson, requireRoot } from './live-helpers.js';
import { anonymousNamespace, holdOpen, rebind, removeName } from './trust-helpers.js';

describe('pinned namespaces (live, root)', function () {
  this.timeout(60000);
  const spaces = new LiveNamespaces();
  const extra: string[] = [];
  const pins: PinnedNetns[] = [];
  let vc: Vethcon;

  before(function () {
    requireRoot(this);
    vc = open();
  });

  after(() => closeAndCleanup(vc, spaces, () => { pins.forEach(unpin); extra.forEach(removeName); }));

  it('a socket opened through a pin lands in the pinned namespace after its name leads to another', async () => {
    const v = spaces.add();
    const other = spaces.add();
    extra.push(v);
    const old = holdOpen(v);
    const pin = pinNetns({ name: v });
    pins.push(pin);
    assert.equal(pinDrift(pin), undefined);
    rebind(other, v);
    assert.equal(pinDrift(pin), 'another namespace now');
    const ns = await vc.netns(pin.target);
    await ns.addLink({ ifname: 'pn0', kind: 'veth', peer: { ifname: 'pn1' } });
    try {
      assert.ok(old.ipJson('link', 'show').some((l: any) => l.ifname === 'pn0'), 'in the pinned namespace');
      assert.ok(!ipJson<any[]>('-n', v, 'link', 'show').some((l) => l.ifname === 'pn0'), 'not where the name leads now');
    } finally {
      old.close();
    }
  });

  it('a pin keeps an anonymous namespace alive after its last process ends, and says the pid is gone', async () => {
    const holder = await anonymousNamespace();
    const pin = pinNetns({ pid: holder.pid });
    pins.push(pin);
    await holder.kill();
    assert.equal(pinDrift(pin), 'not found any more');
    const ns = await vc.netns(pin.target);
    await ns.addLink({ ifname: 'an0', kind: 'veth', peer: { ifname: 'an1' } });
    assert.deepEqual((await ns.listLinks()).map((l) => l.ifname).sort(), ['an0', 'an1', 'lo']);
  });

  it('a pin on a deleted name says it is not found any more', () => {
    const v = spaces.add();
    const pin = pinNetns({ name: v });
    pins.push(pin);
    ip('netns', 'del', v);
    assert.equal(pinDrift(pin), 'not found any more');
  });
});
