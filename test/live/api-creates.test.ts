// What the library creates and changes is what `ip -j` then sees, exactly as
// asked; kernel refusals are NetlinkErrors that say what, where and why;
// bad input is a ValidationError before any request (nothing changes).
// Needs root; every namespace is vclive-* and removed afterwards.

import assert from 'node:assert/strict';
import { connect, open, NetlinkError, ValidationError, type LinkAddOptions, type Vethcon } from '../../src/index.js';
import { addAddress, addLink } from '../../src/netlink/index.js';
import { openNetnsFd } from '../../src/api/netns.js';
import { closeSync } from 'node:fs';
import type { NetlinkSocket } from '../../src/transport/socket.js';
import type { EndInput } from '../../src/rules/index.js';
import { LiveNamespaces, requireRoot, ip, ipJson, ipNetnsList, liveName, closeAndCleanup, withoutDad } from './live-helpers.js';

const ipLink = (ns: string, name: string): any => ipJson<any[]>('-n', ns, '-d', 'link', 'show', 'dev', name)[0];
const ipHasLink = (ns: string, name: string): boolean => ipJson<any[]>('-n', ns, 'link', 'show').some((l) => l.ifname === name);
const ipAddrs = (ns: string, dev: string): string[] =>
  (ipJson<any[]>('-n', ns, 'addr', 'show', 'dev', dev)[0]?.addr_info ?? []).map((a: any) => `${a.local}/${a.prefixlen}`).sort();

/** Everything `ip` can tell about a namespace, to prove that nothing changed. */
const stateOf = (ns: string): string =>
  [['link', 'show'], ['addr', 'show'], ['-4', 'route', 'show', 'table', 'all'], ['-6', 'route', 'show', 'table', 'all'], ['neigh', 'show']]
    .map((args) => ip('-n', ns, '-j', ...args)).join('\n');

/** Count what goes out through a socket (instance-level wrappers; undone by the returned function). */
function countRequests(socket: NetlinkSocket): { count: () => number; restore: () => void } {
  let n = 0;
  const s = socket as any;
  const saved = { request: s.request, dump: s.dump, batch: s.batch, together: s.together };
  for (const key of Object.keys(saved) as (keyof typeof saved)[]) {
    s[key] = (...args: unknown[]) => (n++, saved[key].apply(socket, args));
  }
  return { count: () => n, restore: () => { for (const key of Object.keys(saved)) delete s[key]; } };
}

describe('api creates what ip then sees (live, root)', function () {
  this.timeout(120000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let A: string;
  let B: string;

  before(function () {
    requireRoot(this);
    A = spaces.add();
    B = spaces.add();
    withoutDad(A, B);
    vc = open();
  });

  after(() => closeAndCleanup(vc, spaces));

  it('links.add veth: peer directly in another netns, MTU, MAC, up', async () => {
    const link = await vc.links.add({
      netns: A, ifname: 'nic1', kind: 'veth', mtu: 1400, address: '02:00:00:00:01:01', up: true,
      peer: { ifname: 'nic1p', netns: B, mtu: 1400, address: '02:00:00:00:01:02' },
    });
    const t = ipLink(A, 'nic1');
    assert.equal(link.ifindex, t.ifindex);
    assert.equal(t.linkinfo.info_kind, 'veth');
    assert.equal(t.mtu, 1400);
    assert.equal(t.address, '02:00:00:00:01:01');
    assert.ok(t.flags.includes('UP'));
    assert.deepEqual(link.flags, t.flags);
    assert.equal(link.mtu, 1400);
    assert.equal(link.address, '02:00:00:00:01:01');
    const p = ipLink(B, 'nic1p');
    assert.ok(!ipHasLink(A, 'nic1p'), 'the peer is not in A');
    assert.equal(p.mtu, 1400);
    assert.equal(p.address, '02:00:00:00:01:02');
    assert.equal(p.link_index, link.ifindex, 'the peer points at nic1 across namespaces');
    assert.equal(t.link_index, p.ifindex);
    assert.equal(link.link, p.ifindex);
    assert.equal(link.linkNetnsid, t.link_netnsid);
    assert.ok(!p.flags.includes('UP'), 'the peer was not asked to come up');
  });

  it('links.add bridge, vxlan, macvlan', async () => {
    const br = await vc.links.add({ netns: A, ifname: 'br1', kind: 'bridge', up: true, mtu: 1450 });
    const tb = ipLink(A, 'br1');
    assert.deepEqual([tb.linkinfo.info_kind, tb.mtu, tb.flags.includes('UP'), tb.ifindex], ['bridge', 1450, true, br.ifindex]);

    ip('-n', A, 'addr', 'add', '10.220.0.1/24', 'dev', 'nic1');
    const vx = await vc.links.add({ netns: A, ifname: 'vxl7', kind: 'vxlan', vxlan: { id: 7007, port: 4790, dev: 'nic1', local: '10.220.0.1', ttl: 9, learning: false } });
    const tv = ipLink(A, 'vxl7');
    assert.equal(tv.linkinfo.info_kind, 'vxlan');
    const d = tv.linkinfo.info_data;
    assert.deepEqual([d.id, d.port, d.link, d.local, d.ttl, d.learning], [7007, 4790, 'nic1', '10.220.0.1', 9, false]);
    assert.equal(vx.kindData?.id, 7007);
    assert.equal(vx.ifindex, tv.ifindex);

    const mv = await vc.links.add({ netns: A, ifname: 'mv1', kind: 'macvlan', macvlan: { parent: 'nic1', mode: 'private' }, address: '02:00:00:00:01:03' });
    const tm = ipLink(A, 'mv1');
    assert.deepEqual([tm.linkinfo.info_kind, tm.linkinfo.info_data.mode, tm.link, tm.address], ['macvlan', 'private', 'nic1', '02:00:00:00:01:03']);
    assert.equal(mv.link, ipLink(A, 'nic1').ifindex);
    const mv2 = await vc.links.add({ netns: A, ifname: 'mv2', kind: 'macvlan', macvlan: { parent: 'nic1' } });
    assert.equal(ipLink(A, 'mv2').linkinfo.info_data.mode, 'bridge', 'bridge is the default mode');
    assert.equal(mv2.kindData?.mode, 'bridge');
  });

  it('links.set: up, down, mtu, address, name, master, nomaster, alias', async () => {
    await vc.links.add({ netns: A, ifname: 'sa', kind: 'veth', peer: { ifname: 'sb' } });
    await vc.links.set('sa', { up: true }, { netns: A });
    assert.ok(ipLink(A, 'sa').flags.includes('UP'));
    await vc.links.set('sa', { up: false, mtu: 1280, address: '02:00:00:00:02:01', alias: 'set by vethcon' }, { netns: A });
    let t = ipLink(A, 'sa');
    assert.ok(!t.flags.includes('UP'));
    assert.deepEqual([t.mtu, t.address, t.ifalias], [1280, '02:00:00:00:02:01', 'set by vethcon']);
    await vc.links.set('sa', { ifname: 'sa-renamed' }, { netns: A });
    assert.ok(!ipHasLink(A, 'sa'));
    t = ipLink(A, 'sa-renamed');
    await vc.links.set('sa-renamed', { master: 'br1' }, { netns: A });
    assert.equal(ipLink(A, 'sa-renamed').master, 'br1');
    assert.equal((await vc.links.get('sa-renamed', { netns: A })).master, ipLink(A, 'br1').ifindex);
    await vc.links.set(t.ifindex, { master: null }, { netns: A }); // by ifindex, nomaster
    assert.equal(ipLink(A, 'sa-renamed').master, undefined);
    assert.equal((await vc.links.get('sa-renamed', { netns: A })).master, undefined);
  });

  it('links.set netns moves a link; links.delete removes it (and its peer)', async () => {
    await vc.links.add({ netns: A, ifname: 'mov0', kind: 'veth', peer: { ifname: 'mov0p' } });
    await vc.links.set('mov0', { netns: B }, { netns: A });
    assert.ok(!ipHasLink(A, 'mov0'));
    assert.ok(ipHasLink(B, 'mov0'));
    assert.equal(ipLink(B, 'mov0').link_index, ipLink(A, 'mov0p').ifindex);
    // Moving back with a reference object rather than a name.
    await vc.links.set('mov0', { netns: { path: `/run/netns/${A}` }, ifname: 'mov1' }, { netns: B });
    assert.ok(ipHasLink(A, 'mov1'));
    assert.ok(!ipHasLink(B, 'mov0'));
    await vc.links.delete('mov1', { netns: A });
    assert.ok(!ipHasLink(A, 'mov1'));
    assert.ok(!ipHasLink(A, 'mov0p'), 'the peer went with it');
  });

  it('addresses add and delete, IPv4 and IPv6', async () => {
    await vc.addresses.add('nic1', '10.221.0.1/24', { netns: A, label: 'nic1:a' });
    await vc.addresses.add('nic1', '10.221.9.9/32', { netns: A });
    await vc.addresses.add('nic1', '2001:db8:221::1/64', { netns: A, nodad: true });
    const info = ipJson<any[]>('-n', A, 'addr', 'show', 'dev', 'nic1')[0].addr_info as any[];
    const a = info.find((x) => x.local === '10.221.0.1');
    assert.deepEqual([a.prefixlen, a.label, a.family], [24, 'nic1:a', 'inet']);
    assert.equal(info.find((x) => x.local === '10.221.9.9').prefixlen, 32);
    const six = info.find((x) => x.local === '2001:db8:221::1');
    assert.deepEqual([six.prefixlen, six.family, six.nodad], [64, 'inet6', true]);
    await vc.addresses.delete('nic1', '10.221.0.1/24', { netns: A });
    await vc.addresses.delete('nic1', '2001:db8:221::1/64', { netns: A });
    const left = ipAddrs(A, 'nic1');
    assert.ok(left.includes('10.221.9.9/32'));
    assert.ok(!left.includes('10.221.0.1/24') && !left.includes('2001:db8:221::1/64'));
    await assert.rejects(vc.addresses.delete('nic1', '10.221.0.1/24', { netns: A }), { name: 'NetlinkError', code: 'EADDRNOTAVAIL' });
  });

  it('routes add, replace, delete: gateway, dev, metric, table', async () => {
    ip('-n', A, 'addr', 'add', '2001:db8:220::1/64', 'dev', 'nic1', 'nodad');
    const route = (table: string, dst: string) => ipJson<any[]>('-n', A, '-d', 'route', 'show', 'table', table, dst);
    await vc.routes.add({ netns: A, dst: '10.60.0.0/24', gateway: '10.220.0.2', metric: 10 });
    await vc.routes.add({ netns: A, dst: '10.61.0.0/24', dev: 'nic1', table: 100 });
    await vc.routes.add({ netns: A, dst: '10.62.0.1/32', gateway: '10.220.0.2', dev: 'nic1', table: 1000 });
    await vc.routes.add({ netns: A, dst: '2001:db8:60::/48', gateway: '2001:db8:220::2', metric: 42 });
    await vc.routes.add({ netns: A, dst: 'default', family: 'inet6', dev: 'nic1', table: 100 });
    assert.deepEqual(route('main', '10.60.0.0/24').map((r) => [r.gateway, r.dev, r.metric, r.protocol]), [['10.220.0.2', 'nic1', 10, 'boot']]);
    assert.deepEqual(route('100', '10.61.0.0/24').map((r) => [r.dev, r.scope, r.gateway]), [['nic1', 'link', undefined]]);
    assert.deepEqual(route('1000', '10.62.0.1').map((r) => [r.dst, r.gateway, r.dev]), [['10.62.0.1', '10.220.0.2', 'nic1']]);
    assert.deepEqual(ipJson<any[]>('-n', A, '-6', 'route', 'show', '2001:db8:60::/48').map((r) => [r.gateway, r.metric]), [['2001:db8:220::2', 42]]);
    assert.deepEqual(ipJson<any[]>('-n', A, '-6', 'route', 'show', 'table', '100').map((r) => [r.dst, r.dev]), [['default', 'nic1']]);
    // Ours agree, including the big table id that rtmsg cannot hold.
    const ours = await vc.routes.list({ netns: A, table: 1000 });
    assert.deepEqual(ours.map((r) => [r.dst, r.gateway, r.table]), [['10.62.0.1/32', '10.220.0.2', 1000]]);

    await vc.routes.replace({ netns: A, dst: '10.60.0.0/24', gateway: '10.220.0.3', metric: 10 });
    assert.deepEqual(route('main', '10.60.0.0/24').map((r) => [r.gateway, r.metric]), [['10.220.0.3', 10]]);
    await vc.routes.replace({ netns: A, dst: '10.63.0.0/24', gateway: '10.220.0.3' }); // replace creates
    assert.equal(route('main', '10.63.0.0/24').length, 1);
    await assert.rejects(vc.routes.add({ netns: A, dst: '10.60.0.0/24', gateway: '10.220.0.4', metric: 10 }), { name: 'NetlinkError', code: 'EEXIST' });

    await vc.routes.delete({ netns: A, dst: '10.60.0.0/24', metric: 10 });
    await vc.routes.delete({ netns: A, dst: '10.61.0.0/24', table: 100 });
    await vc.routes.delete({ netns: A, dst: '10.62.0.1/32', table: 1000 });
    await vc.routes.delete({ netns: A, dst: '10.63.0.0/24' });
    await vc.routes.delete({ netns: A, dst: '2001:db8:60::/48' });
    await vc.routes.delete({ netns: A, dst: 'default', family: 'inet6', table: 100 });
    for (const [table, dst] of [['main', '10.60.0.0/24'], ['100', '10.61.0.0/24'], ['1000', '10.62.0.1'], ['main', '10.63.0.0/24']]) {
      assert.deepEqual(route(table, dst), [], `${dst} in table ${table} is gone`);
    }
    assert.deepEqual(ipJson<any[]>('-n', A, '-6', 'route', 'show', '2001:db8:60::/48'), []);
    assert.deepEqual(ipJson<any[]>('-n', A, '-6', 'route', 'show', 'table', '100'), []);
  });

  it('neighbours add and delete, IPv4 and IPv6', async () => {
    await vc.neighbours.add({ netns: A, dev: 'nic1', dst: '10.220.0.77', lladdr: '02:00:00:00:07:07' });
    await vc.neighbours.add({ netns: A, dev: 'nic1', dst: '2001:db8:220::77', lladdr: '02:00:00:00:07:08' });
    const seen = ipJson<any[]>('-n', A, 'neigh', 'show', 'dev', 'nic1').map((n) => [n.dst, n.lladdr, n.state]);
    assert.deepEqual(seen.sort(), [['10.220.0.77', '02:00:00:00:07:07', ['PERMANENT']], ['2001:db8:220::77', '02:00:00:00:07:08', ['PERMANENT']]]);
    await vc.neighbours.delete({ netns: A, dev: 'nic1', dst: '10.220.0.77' });
    await vc.neighbours.delete({ netns: A, dev: 'nic1', dst: '2001:db8:220::77' });
    assert.deepEqual(ipJson<any[]>('-n', A, 'neigh', 'show', 'dev', 'nic1'), []);
  });

  it('namespaces create, list, delete agree with ip netns', async () => {
    const name = spaces.reserve();
    const ns = await vc.namespaces.create(name);
    assert.ok(ipNetnsList().includes(name));
    // One consistent read of both lists (other processes may add namespaces meanwhile).
    let ours: string[] = [];
    let theirs: string[] = [];
    for (let i = 0; i < 10; i++) {
      const before = ipNetnsList().sort();
      ours = vc.namespaces.list();
      theirs = ipNetnsList().sort();
      if (JSON.stringify(before) === JSON.stringify(theirs)) break;
    }
    assert.deepEqual(ours, theirs);
    // The handle it returns works inside the new namespace.
    await ns.addLink({ ifname: 'inner0', kind: 'bridge' });
    assert.ok(ipHasLink(name, 'inner0'));
    assert.ok(!ipHasLink(A, 'inner0'));
    await assert.rejects(vc.namespaces.create(name), { name: 'NetnsError', code: 'EEXIST' });
    await vc.namespaces.delete(name);
    assert.ok(!ipNetnsList().includes(name));
    assert.ok(!vc.namespaces.list().includes(name));
    await assert.rejects(vc.namespaces.delete(name), { name: 'NetnsError', code: 'ENONETNS' });
    await assert.rejects(vc.links.list({ netns: name }), { name: 'NetnsError', code: 'ENONETNS' });
  });

  it('batch: 500 address adds in one call, all acked and all present', async () => {
    await vc.links.add({ netns: A, ifname: 'bulk0', kind: 'bridge' });
    const index = ipLink(A, 'bulk0').ifindex;
    const cidrs = Array.from({ length: 500 }, (_, i) => `10.230.${(i + 1) >> 8}.${(i + 1) & 255}/32`);
    const results = await vc.batch(cidrs.map((cidr) => addAddress({ index, cidr })), { netns: A });
    assert.equal(results.length, 500);
    assert.deepEqual(results.filter((r) => r !== undefined), [], 'every request acked without error');
    assert.deepEqual(ipAddrs(A, 'bulk0'), [...cidrs].sort());
    assert.equal((await vc.addresses.list({ netns: A, dev: 'bulk0' })).length, 500);
  });

  it('batch: failures come back per request, with errno names', async () => {
    const index = ipLink(A, 'bulk0').ifindex;
    // Even ones exist already (from the test above), odd ones are new.
    const cidrs = Array.from({ length: 40 }, (_, i) => (i % 2 ? `10.231.0.${i}/32` : `10.230.0.${i + 1}/32`));
    cidrs.push('10.231.1.1/32', '10.231.1.1/32'); // the second is a duplicate of the first within the batch
    const results = await vc.batch(cidrs.map((cidr) => addAddress({ index, cidr })), { netns: A });
    assert.equal(results.length, 42);
    results.forEach((r, i) => {
      const shouldFail = i < 40 ? i % 2 === 0 : i === 41;
      if (!shouldFail) return assert.equal(r, undefined, `request ${i + 1} succeeds`);
      assert.ok(r instanceof NetlinkError, `request ${i + 1} fails`);
      assert.equal(r.code, 'EEXIST');
      assert.equal(r.errno, 17);
      assert.equal(r.operation, `batch request ${i + 1} in netns ${A}`);
      assert.equal(r.extack, 'ipv4: Address already assigned');
      assert.equal(r.message, `batch request ${i + 1} in netns ${A}: File exists (EEXIST): ipv4: Address already assigned`);
    });
    const present = ipAddrs(A, 'bulk0');
    for (let i = 1; i < 40; i += 2) assert.ok(present.includes(`10.231.0.${i}/32`));
    assert.ok(present.includes('10.231.1.1/32'));
    assert.equal(present.length, 500 + 20 + 1);
  });

  it('kernel refusals: NetlinkError with operation, errno name and extack', async () => {
    await assert.rejects(vc.links.add({ netns: A, ifname: 'nic1', kind: 'veth', peer: { ifname: 'nic9' } }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.message, `add link nic1 (veth) in netns ${A}: File exists (EEXIST)`);
      assert.deepEqual([e.code, e.errno, e.operation], ['EEXIST', 17, `add link nic1 (veth) in netns ${A}`]);
      return true;
    });
    assert.ok(!ipHasLink(A, 'nic9'));
    // The peer's name taken in the peer's namespace.
    await assert.rejects(vc.links.add({ netns: A, ifname: 'nic2', kind: 'veth', peer: { ifname: 'nic1p', netns: B } }), {
      name: 'NetlinkError', code: 'EEXIST', message: `add link nic2 (veth) in netns ${A} (peer nic1p in netns ${B}): File exists (EEXIST)`,
    });
    assert.ok(!ipHasLink(A, 'nic2'));
    await assert.rejects(vc.routes.add({ netns: A, dst: '10.99.0.0/16', gateway: '10.77.0.1' }), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.code, 'ENETUNREACH');
      assert.equal(e.errno, 101);
      assert.equal(e.extack, 'Nexthop has invalid gateway');
      assert.equal(e.message, `add route 10.99.0.0/16 via 10.77.0.1 in netns ${A}: Network is unreachable (ENETUNREACH): Nexthop has invalid gateway`);
      return true;
    });
    await assert.rejects(vc.links.delete('nosuch0', { netns: A }), { name: 'NetlinkError', code: 'ENODEV', errno: 19, message: `delete link nosuch0 in netns ${A}: No such device (ENODEV)` });
    await assert.rejects(vc.links.get('nosuch0', { netns: A }), { name: 'NetlinkError', code: 'ENODEV' });
    await assert.rejects(vc.links.set('nic1', { master: 'nic1p' }, { netns: A }), { name: 'NetlinkError', code: 'ENODEV' });
    await assert.rejects(vc.addresses.add('nic1', '10.221.9.9/32', { netns: A }), {
      name: 'NetlinkError', code: 'EEXIST', extack: 'ipv4: Address already assigned',
      message: `add address 10.221.9.9/32 to nic1 in netns ${A}: File exists (EEXIST): ipv4: Address already assigned`,
    });
  });

  it('bad input: ValidationError before any request, nothing changed', async () => {
    const socket = (await vc.netns(A)).socket;
    const before = stateOf(A);
    const counter = countRequests(socket);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['too-long link name', () => vc.links.add({ netns: A, ifname: 'n'.repeat(16), kind: 'bridge' }), /interface name "n{16}" is 16 bytes long; the kernel allows at most 15/],
      ['too-long peer name', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'veth', peer: { ifname: 'p'.repeat(20) } }), /peer\.ifname/],
      ['bad MAC on add', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'bridge', address: '02:00:00:00:00' }), /MAC "02:00:00:00:00" is not six colon-separated hex bytes/],
      ['multicast MAC on set', () => vc.links.set('nic1', { address: '01:00:5e:00:00:01' }, { netns: A }), /multicast address/],
      ['bad MTU', () => vc.links.set('nic1', { mtu: 20 }, { netns: A }), /at least 68/],
      ['too-long new name', () => vc.links.set('nic1', { ifname: 'x'.repeat(16) }, { netns: A }), /at most 15/],
      ['bad CIDR (prefix)', () => vc.addresses.add('nic1', '10.1.1.1/33', { netns: A }), /prefix length outside 0\.\.32/],
      ['bad CIDR (address)', () => vc.addresses.add('nic1', '10.1.1.300/24', { netns: A }), /not a valid IPv4 address/],
      ['CIDR without prefix', () => vc.addresses.delete('nic1', '10.1.1.1', { netns: A }), /needs a prefix length/],
      ['bad route dst', () => vc.routes.add({ netns: A, dst: '10.0.0.0/40', gateway: '10.220.0.2' }), /prefix length/],
      ['bad neighbour MAC', () => vc.neighbours.add({ netns: A, dev: 'nic1', dst: '10.220.0.5', lladdr: 'zz:00:00:00:00:01' }), /MAC/],
      ['veth without peer', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'veth' } as unknown as LinkAddOptions), /a veth needs a peer/],
      ['veth with vxlan options', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'veth', peer: { ifname: 'ok1' }, vxlan: { id: 1 } } as unknown as LinkAddOptions), /Unrecognized key\(s\) in object: 'vxlan'/],
      ['vxlan without id', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'vxlan', vxlan: {} } as unknown as LinkAddOptions), /vxlan.id: Required/],
      ['vxlan id over 24 bits', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'vxlan', vxlan: { id: 0x1000000 } }), /vxlan.id: Number must be less than or equal to 16777215/],
      ['vlan without its options', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'vlan' } as unknown as LinkAddOptions), /a vlan needs vlan: \{ parent, id \}/],
      ['vlan id 4095', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'vlan', vlan: { parent: 'nic1', id: 4095 } }), /vlan.id/],
      ['ipvlan mode unknown', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'ipvlan', ipvlan: { parent: 'nic1', mode: 'l4' as 'l3' } }), /ipvlan.mode/],
      ['unsupported kind', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'dummy' as 'bridge' }), /kind/],
    ];
    try {
      for (const [what, call, message] of cases) {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(e instanceof ValidationError, `${what}: ${String(e)}`);
          assert.equal(e.code, 'EINVAL');
          assert.match(e.message, message, what);
          return true;
        }, what);
      }
      assert.equal(counter.count(), 0, 'no netlink request was sent');
    } finally {
      counter.restore();
    }
    assert.equal(stateOf(A), before, 'nothing changed in the namespace');
    assert.ok(!ipHasLink(A, 'ok0'));
    // And a namespace name that is not one.
    await assert.rejects(vc.namespaces.create('a/b'), { name: 'NetnsError', code: 'EBADNAME' });
    await assert.rejects(vc.links.list({ netns: liveName() }), { name: 'NetnsError', code: 'ENONETNS' });
  });

  it('connect: the kernel echo of the new veth names both ifindexes (no lookups), the ones ip sees', async () => {
    // Two more links in B first, so that the two ends' ifindexes differ.
    ip('-n', B, 'link', 'add', 'pad0', 'type', 'veth', 'peer', 'name', 'pad1');
    const ca = countRequests((await vc.netns(A)).socket);
    const cb = countRequests((await vc.netns(B)).socket);
    let ends;
    try {
      ({ ends } = await connect(
        { ns: { type: 'netns', name: A }, ifname: 'echo0', addresses: ['10.230.0.1/24'] },
        { ns: { type: 'netns', name: B }, ifname: 'echo1', addresses: ['10.230.0.2/24'] },
        { client: vc },
      ));
      // A: the name check, the create with its mark (one send), the address, the completion;
      // B: the name check, its pending mark, the address with up and completion (one batch).
      assert.equal(ca.count(), 4, 'requests in A');
      assert.equal(cb.count(), 3, 'requests in B');
    } finally {
      ca.restore();
      cb.restore();
    }
    const [la, lb] = [ipLink(A, 'echo0'), ipLink(B, 'echo1')];
    assert.notEqual(la.ifindex, lb.ifindex);
    assert.deepEqual(ends.map((e) => e.ifindex), [la.ifindex, lb.ifindex]);
    assert.equal(la.link_index, lb.ifindex);
    const v4 = (ns: string, dev: string): string[] => ipAddrs(ns, dev).filter((a) => !a.includes(':'));
    assert.deepEqual([v4(A, 'echo0'), v4(B, 'echo1')], [['10.230.0.1/24'], ['10.230.0.2/24']]);
  });

  it('connect with an AbortSignal: aborted before the first change, nothing is made; aborted once the pair exists, it is removed again', async () => {
    const ends = (x: string): [EndInput, EndInput] => [
      { ns: { type: 'netns', name: A }, ifname: `${x}0`, addresses: ['10.231.0.1/24'] },
      { ns: { type: 'netns', name: B }, ifname: `${x}1`, addresses: ['10.231.0.2/24'] },
    ];
    const before = [stateOf(A), stateOf(B)];
    const early = new AbortController();
    early.abort(new Error('stop now'));
    await assert.rejects(connect(...ends('ab'), { client: vc, signal: early.signal }), { name: 'InterruptedError', message: 'stop now: stopped before any change, nothing was done' });
    assert.deepEqual([stateOf(A), stateOf(B)], before, 'nothing changed');
    const late = new AbortController();
    let existed = false;
    const afterCreate = async (): Promise<void> => {
      existed = ipHasLink(A, 'ac0') && ipHasLink(B, 'ac1');
      late.abort(new Error('stop now'));
    };
    await assert.rejects(connect(...ends('ac'), { client: vc, signal: late.signal, afterCreate }), { name: 'WiringError', message: /: stop now; the pair was removed again \(the kernel confirmed ac0 \(ifindex \d+\) in netns \S+ and ac1 \(ifindex \d+\) in netns \S+ gone\), nothing is left behind$/ });
    assert.ok(existed, 'the pair existed when the signal was aborted');
    assert.deepEqual([stateOf(A), stateOf(B)], before, 'nothing is left');
  });

  it('createLinks: many veths in few sends, each echo naming both ifindexes; a failure comes back in its place', async () => {
    const h = await vc.netns(A);
    const fdB = openNetnsFd({ name: B });
    let made;
    try {
      const requests = Array.from({ length: 20 }, (_, i) => addLink({ ifname: `many${i}`, kind: 'veth', peer: { ifname: `manyp${i}`, netNsFd: fdB } }));
      requests.splice(5, 0, addLink({ ifname: 'many0', kind: 'veth', peer: { ifname: 'manyx', netNsFd: fdB } })); // many0 again
      made = await h.createLinks(requests, 'create veth');
    } finally {
      closeSync(fdB);
    }
    assert.equal(made.length, 21);
    const failed = made[5];
    assert.ok(failed instanceof NetlinkError && failed.code === 'EEXIST', `request 6 should fail with EEXIST, got ${String(failed)}`);
    const inA = new Map(ipJson<any[]>('-n', A, 'link', 'show').map((l) => [l.ifname, l]));
    const inB = new Map(ipJson<any[]>('-n', B, 'link', 'show').map((l) => [l.ifname, l]));
    made.filter((_, i) => i !== 5).forEach((m, i) => {
      assert.ok(inA.has(`many${i}`) && inB.has(`manyp${i}`), `pair ${i} missing`);
      assert.deepEqual(m, { ifindex: inA.get(`many${i}`).ifindex, link: inB.get(`manyp${i}`).ifindex }, `pair ${i}`);
    });
  });
});
