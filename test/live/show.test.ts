// show() against the kernel, with `ip` as the oracle: pairs made here with
// `ip` (one across two namespaces, one inside one namespace, one in a
// namespace no name reaches) and by connect(), a macvlan and a vxlan of
// ours; every end's namespace, ifname, ifindex, peer, addresses, MTU, MAC
// and state are checked against `ip -j -d link show`, `ip -j addr show` and
// `ip -j netns list-id` run in each namespace. Namespaces are vcshow-*.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect, open, show, type ShowLink, type ShowResult, type Vethcon } from '../../src/index.js';
import { ip, ipJson, requireRoot } from './live-helpers.js';

interface IpLink { ifindex: number; ifname: string; flags: string[]; mtu: number; address: string; link?: string; link_index?: number; link_netnsid?: number; ifalias?: string; linkinfo?: { info_kind?: string } }
interface IpAddr { ifname: string; addr_info: { local: string; prefixlen: number }[] }

const hex16 = (): string => randomBytes(8).toString('hex');
const newName = (): string => `vcshow-${randomBytes(4).toString('hex')}`;

/** What `ip` says about a namespace: links by name, addresses by name, and its nsids by the names they stand for. */
function oracle(ns: string) {
  const links = new Map(ipJson<IpLink[]>('-n', ns, '-d', 'link', 'show').map((l) => [l.ifname, l]));
  const addrs = new Map(ipJson<IpAddr[]>('-n', ns, 'addr', 'show').map((a) => [a.ifname, a.addr_info.map((i) => `${i.local}/${i.prefixlen}`)]));
  const nsids = new Map(ipJson<{ nsid: number; name?: string }[]>('-n', ns, 'netns', 'list-id').map((n) => [n.nsid, n.name]));
  return { links, addrs, nsids };
}

/** Every end of `link` in one of `names` agrees with ip, and so does its peer. */
function agreesWithIp(link: ShowLink, names: string[]): void {
  const views = new Map(names.map((n) => [`netns ${n}`, oracle(n)]));
  for (const [i, end] of link.ends.entries()) {
    const view = views.get(end.netns);
    if (!view) continue;
    const ipl = view.links.get(end.ifname!);
    assert.ok(ipl, `${end.netns} has no ${end.ifname} by ip`);
    assert.equal(end.ifindex, ipl.ifindex);
    assert.equal(end.mtu, ipl.mtu);
    assert.equal(end.mac, ipl.address);
    assert.equal(end.up, ipl.flags.includes('UP'));
    assert.equal(end.kind, ipl.linkinfo?.info_kind);
    assert.deepEqual([...end.addresses].sort(), [...(view.addrs.get(end.ifname!) ?? [])].sort());
    if (link.kind !== 'veth') continue;
    const peer = link.ends[1 - i]!;
    // ip names a peer in the same namespace (`link`), and numbers one elsewhere (`link_index`).
    const peerIndex = ipl.link_index ?? view.links.get(ipl.link!)?.ifindex;
    assert.equal(peer.ifindex, peerIndex, `peer of ${end.ifname}`);
    if (ipl.link_netnsid === undefined) assert.equal(peer.netns, end.netns);
    else {
      const name = view.nsids.get(ipl.link_netnsid);
      assert.equal(peer.netns, name === undefined ? `nsid ${ipl.link_netnsid} (unnamed)` : `netns ${name}`);
    }
  }
}

const inOurs = (r: ShowResult, names: string[]): ShowLink[] => r.links.filter((l) => l.ends.some((e) => names.some((n) => e.netns === `netns ${n}`)));
const byName = (r: ShowResult, ifname: string): ShowLink | undefined => r.links.find((l) => l.ends.some((e) => e.ifname === ifname));

describe('show() finds links and their peers through the kernel (live, root)', function () {
  this.timeout(120000);
  const made: string[] = [];
  let A: string;
  let B: string;
  let H: string;
  let held: number | undefined;
  let vc: Vethcon;
  const pairId = hex16();

  before(async function () {
    requireRoot(this);
    [A, B, H] = [newName(), newName(), newName()];
    for (const n of [A, B, H]) { ip('netns', 'add', n); made.push(n); }
    vc = open();
    // Across A and B, addressed, MTU 9000, marked by hand as a lab's link (what apply will make).
    ip('-n', A, 'link', 'add', 'x0', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'x1', 'mtu', '9000', 'netns', B);
    ip('-n', A, 'addr', 'add', '10.77.0.1/30', 'dev', 'x0');
    ip('-n', B, 'addr', 'add', '10.77.0.2/30', 'dev', 'x1');
    ip('-n', B, 'addr', 'add', '2001:db8:77::2/64', 'dev', 'x1', 'nodad');
    ip('-n', A, 'link', 'set', 'x0', 'up');
    ip('-n', A, 'link', 'set', 'x0', 'alias', `vethcon:v1:${pairId}:lab=foo:link=abc123abc123`);
    ip('-n', B, 'link', 'set', 'x1', 'alias', `vethcon:v1:${pairId}:lab=foo:link=abc123abc123`);
    // Inside A alone, not ours.
    ip('-n', A, 'link', 'add', 's0', 'type', 'veth', 'peer', 'name', 's1');
    // By connect().
    await connect({ ns: { type: 'netns', name: A }, ifname: 'c0', addresses: ['10.78.0.1/24'] }, { ns: { type: 'netns', name: B }, ifname: 'c1', addresses: ['10.78.0.2/24'], mtu: 1400 }, { client: vc });
    // A pair whose peer is in a namespace no name, process or container reaches: H, held open by us only.
    ip('-n', A, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1', 'netns', H);
    held = openSync(`/run/netns/${H}`, 'r');
    ip('netns', 'del', H);
    made.pop();
    // A macvlan of ours made in A on s0, moved to B: its parent stays in A. A vxlan of ours on s1.
    ip('-n', A, 'link', 'add', 'mv0', 'link', 's0', 'type', 'macvlan', 'mode', 'bridge');
    ip('-n', A, 'link', 'set', 'mv0', 'alias', `vethcon:v1:${hex16()}`);
    ip('-n', A, 'link', 'set', 'mv0', 'netns', B);
    ip('-n', A, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'remote', '192.0.2.9', 'dstport', '4789', 'dev', 's1');
    ip('-n', A, 'link', 'set', 'vx0', 'alias', `vethcon:v1:${hex16()}`);
  });

  after(async () => {
    await vc?.close();
    for (const n of made) spawnSync('ip', ['netns', 'del', n]);
    if (held !== undefined) closeSync(held);
  });

  it('the pair across two namespaces: both ends, their peers and addresses as ip sees them; ours, with its lab and link key', async () => {
    const r = await show({ client: vc, netns: A });
    const x = byName(r, 'x0')!;
    assert.ok(x, JSON.stringify(r));
    assert.deepEqual(x.ends.map((e) => `${e.netns}:${e.ifname}`), [`netns ${A}:x0`, `netns ${B}:x1`]);
    assert.deepEqual(x.mark, { id: pairId, complete: true, lab: 'foo', link: 'abc123abc123' });
    assert.equal(x.ours, true);
    agreesWithIp(x, [A, B]);
  });

  it("a pair connect() made is ours and complete, one id on both ends; ip's view agrees", async () => {
    const r = await show({ client: vc, netns: B });
    const c = byName(r, 'c0')!;
    assert.ok(c, JSON.stringify(r));
    assert.equal(c.mark?.complete, true);
    assert.equal(c.ends[0].mark?.id, c.ends[1].mark?.id);
    assert.deepEqual(c.ends.map((e) => e.mtu).sort(), [1400, 1500]);
    agreesWithIp(c, [A, B]);
  });

  it('without all, a pair vethcon did not make is left out; with all, it is there (both ends in one namespace), as ip sees it', async () => {
    assert.equal(byName(await show({ client: vc, netns: A }), 's0'), undefined);
    const r = await show({ client: vc, netns: A, all: true });
    const s = byName(r, 's0')!;
    assert.ok(s, JSON.stringify(r));
    assert.equal(s.ours, false);
    assert.equal(s.mark, undefined);
    assert.deepEqual(s.ends.map((e) => e.netns), [`netns ${A}`, `netns ${A}`]);
    agreesWithIp(s, [A]);
  });

  it('with all, every veth ip lists in our namespaces is shown once, each pair once', async () => {
    const r = await show({ client: vc, all: true, netns: [A, B] });
    for (const n of [A, B]) {
      const veths = ipJson<IpLink[]>('-n', n, '-d', 'link', 'show').filter((l) => l.linkinfo?.info_kind === 'veth');
      for (const v of veths) {
        const found = r.links.filter((l) => l.ends.some((e) => e.netns === `netns ${n}` && e.ifindex === v.ifindex));
        assert.equal(found.length, 1, `${v.ifname} in ${n}: ${JSON.stringify(found)}`);
      }
    }
    for (const l of inOurs(r, [A, B])) agreesWithIp(l, [A, B]);
  });

  it('a peer in a namespace nothing names is shown as nsid N (unnamed) with its ifindex; named (and first) when the filter names that namespace', async () => {
    const r = await show({ client: vc, all: true, netns: A });
    const u = byName(r, 'u0')!;
    const ipu = ipJson<IpLink[]>('-n', A, '-d', 'link', 'show', 'u0')[0]!;
    assert.ok(ipu.link_netnsid !== undefined);
    assert.deepEqual(u.ends[1], { netns: `nsid ${ipu.link_netnsid} (unnamed)`, ifindex: ipu.link_index, addresses: [] });
    agreesWithIp(u, [A]);
    const named = byName(await show({ client: vc, all: true, netns: { fd: held!, label: 'the held one' } }), 'u1')!;
    assert.deepEqual(named.ends.map((e) => `${e.netns}:${e.ifname}:${e.ifindex}`), [`the held one:u1:${ipu.link_index}`, `netns ${A}:u0:${ipu.ifindex}`]);
  });

  it('a macvlan and a vxlan of ours: kind, parent and its namespace (through the nsid), vni, remote and port, as ip sees them', async () => {
    const r = await show({ client: vc, netns: [A, B] });
    const mv = byName(r, 'mv0')!;
    const ipmv = ipJson<IpLink[]>('-n', B, '-d', 'link', 'show', 'mv0')[0]!;
    assert.equal(mv.kind, 'macvlan');
    assert.equal(mv.ends.length, 1);
    assert.deepEqual(mv.ends[0].parent, { netns: `netns ${A}`, ifindex: ipmv.link_index, ifname: 's0' });
    assert.equal(oracle(B).nsids.get(ipmv.link_netnsid!), A);
    assert.deepEqual(mv.ends[0].macvlan, { mode: 'bridge' });
    agreesWithIp(mv, [B]);
    const vx = byName(r, 'vx0')!;
    const ipvx = ipJson<any[]>('-n', A, '-d', 'link', 'show', 'vx0')[0]!;
    assert.deepEqual(vx.ends[0].vxlan, { vni: ipvx.linkinfo.info_data.id, remote: ipvx.linkinfo.info_data.remote, port: ipvx.linkinfo.info_data.port });
    assert.deepEqual(vx.ends[0].parent, { netns: `netns ${A}`, ifindex: ipJson<IpLink[]>('-n', A, 'link', 'show', 's1')[0]!.ifindex, ifname: 's1' });
    agreesWithIp(vx, [A]);
  });

  it('lab filter: only the links whose mark names that lab', async () => {
    const foo = inOurs(await show({ client: vc, lab: 'foo' }), [A, B]);
    assert.deepEqual(foo.map((l) => l.ends.map((e) => e.ifname).sort()), [['x0', 'x1']]);
    assert.deepEqual(inOurs(await show({ client: vc, lab: 'bar' }), [A, B]), []);
  });

  it('a namespace filter that names nothing is the caller mistake, before any scan', async () => {
    await assert.rejects(show({ client: vc, netns: `${A}-missing` }), (e: Error) => e.name === 'NetnsError' && /not found/.test(e.message));
  });
});
