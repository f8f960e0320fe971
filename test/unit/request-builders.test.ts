// Our request builders give the very bytes iproute2 sent for the same
// operation (fixtures captured from `ip`). Only the sequence number, port,
// ifindexes and fd numbers are taken from the fixture, as the kernel and ip chose them.

import assert from 'node:assert/strict';
import {
  RTNETLINK, requestBytes, u32At, type Request,
  addLink, setLink, setLinkGroup, deleteLink, getLink, dumpLinks, addAltname, deleteAltname,
  addAddress, deleteAddress, dumpAddresses,
  addRoute, replaceRoute, deleteRoute, getRoute, dumpRoutes,
  addNeighbour, deleteNeighbour, dumpNeighbours, setNsid, dumpNsids, getNsid,
} from '../../src/netlink/index.js';
import { fixture, requestOf } from '../support/fixtures.js';

function same(name: string, build: (seq: number) => Request): void {
  it(name, () => {
    const expected = requestOf(fixture(name));
    const len = u32At(expected, 0);
    const seq = u32At(expected, 8);
    const ours = requestBytes(build(seq), RTNETLINK, seq, u32At(expected, 12));
    assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(expected.subarray(0, len)).toString('hex'));
  });
}

describe('request builders match iproute2 byte for byte', () => {
  describe('links', () => {
    same('link-add-veth', () => addLink({ ifname: 'va0', kind: 'veth', peer: { ifname: 'vb0' } }));
    same('link-add-veth-peer-netns', () => addLink({ ifname: 'va0', kind: 'veth', peer: { ifname: 'vb0', netNsFd: 4 } }));
    same('link-add-veth-address-mtu', () => addLink({
      ifname: 'va0', kind: 'veth', address: '02:00:00:00:00:01', mtu: 1400,
      peer: { ifname: 'vb0', address: '02:00:00:00:00:02', mtu: 1400 },
    }));
    // vethcon's ownership mark (src/wire/mark.ts): a link group at creation, the alias set by group, completion.
    same('link-add-veth-group', () => addLink({ ifname: 'va0', kind: 'veth', group: 0x76012345, peer: { ifname: 'vb0', netNsFd: 4, group: 0x76012345 } }));
    same('link-set-group-alias', () => setLinkGroup(0x76012345, { ifalias: 'vethcon:v1:0123456789abcdef:pending:pid=4242:start=123456:pidns=4026531836' }));
    same('link-set-up-group-alias', () => setLink(3, { up: true, group: 0, ifalias: 'vethcon:v1:0123456789abcdef' }));
    same('link-add-bridge', () => addLink({ ifname: 'br0', kind: 'bridge' }));
    same('link-add-macvlan-bridge', () => addLink({ ifname: 'mv0', kind: 'macvlan', link: 3, data: { mode: 'bridge' } }));
    same('link-add-vxlan', () => addLink({
      ifname: 'vx0', kind: 'vxlan', data: { link: 3, id: 42, local: '10.200.0.1', group: '10.200.0.2', learning: 1, port: 4789 },
    }));
    same('link-add-vlan-unsupported', () => addLink({ ifname: 'va0.10', kind: 'vlan', link: 3, data: { id: 10 } }));
    same('link-set-up', () => setLink(3, { up: true }));
    same('link-set-down', () => setLink(3, { up: false }));
    same('link-set-mtu', () => setLink(3, { mtu: 1400 }));
    same('link-set-address', () => setLink(3, { address: '02:00:00:00:00:0a' }));
    same('link-set-name', () => setLink(3, { ifname: 'vc0' }));
    same('link-set-alias', () => setLink(3, { ifalias: 'hello' }));
    same('link-set-netns', () => setLink(3, { netNsFd: 4 }));
    same('link-set-master', () => setLink(3, { master: 4 }));
    same('link-set-nomaster', () => setLink(3, { master: 0 }));
    same('link-del', () => deleteLink({ index: 3 }));
    same('link-get', () => getLink({ ifname: 'va0' }));
    same('link-dump', () => dumpLinks());
    // IFLA_PROP_LIST is the one nest iproute2 flags NLA_F_NESTED: the flag must come from the table.
    same('link-property-add-altname', () => addAltname(3, 'vcfx-alt0'));
    same('link-property-del-altname', () => deleteAltname(3, 'vcfx-alt0'));
  });

  describe('addresses', () => {
    same('addr-add-ipv4', () => addAddress({ index: 3, cidr: '10.200.1.1/24' }));
    same('addr-add-ipv4-broadcast', () => addAddress({ index: 3, cidr: '10.200.1.1/24', broadcast: '+' }));
    same('addr-add-ipv4-label', () => addAddress({ index: 3, cidr: '10.200.1.2/24', label: 'va0:foo' }));
    same('addr-add-ipv6-nodad', () => addAddress({ index: 3, cidr: '2001:db8:1::1/64', nodad: true }));
    same('addr-del-ipv4', () => deleteAddress({ index: 3, cidr: '10.200.1.1/24' }));
    same('addr-dump', () => dumpAddresses());
  });

  describe('routes', () => {
    same('route-add-ipv4-via', () => addRoute({ dst: '10.200.50.0/24', gateway: '10.200.1.254' }));
    same('route-add-ipv4-dev-metric-table', () => addRoute({ dst: '10.200.51.0/24', oif: 3, priority: 100, table: 100 }));
    same('route-add-ipv6-via', () => addRoute({ dst: '2001:db8:50::/64', gateway: '2001:db8:1::fe' }));
    same('route-add-multipath', () => addRoute({
      dst: '10.200.52.0/24', nexthops: [{ gateway: '10.200.1.254', ifindex: 3 }, { gateway: '10.200.2.254', ifindex: 5 }],
    }));
    same('route-replace', () => replaceRoute({ dst: '10.200.50.0/24', gateway: '10.200.1.253' }));
    same('route-del', () => deleteRoute({ dst: '10.200.50.0/24', gateway: '10.200.1.254' }));
    same('route-get-ipv4', () => getRoute('10.200.1.9'));
    same('route-dump-ipv4', () => dumpRoutes());
  });

  describe('neighbours and namespace ids', () => {
    same('neigh-add-permanent', () => addNeighbour({ ifindex: 3, dst: '10.200.1.9', lladdr: '02:00:00:00:00:09' }));
    same('neigh-del', () => deleteNeighbour({ ifindex: 3, dst: '10.200.1.9' }));
    same('neigh-dump', () => dumpNeighbours());
    same('nsid-set', () => setNsid(6, 7));
    same('nsid-list', () => dumpNsids());
    // show() maps a link's IFLA_LINK_NETNSID to a namespace this way (what `ip netns list` asks per /run/netns file).
    same('nsid-get', () => getNsid(6));
  });
});
