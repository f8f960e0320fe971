// listAddresses({ linkLocal: false }): the IPv6 link-scope addresses the
// kernel makes itself are left out (read from the dump's bytes, never
// decoded); every other address is there, as `ip -j addr` shows it.

import assert from 'node:assert/strict';
import { Vethcon } from '../../src/api/client.js';
import { LiveNamespaces, closeAndCleanup, ip, ipJson, requireRoot, withoutDad } from './live-helpers.js';

describe('listAddresses without link-local addresses (live)', function () {
  this.timeout(30_000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let ns: string;

  before(function () {
    requireRoot(this);
    vc = new Vethcon();
    ns = spaces.add();
    withoutDad(ns);
    ip('-n', ns, 'link', 'add', 'af0', 'type', 'veth', 'peer', 'name', 'af1');
    ip('-n', ns, 'link', 'set', 'af0', 'up');
    ip('-n', ns, 'link', 'set', 'af1', 'up');
    ip('-n', ns, 'addr', 'add', '10.66.0.1/30', 'dev', 'af0');
    ip('-n', ns, 'addr', 'add', '169.254.9.9/16', 'scope', 'link', 'dev', 'af0');
    ip('-n', ns, 'addr', 'add', '2001:db8:66::1/64', 'dev', 'af0');
  });
  after(() => closeAndCleanup(vc, spaces));

  it('leaves out exactly the IPv6 link-scope addresses', async () => {
    const all = (await (await vc.netns(ns)).listAddresses()).map((a) => `${a.cidr} ${a.scope}`).sort();
    const some = (await (await vc.netns(ns)).listAddresses({ linkLocal: false })).map((a) => `${a.cidr} ${a.scope}`).sort();
    const oracle = ipJson<{ addr_info: { family: string; local: string; prefixlen: number; scope: string }[] }[]>('-n', ns, 'addr', 'show')
      .flatMap((l) => l.addr_info).filter((a) => !(a.family === 'inet6' && a.scope === 'link')).map((a) => `${a.local}/${a.prefixlen} ${a.scope}`).sort();
    assert.ok(all.some((a) => a.startsWith('fe80:')), 'the kernel made link-local addresses');
    assert.deepEqual(some, oracle);
    assert.ok(some.includes('169.254.9.9/16 link'), 'an IPv4 link-scope address stays');
    assert.deepEqual(some, all.filter((a) => !(a.startsWith('fe80:') && a.endsWith(' link'))));
  });
});
