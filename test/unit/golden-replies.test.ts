// Kernel replies, decoded: the objects must say what the captured setup made
// (names, MACs, addresses, routes) and what iproute2 printed for errors.
import assert from 'node:assert/strict';
import { decodeMessages, isLayout, RTNETLINK, NetlinkError, type RtnlMessage, type ErrorMessage } from '../../src/netlink/index.js';
import { toLink, toAddress, toRoute, toNeighbour } from '../../src/api/convert.js';
import { fixture, repliesOf, requestOf } from '../support/fixtures.js';

function replies(name: string): RtnlMessage[] {
  return repliesOf(fixture(name)).flatMap((d) => decodeMessages(d, RTNETLINK));
}
/** The messages of one type that decoded with their layout, typed by it (RTM_NEWROUTE: RouteMessage). */
const ofType = <T extends number>(ms: RtnlMessage[], type: T) => ms.filter((m) => isLayout(m, type));

describe('golden replies decode to what the kernel meant', () => {
  it('link dump: lo, a veth with its peer in another netns, a bridge, a vxlan and a macvlan', () => {
    const links = ofType(replies('link-dump'), 16).map(toLink);
    const by = Object.fromEntries(links.map((l) => [l.ifname, l]));
    assert.deepEqual(Object.keys(by).sort(), ['br0', 'lo', 'mv0', 'va0', 'vx0']);
    assert.equal(by.lo.ifindex, 1);
    assert.deepEqual(by.lo.flags, ['LOOPBACK']);
    assert.equal(by.va0.kind, 'veth');
    assert.equal(by.va0.address, '02:00:00:00:00:01');
    assert.equal(by.va0.linkNetnsid, 0, 'the peer lives in another namespace');
    assert.equal(by.va0.mtu, 1500);
    assert.equal(by.br0.kind, 'bridge');
    assert.equal(by.br0.address, '02:00:00:00:00:10');
    assert.equal(by.vx0.kind, 'vxlan');
    assert.equal(by.vx0.kindData?.id, 42);
    assert.equal(by.vx0.kindData?.port, 4789);
    assert.equal(by.vx0.kindData?.local, '10.200.0.1');
    assert.equal(by.vx0.kindData?.group, '10.200.0.2');
    assert.equal(by.mv0.kind, 'macvlan');
    assert.equal(by.mv0.kindData?.mode, 'bridge');
    assert.equal(by.mv0.link, by.va0.ifindex);
    const done = replies('link-dump').at(-1)!;
    assert.equal(done.type, 3);
  });

  it('link get: the one link asked for', () => {
    const [m] = ofType(replies('link-get'), 16);
    const l = toLink(m);
    assert.equal(l.ifname, 'va0');
    assert.equal(l.address, '02:00:00:00:00:01');
    assert.equal(l.broadcast, 'ff:ff:ff:ff:ff:ff');
    assert.equal(l.up, false);
    assert.equal(l.operstate, 'DOWN');
  });

  it('address dump: IPv4 with label and IPv6, per device', () => {
    const addrs = ofType(replies('addr-dump'), 20).map(toAddress);
    const cidrs = addrs.map((a) => a.cidr);
    for (const c of ['10.200.1.1/24', '10.200.1.2/24', '198.18.0.1/15', '10.200.2.1/24', '2001:db8:1::1/64', '2001:db8:2::1/64', '2001:db8:2::2/64']) {
      assert.ok(cidrs.includes(c), `${c} missing from ${cidrs.join(' ')}`);
    }
    assert.equal(addrs.find((a) => a.cidr === '10.200.1.2/24')?.label, 'va0:foo');
    assert.equal(addrs.find((a) => a.cidr === '2001:db8:1::1/64')?.family, 'inet6');
    assert.equal(addrs.find((a) => a.cidr === '10.200.1.1/24')?.broadcast, undefined);
  });

  it('route dump: 2,001 routes across several datagrams, then DONE', () => {
    const ds = repliesOf(fixture('route-dump-ipv4'));
    assert.ok(ds.length > 2, 'a multipart dump in several datagrams');
    const all = ds.flatMap((d) => decodeMessages(d, RTNETLINK));
    const routes = ofType(all, 24).map(toRoute);
    assert.ok(routes.length >= 2001, `${routes.length} routes`);
    assert.ok(all.filter((m) => m.type === 24).every((m) => m.flags & 2), 'every part is NLM_F_MULTI');
    assert.equal(all.at(-1)!.type, 3);
    const host = routes.find((r) => r.dst === '198.18.0.71/32');
    assert.ok(host, 'a /32 host route');
    assert.equal(host!.table, 254);
    assert.equal(host!.scope, 'link');
  });

  it('IPv6 route dump: the route via a gateway', () => {
    const routes = ofType(replies('route-dump-ipv6'), 24).map(toRoute);
    const r = routes.find((x) => x.dst === '2001:db8:50::/64');
    assert.ok(r);
    assert.equal(r!.gateway, '2001:db8:1::fe');
    assert.equal(r!.family, 'inet6');
  });

  it('route get: the connected route that would carry 10.200.1.9', () => {
    const [m] = ofType(replies('route-get-ipv4'), 24);
    assert.equal(m.attrs.dst, '10.200.1.9');
    assert.equal(m.attrs.prefsrc, '10.200.1.1');
  });

  it('neighbour dump: permanent IPv4 and IPv6 entries', () => {
    const ns = ofType(replies('neigh-dump'), 28).map(toNeighbour);
    const n = ns.find((x) => x.dst === '10.200.1.10');
    assert.equal(n?.lladdr, '02:00:00:00:00:0a');
    assert.deepEqual(n?.state, ['PERMANENT']);
    assert.equal(ns.find((x) => x.dst === '2001:db8:1::9')?.lladdr, '02:00:00:00:00:09');
  });

  it('nsid list: vcfx-b has id 7', () => {
    const ids = ofType(replies('nsid-list'), 88);
    assert.ok(ids.some((m) => m.attrs.nsid === 7), JSON.stringify(ids.map((m) => m.attrs)));
  });

  it('acks are NLMSG_ERROR 0 with the request header echoed (capped)', () => {
    const [ack] = replies('link-add-veth') as ErrorMessage[];
    assert.equal(ack.type, 2);
    assert.equal(ack.error, 0);
    assert.equal(ack.request.type, 16);
    assert.equal(ack.flags & 0x100, 0x100);
  });

  it('an extended ACK offset names the attribute it points at in our request', () => {
    const f = fixture('error-nsid-already-assigned');
    const e = replies('error-nsid-already-assigned').find((m) => m.type === 2) as ErrorMessage;
    assert.equal(typeof e.extack?.offset, 'number');
    const err = NetlinkError.from(e, 'set nsid', requestOf(f), RTNETLINK);
    assert.match(err.attribute ?? '', /^NETNSA\./);
    assert.match(err.message, /^set nsid: File exists \(EEXIST\): Peer netns already has a nsid assigned \[attribute NETNSA\.\w+\]$/);
  });

  const errors: [string, string, string | undefined][] = [
    ['error-route-invalid-gateway', 'ENETUNREACH', 'Nexthop has invalid gateway'],
    ['error-route-invalid-prefix', 'EINVAL', 'Invalid prefix for given prefix length'],
    ['error-addr-del-missing', 'EADDRNOTAVAIL', 'ipv4: Address not found'],
    ['error-link-altname-too-long', 'ERANGE', 'Attribute failed policy validation'],
    ['error-link-mtu-too-small', 'EINVAL', 'mtu less than device minimum'],
    ['error-neigh-invalid-lladdr', 'EINVAL', 'Invalid link address'],
    ['error-nsid-already-assigned', 'EEXIST', 'Peer netns already has a nsid assigned'],
    ['error-link-add-exists', 'EEXIST', undefined],
  ];
  for (const [name, code, text] of errors) {
    it(`${name}: ${code}${text ? `, "${text}"` : ''}, as iproute2 printed`, () => {
      const f = fixture(name);
      const e = replies(name).find((m) => m.type === 2 && (m as ErrorMessage).error < 0) as ErrorMessage;
      const err = NetlinkError.from(e, 'test');
      assert.equal(err.code, code);
      assert.equal(err.extack, text);
      if (text) assert.ok((f as any).stderr.includes(text), `iproute2 printed ${(f as any).stderr}`);
      assert.ok(e.request.payload && e.request.payload.length > 0, 'the failed request is echoed whole');
    });
  }
});
