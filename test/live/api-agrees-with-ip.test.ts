// The library's list calls against `ip -j`, field by field, in a namespace
// that iproute2 itself populated: veths (one peer in a second namespace), a
// bridge with a port, a vxlan, a macvlan, alias and altname, IPv4/IPv6
// addresses, routes in two tables with a multipath one, a permanent neighbour.
// Needs root; every namespace is vclive-* and removed afterwards.

import assert from 'node:assert/strict';
import { open, type Vethcon, type Link, type Address, type Route, type Neighbour } from '../../src/index.js';
import { LiveNamespaces, requireRoot, ip, ipJson, ipDst, closeAndCleanup, withoutDad } from './live-helpers.js';

/** The same comparison until two `ip` reads around ours agree (IPv6 and multicast state settles on its own). */
async function snapshot<I, O>(readIp: () => I, readOurs: () => Promise<O>): Promise<{ theirs: I; ours: O }> {
  for (let attempt = 0; ; attempt++) {
    const before = readIp();
    const ours = await readOurs();
    const after = readIp();
    if (JSON.stringify(before) === JSON.stringify(after) || attempt >= 20) return { theirs: after, ours };
    await new Promise((r) => setTimeout(r, 100));
  }
}

const jsonRoundTrip = (v: unknown): void => assert.deepEqual(JSON.parse(JSON.stringify(v)), v, 'plain JSON-serialisable data');

/** ip's table field: omitted for the table it was asked about (or main), names for the reserved ones. */
function ipTable(t: string | undefined, asked: number): number {
  if (t === undefined) return asked;
  return ({ main: 254, local: 255, default: 253 } as Record<string, number>)[t] ?? Number(t);
}

const ADDRESS_FLAGS = ['secondary', 'temporary', 'nodad', 'optimistic', 'dadfailed', 'home', 'deprecated', 'tentative', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'stable-privacy'];

describe('api agrees with ip -j (live, root)', function () {
  this.timeout(120000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let A: string;
  let B: string;
  /** ifname → ifindex in A, from ip. */
  let index: Map<string, number>;

  before(function () {
    requireRoot(this);
    A = spaces.add();
    B = spaces.add();
    withoutDad(A, B);
    const n = (...args: string[]) => ip('-n', A, ...args);
    n('link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx0p', 'netns', B);
    n('link', 'set', 'vx0', 'mtu', '1400', 'address', '02:00:00:00:00:42', 'up'); // peer down: NO-CARRIER
    n('link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb');
    n('link', 'add', 'br0', 'type', 'bridge');
    n('link', 'set', 'va', 'master', 'br0');
    for (const dev of ['br0', 'va', 'vb']) n('link', 'set', dev, 'up');
    n('addr', 'add', '10.200.0.1/24', 'dev', 'vx0');
    n('link', 'add', 'vxl42', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'dev', 'vx0', 'local', '10.200.0.1');
    n('link', 'add', 'mv0', 'link', 'vb', 'type', 'macvlan', 'mode', 'bridge');
    n('link', 'set', 'mv0', 'alias', 'the macvlan');
    n('link', 'property', 'add', 'dev', 'mv0', 'altname', 'mv0-alt');
    n('addr', 'add', '10.201.0.1/32', 'dev', 'vb');
    n('addr', 'add', '10.202.0.1/24', 'dev', 'vb', 'label', 'vb:web');
    n('addr', 'add', '10.202.0.2/24', 'dev', 'vb'); // a secondary
    n('addr', 'add', '2001:db8::1/64', 'dev', 'vx0', 'nodad');
    n('addr', 'add', '2001:db8:5::1/128', 'dev', 'vb');
    n('route', 'add', '10.50.0.0/16', 'via', '10.200.0.2');
    n('route', 'add', '10.51.0.0/16', 'dev', 'vx0', 'metric', '77');
    n('route', 'add', '10.52.0.0/16', 'via', '10.200.0.2', 'table', '100');
    n('route', 'add', '10.53.0.1', 'via', '10.200.0.2');
    n('route', 'add', 'default', 'via', '10.200.0.254', 'metric', '5');
    n('route', 'add', '10.54.0.0/16', 'nexthop', 'via', '10.200.0.2', 'dev', 'vx0', 'weight', '1', 'nexthop', 'via', '10.200.0.3', 'dev', 'vx0', 'weight', '3');
    n('-6', 'route', 'add', '2001:db8:1::/48', 'via', '2001:db8::2');
    n('-6', 'route', 'add', '2001:db8:2::/48', 'dev', 'vb', 'metric', '300', 'table', '100');
    n('neigh', 'add', '10.200.0.9', 'lladdr', '02:00:00:00:00:99', 'dev', 'vx0', 'nud', 'permanent');
    n('neigh', 'add', '2001:db8::9', 'lladdr', '02:00:00:00:00:98', 'dev', 'vx0', 'nud', 'permanent');
    index = new Map(ipJson<any[]>('-n', A, 'link', 'show').map((l) => [l.ifname, l.ifindex]));
    vc = open();
  });

  after(() => closeAndCleanup(vc, spaces));

  const idx = (name: string): number => {
    const i = index.get(name);
    assert.ok(i !== undefined, `ip knows ${name}`);
    return i;
  };

  it('links: every field ip -d link show prints that we have', async () => {
    const { theirs, ours } = await snapshot(() => ipJson<any[]>('-n', A, '-d', 'link', 'show'), () => vc.links.list({ netns: A }));
    jsonRoundTrip(ours);
    assert.deepEqual(ours.map((l) => l.ifindex).sort(), theirs.map((l) => l.ifindex).sort(), 'the same links');
    for (const t of theirs) {
      const o = ours.find((l) => l.ifindex === t.ifindex) as Link;
      const what = `link ${t.ifname}`;
      assert.equal(o.ifname, t.ifname, what);
      assert.equal(o.kind, t.linkinfo?.info_kind, `${what} kind`);
      assert.equal(o.mtu, t.mtu, `${what} mtu`);
      assert.equal(o.address, t.address, `${what} address`);
      assert.equal(o.broadcast, t.broadcast, `${what} broadcast`);
      assert.equal(o.txqlen, t.txqlen, `${what} txqlen`);
      assert.equal(o.qdisc, t.qdisc, `${what} qdisc`);
      assert.deepEqual(o.flags, t.flags, `${what} flags`);
      assert.equal(o.up, t.flags.includes('UP'), `${what} up`);
      assert.equal(o.operstate, t.operstate, `${what} operstate`);
      assert.equal(o.master, t.master === undefined ? undefined : idx(t.master), `${what} master`);
      if (t.link_netnsid !== undefined) {
        assert.equal(o.link, t.link_index, `${what} link (in another netns)`);
        assert.equal(o.linkNetnsid, t.link_netnsid, `${what} link netnsid`);
      } else {
        assert.equal(o.link, t.link === undefined ? undefined : idx(t.link), `${what} link`);
        assert.equal(o.linkNetnsid, undefined, `${what} link netnsid`);
      }
      assert.equal(o.alias, t.ifalias, `${what} alias`);
      assert.deepEqual(o.altnames, t.altnames, `${what} altnames`);
      const data = t.linkinfo?.info_data;
      if (t.linkinfo?.info_kind === 'vxlan') {
        assert.equal(o.kindData?.id, data.id, `${what} vxlan id`);
        assert.equal(o.kindData?.port, data.port, `${what} vxlan port`);
        assert.equal(o.kindData?.local, data.local, `${what} vxlan local`);
        assert.equal(o.kindData?.link, idx(data.link), `${what} vxlan dev`);
        assert.equal(o.kindData?.learning === 1, data.learning, `${what} vxlan learning`);
      }
      if (t.linkinfo?.info_kind === 'macvlan') assert.equal(o.kindData?.mode, data.mode, `${what} macvlan mode`);
    }
    // And the values themselves, so that both sides being wrong cannot pass.
    const by = (name: string) => ours.find((l) => l.ifname === name) as Link;
    assert.deepEqual(by('vx0').flags, ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP']);
    assert.equal(by('vx0').operstate, 'DOWN');
    assert.equal(by('vx0').mtu, 1400);
    assert.equal(by('vx0').address, '02:00:00:00:00:42');
    assert.equal(typeof by('vx0').linkNetnsid, 'number');
    assert.equal(by('va').master, by('br0').ifindex);
    assert.equal(by('va').link, by('vb').ifindex);
    assert.equal(by('vb').link, by('va').ifindex);
    assert.equal(by('br0').kind, 'bridge');
    assert.equal(by('br0').operstate, 'UP');
    assert.deepEqual([by('vxl42').kindData?.id, by('vxl42').kindData?.port, by('vxl42').kindData?.local, by('vxl42').kindData?.link], [42, 4789, '10.200.0.1', by('vx0').ifindex]);
    assert.equal(by('vxl42').up, false);
    assert.equal(by('mv0').kindData?.mode, 'bridge');
    assert.equal(by('mv0').link, by('vb').ifindex);
    assert.equal(by('mv0').alias, 'the macvlan');
    assert.deepEqual(by('mv0').altnames, ['mv0-alt']);
    assert.equal(by('lo').kind, undefined);
    assert.ok(by('lo').flags.includes('LOOPBACK'));
  });

  it('links: the peer in the other namespace points back across it', async () => {
    const { theirs, ours } = await snapshot(() => ipJson<any[]>('-n', B, '-d', 'link', 'show', 'vx0p'), () => vc.links.get('vx0p', { netns: B }));
    const [t] = theirs;
    assert.equal(ours.ifindex, t.ifindex);
    assert.equal(ours.kind, 'veth');
    assert.equal(ours.link, idx('vx0'));
    assert.equal(ours.link, t.link_index);
    assert.equal(ours.linkNetnsid, t.link_netnsid);
    assert.deepEqual(ours.flags, t.flags);
    assert.deepEqual(ours.flags, ['BROADCAST', 'MULTICAST']);
    assert.equal(ours.operstate, t.operstate);
    // ip's view of A's side names the peer by the index B gave it.
    const [vx0] = ipJson<any[]>('-n', A, 'link', 'show', 'vx0');
    assert.equal(vx0.link_index, t.ifindex);
    const ourVx0 = await vc.links.get('vx0', { netns: A });
    assert.equal(ourVx0.link, t.ifindex);
  });

  it('links: filters by kind, name and state', async () => {
    const veths = await vc.links.list({ netns: A, kind: 'veth' });
    assert.deepEqual(veths.map((l) => l.ifname).sort(), ['va', 'vb', 'vx0']);
    const down = await vc.links.list({ netns: A, up: false });
    const ipDown = ipJson<any[]>('-n', A, 'link', 'show').filter((l) => !l.flags.includes('UP')).map((l) => l.ifname);
    assert.deepEqual(down.map((l) => l.ifname).sort(), ipDown.sort());
    assert.deepEqual((await vc.links.list({ netns: A, ifname: 'br0' })).map((l) => l.ifindex), [idx('br0')]);
  });

  it('addresses: family, address, prefixlen, label, scope, broadcast, flags', async () => {
    const { theirs, ours } = await snapshot(() => ipJson<any[]>('-n', A, 'addr', 'show'), () => vc.addresses.list({ netns: A }));
    jsonRoundTrip(ours);
    const flat = theirs.flatMap((l) => (l.addr_info as any[]).map((a) => ({ ...a, ifindex: l.ifindex })));
    const key = (ifindex: number, address: string, len: number) => `${ifindex} ${address}/${len}`;
    assert.deepEqual(ours.map((a) => key(a.ifindex, a.address, a.prefixlen)).sort(), flat.map((a) => key(a.ifindex, a.local, a.prefixlen)).sort());
    for (const t of flat) {
      const o = ours.find((a) => key(a.ifindex, a.address, a.prefixlen) === key(t.ifindex, t.local, t.prefixlen)) as Address;
      const what = `address ${t.local}/${t.prefixlen}`;
      assert.equal(o.family, t.family, what);
      assert.equal(o.cidr, `${t.local}/${t.prefixlen}`, what);
      assert.equal(o.scope, t.scope, `${what} scope`);
      assert.equal(o.label, t.label, `${what} label`);
      assert.equal(o.broadcast, t.broadcast, `${what} broadcast`);
      assert.equal(o.peer, t.address, `${what} peer`);
      for (const flag of ADDRESS_FLAGS) assert.equal(o.flags.includes(flag), t[flag] === true, `${what} flag ${flag}`);
      assert.equal(!o.flags.includes('permanent'), t.dynamic === true, `${what} permanent/dynamic`);
    }
    const find = (cidr: string) => ours.find((a) => a.cidr === cidr) as Address;
    assert.deepEqual({ ...find('10.201.0.1/32') }, { ifindex: idx('vb'), family: 'inet', address: '10.201.0.1', prefixlen: 32, cidr: '10.201.0.1/32', scope: 'global', flags: ['permanent'], label: 'vb' });
    assert.equal(find('10.202.0.1/24').label, 'vb:web');
    assert.equal(find('10.202.0.1/24').broadcast, undefined);
    assert.deepEqual(find('10.202.0.2/24').flags, ['secondary', 'permanent']);
    assert.deepEqual(find('2001:db8::1/64').flags, ['nodad', 'permanent']);
    assert.equal(find('2001:db8::1/64').family, 'inet6');
    assert.equal(find('2001:db8:5::1/128').prefixlen, 128);
    assert.equal(find('127.0.0.1/8').scope, 'host');
    assert.ok(ours.some((a) => a.family === 'inet6' && a.scope === 'link' && a.ifindex === idx('vb')), 'a link-local address on vb');
    // Filters agree with ip's.
    const onVb = await vc.addresses.list({ netns: A, dev: 'vb', family: 'inet' });
    assert.deepEqual(onVb.map((a) => a.cidr).sort(), ipJson<any[]>('-n', A, '-4', 'addr', 'show', 'dev', 'vb')[0].addr_info.map((a: any) => `${a.local}/${a.prefixlen}`).sort());
  });

  /** ip's route as ours would print it. */
  function fromIp(r: any, family: 'inet' | 'inet6', table: number): Partial<Route> {
    const out: Partial<Route> = {
      family,
      dst: ipDst(r.dst, family),
      table: ipTable(r.table, table),
      protocol: r.protocol,
      scope: r.scope,
      type: r.type,
    };
    if (r.gateway !== undefined) out.gateway = r.gateway;
    if (r.dev !== undefined) out.oif = idx(r.dev);
    if (r.prefsrc !== undefined) out.prefsrc = r.prefsrc;
    if (r.metric !== undefined) out.metric = r.metric;
    if (r.nexthops) out.nexthops = r.nexthops.map((h: any) => ({ ifindex: idx(h.dev), weight: h.weight, ...(h.gateway !== undefined ? { gateway: h.gateway } : {}) }));
    return out;
  }

  const sortRoutes = (rs: Partial<Route>[]) => rs.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).sort()))).sort();

  async function sameRoutes(ipArgs: string[], ours: () => Promise<Route[]>, family: 'inet' | 'inet6', table: number): Promise<Route[]> {
    const snap = await snapshot(() => ipJson<any[]>('-n', A, '-d', ...ipArgs), ours);
    jsonRoundTrip(snap.ours);
    assert.deepEqual(sortRoutes(snap.ours), sortRoutes(snap.theirs.map((r) => fromIp(r, family, table))), `routes as ip ${ipArgs.join(' ')}`);
    return snap.ours;
  }

  it('routes: the main table (IPv4), host routes, metric, default, multipath', async () => {
    const ours = await sameRoutes(['-4', 'route', 'show'], () => vc.routes.list({ netns: A }), 'inet', 254);
    const find = (dst: string) => ours.find((r) => r.dst === dst) as Route;
    assert.deepEqual({ ...find('10.50.0.0/16') }, { family: 'inet', dst: '10.50.0.0/16', table: 254, protocol: 'boot', scope: 'global', type: 'unicast', gateway: '10.200.0.2', oif: idx('vx0') });
    assert.equal(find('10.51.0.0/16').metric, 77);
    assert.equal(find('10.51.0.0/16').scope, 'link');
    assert.equal(find('10.51.0.0/16').gateway, undefined);
    assert.equal(find('10.53.0.1/32').gateway, '10.200.0.2');
    assert.equal(find('default').gateway, '10.200.0.254');
    assert.equal(find('default').metric, 5);
    assert.deepEqual(find('10.54.0.0/16').nexthops, [
      { ifindex: idx('vx0'), weight: 1, gateway: '10.200.0.2' },
      { ifindex: idx('vx0'), weight: 3, gateway: '10.200.0.3' },
    ]);
    assert.equal(find('10.200.0.0/24').protocol, 'kernel');
    assert.equal(find('10.200.0.0/24').prefsrc, '10.200.0.1');
    assert.equal(find('10.52.0.0/16'), undefined, 'table 100 is not in main');
  });

  it('routes: table 100', async () => {
    const ours = await sameRoutes(['-4', 'route', 'show', 'table', '100'], () => vc.routes.list({ netns: A, table: 100 }), 'inet', 100);
    assert.deepEqual(ours.map((r) => [r.dst, r.table, r.gateway]), [['10.52.0.0/16', 100, '10.200.0.2']]);
    const ours6 = await sameRoutes(['-6', 'route', 'show', 'table', '100'], () => vc.routes.list({ netns: A, family: 'inet6', table: 100 }), 'inet6', 100);
    assert.deepEqual(ours6.map((r) => [r.dst, r.table, r.metric, r.oif]), [['2001:db8:2::/48', 100, 300, idx('vb')]]);
  });

  it('routes: IPv6 main table', async () => {
    const ours = await sameRoutes(['-6', 'route', 'show'], () => vc.routes.list({ netns: A, family: 'inet6' }), 'inet6', 254);
    const r = ours.find((x) => x.dst === '2001:db8:1::/48') as Route;
    assert.deepEqual([r.family, r.gateway, r.oif, r.metric, r.protocol], ['inet6', '2001:db8::2', idx('vx0'), 1024, 'boot']);
    assert.ok(ours.some((x) => x.dst === '2001:db8:5::1/128' && x.oif === idx('vb')), 'the /128 prefix route');
  });

  it('routes: every table', async () => {
    const ours = await sameRoutes(['-4', 'route', 'show', 'table', 'all'], () => vc.routes.list({ netns: A, table: 'all' }), 'inet', 254);
    assert.deepEqual([...new Set(ours.map((r) => r.table))].sort(), [100, 254, 255]);
    const local = ours.find((r) => r.dst === '10.201.0.1/32' && r.table === 255) as Route;
    assert.deepEqual([local.type, local.scope, local.protocol], ['local', 'host', 'kernel']);
    const ours6 = await sameRoutes(['-6', 'route', 'show', 'table', 'all'], () => vc.routes.list({ netns: A, family: 'inet6', table: 'all' }), 'inet6', 254);
    assert.ok(ours6.some((r) => r.type === 'multicast' && r.dst === 'ff00::/8'));
  });

  it('neighbours: dst, lladdr, state (all of them, as `ip neigh show nud all`)', async () => {
    const toOurs = (n: any): Partial<Neighbour> => ({
      ifindex: idx(n.dev), family: n.dst.includes(':') ? 'inet6' : 'inet', dst: n.dst, state: n.state, ...(n.lladdr !== undefined ? { lladdr: n.lladdr } : {}),
    });
    const norm = (ns: Partial<Neighbour>[]) => ns.map((n) => JSON.stringify([n.ifindex, n.family, n.dst, n.lladdr, n.state])).sort();
    const { theirs, ours } = await snapshot(() => ipJson<any[]>('-n', A, 'neigh', 'show', 'nud', 'all'), () => vc.neighbours.list({ netns: A }));
    jsonRoundTrip(ours);
    assert.deepEqual(norm(ours), norm(theirs.map(toOurs)));
    assert.deepEqual(ours.find((n) => n.dst === '10.200.0.9'), { ifindex: idx('vx0'), family: 'inet', dst: '10.200.0.9', state: ['PERMANENT'], lladdr: '02:00:00:00:00:99' });
    assert.deepEqual(ours.find((n) => n.dst === '2001:db8::9'), { ifindex: idx('vx0'), family: 'inet6', dst: '2001:db8::9', state: ['PERMANENT'], lladdr: '02:00:00:00:00:98' });
    // Plain `ip neigh show` is the same less the NOARP entries.
    const plain = await snapshot(() => ipJson<any[]>('-n', A, 'neigh', 'show'), () => vc.neighbours.list({ netns: A }));
    assert.deepEqual(norm(plain.ours.filter((n) => !n.state.includes('NOARP'))), norm(plain.theirs.map(toOurs)));
  });
});
