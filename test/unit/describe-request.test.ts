// describeRequest(): a request by name. Checked on requests iproute2 sent
// (decoded from the golden fixtures), so the names are those of real bytes.

import assert from 'node:assert/strict';
import { RTNETLINK, decodeMessages, describeRequest, describeRequestText, flagNames, isAddr, isLink, messageTypeName, type Request } from '../../src/netlink/index.js';
import { fixture, requestOf } from '../support/fixtures.js';

function request(name: string): Request {
  const [m] = decodeMessages(requestOf(fixture(name)), RTNETLINK);
  assert.ok(m && (isLink(m) || isAddr(m)), name);
  return { type: m.type, flags: m.flags, header: m.header, attrs: m.attrs };
}

describe('describeRequest: requests by name', () => {
  it('a vxlan creation: type, flags and nested attributes by their kernel names', () => {
    const d = describeRequest(request('link-add-vxlan-link-netnsid'));
    assert.equal(d.type, 'RTM_NEWLINK');
    assert.deepEqual(d.flags, ['NLM_F_REQUEST', 'NLM_F_ACK', 'NLM_F_CREATE', 'NLM_F_EXCL']);
    assert.deepEqual(d.attrs, {
      IFLA_MTU: 1400, IFLA_LINK_NETNSID: 0, IFLA_GROUP: 0x76012345, IFLA_IFNAME: 'vx0',
      IFLA_LINKINFO: { IFLA_INFO_KIND: 'vxlan', IFLA_INFO_DATA: { IFLA_VXLAN_LINK: 2, IFLA_VXLAN_ID: 42, IFLA_VXLAN_GROUP: '10.200.0.2', IFLA_VXLAN_LEARNING: 1, IFLA_VXLAN_PORT: 4789 } },
    });
    assert.equal(describeRequestText(d),
      'RTM_NEWLINK NLM_F_REQUEST|NLM_F_ACK|NLM_F_CREATE|NLM_F_EXCL IFLA_MTU=1400 IFLA_LINK_NETNSID=0 IFLA_GROUP=1979786053 IFLA_IFNAME="vx0" '
      + 'IFLA_LINKINFO={IFLA_INFO_KIND="vxlan" IFLA_INFO_DATA={IFLA_VXLAN_LINK=2 IFLA_VXLAN_ID=42 IFLA_VXLAN_GROUP="10.200.0.2" IFLA_VXLAN_LEARNING=1 IFLA_VXLAN_PORT=4789}}');
  });

  it("a veth's peer: its header and IFLA attributes inside VETH_INFO_PEER", () => {
    const d = describeRequest(request('link-add-veth-peer-netns'));
    const info = d.attrs.IFLA_LINKINFO as { IFLA_INFO_DATA: { VETH_INFO_PEER: { attrs: Record<string, unknown> } } };
    assert.deepEqual(info.IFLA_INFO_DATA.VETH_INFO_PEER.attrs, { IFLA_NET_NS_FD: 4, IFLA_IFNAME: 'vb0' });
  });

  it('a set by ifindex shows its header; a dump its DUMP flag; an address its IFA_ names', () => {
    assert.match(describeRequestText(describeRequest(request('link-set-up'))), /^RTM_NEWLINK NLM_F_REQUEST\|NLM_F_ACK header\{index=\d+ flags=1 change=1\}$/);
    const dump = describeRequest(request('link-dump'));
    assert.equal(dump.type, 'RTM_GETLINK');
    assert.ok(dump.flags.includes('NLM_F_DUMP'), dump.flags.join('|'));
    const addr = describeRequest(request('addr-add-ipv4'));
    assert.equal(addr.type, 'RTM_NEWADDR');
    assert.ok('IFA_LOCAL' in addr.attrs, JSON.stringify(addr.attrs));
  });

  it('names what it knows and shows the rest as numbers', () => {
    assert.equal(messageTypeName(16), 'RTM_NEWLINK');
    assert.equal(messageTypeName(1234), '#1234');
    assert.deepEqual(flagNames(16, 0x1 | 0x4 | 0x8 | 0x400 | 0x200), ['NLM_F_REQUEST', 'NLM_F_ACK', 'NLM_F_ECHO', 'NLM_F_CREATE', 'NLM_F_EXCL']);
    assert.deepEqual(flagNames(17, 0x1 | 0x1000), ['NLM_F_REQUEST', '0x1000']);
    const raw = describeRequest({ type: 16, flags: 1, header: { family: 0, type: 0, index: 0, flags: 0, change: 0 }, attrs: { '#999': new Uint8Array([1, 2]) } });
    assert.deepEqual(raw.attrs, { IFLA_999: '0102' });
  });
});
