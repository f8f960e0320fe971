// The requests of attach() (src/wire/attach-plan.ts) are the bytes iproute2
// sends for the same link (fixtures captured from `ip link add ...
// link-netnsid N ... type vxlan|macvlan|vlan`), but for NLM_F_ECHO, which
// attach() adds to learn the new ifindex. The builders also make the other
// way, `ip link add ... netns X` (IFLA_NET_NS_FD at creation), byte for byte.
// vlan: this kernel refuses it, and the capture holds its answer.

import assert from 'node:assert/strict';
import {
  RTNETLINK, NLM_F_ECHO, addLink, decodeMessages, isError, requestBytes, u32At, type Request,
} from '../../src/netlink/index.js';
import { createKindRequest, kindOptions } from '../../src/wire/attach-plan.js';
import { check, endSpec } from '../../src/rules/index.js';
import { attachLinkSchema, type AttachLinkInput } from '../../src/rules/link-kinds.js';
import { fixture, repliesOf, requestOf } from '../support/fixtures.js';

const GROUP = 0x76012345;

function same(name: string, build: () => Request): void {
  it(name, () => {
    const expected = requestOf(fixture(name));
    const len = u32At(expected, 0);
    const ours = requestBytes(build(), RTNETLINK, u32At(expected, 8), u32At(expected, 12));
    assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(expected.subarray(0, len)).toString('hex'));
  });
}

/** attach()'s creation as iproute2 sends it: without NLM_F_ECHO. */
function withoutEcho(req: Request): Request {
  assert.ok(req.flags & NLM_F_ECHO, 'attach() asks for the echo');
  return { ...req, flags: req.flags & ~NLM_F_ECHO };
}

const end = (ifname: string, more: object = {}) => check(endSpec, { ns: { type: 'netns', name: 'vcfx-a' }, ifname, ...more }, 'end');
const link = (l: AttachLinkInput) => check(attachLinkSchema(), l, 'link');

describe('attach() requests match iproute2 byte for byte', () => {
  // va0 is ifindex 2 in vcfx-b, which is nsid 0 in vcfx-a.
  same('link-add-vxlan-link-netnsid', () => withoutEcho(createKindRequest(end('vx0', { mtu: 1400 }), link({ kind: 'vxlan', parent: 'va0', remote: '10.200.0.2', id: 42 }), 2, 0, GROUP)));
  same('link-add-macvlan-link-netnsid', () => withoutEcho(createKindRequest(end('mv0', { mac: '02:00:00:00:00:0b' }), link({ kind: 'macvlan', parent: 'va0' }), 2, 0, GROUP)));
  same('link-add-vlan-link-netnsid-unsupported', () => withoutEcho(createKindRequest(end('vl0'), link({ kind: 'vlan', parent: 'va0', id: 10 }), 2, 0, GROUP)));

  describe('created beside the parent and placed with IFLA_NET_NS_FD (ip link add ... netns X)', () => {
    same('link-add-vxlan-netns', () => addLink({ ifname: 'vx0', kind: 'vxlan', netNsFd: 4, data: { link: 2, id: 42, group: '10.200.0.2', learning: 1, port: 4789 } }));
    same('link-add-macvlan-netns', () => addLink({ ifname: 'mv0', kind: 'macvlan', netNsFd: 4, link: 2, data: { mode: 'bridge' } }));
    same('link-add-vlan-netns-unsupported', () => addLink({ ifname: 'vl0', kind: 'vlan', netNsFd: 4, link: 2, data: { id: 10 } }));
  });

  it('the vlan creation is refused by this kernel: EOPNOTSUPP, "Unknown device type"', () => {
    for (const name of ['link-add-vlan-link-netnsid-unsupported', 'link-add-vlan-netns-unsupported']) {
      const [reply] = repliesOf(fixture(name)).flatMap((d) => decodeMessages(d, RTNETLINK));
      assert.ok(reply && isError(reply), name);
      assert.equal(reply.error, -95);
      assert.equal(reply.extack?.msg, 'Unknown device type');
    }
  });

  it("fills the kinds' defaults: vxlan port 4789 and learning, macvlan mode bridge", () => {
    assert.deepEqual(kindOptions(link({ kind: 'vxlan', parent: 'eth0', remote: '192.0.2.2', id: 42 })), { id: 42, remote: '192.0.2.2', learning: true, port: 4789 });
    assert.deepEqual(kindOptions(link({ kind: 'macvlan', parent: 'eth0' })), { mode: 'bridge' });
    assert.deepEqual(kindOptions(link({ kind: 'vlan', parent: 'eth0', id: 7 })), { id: 7 });
  });

  it("refuses options a kind does not have, and bad values, by the kind's own rules", () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: 'vxlan', parent: 'eth0', remote: '192.0.2.2' }, /id/],
      [{ kind: 'vxlan', parent: 'eth0', id: 0x1000000 }, /id/],
      [{ kind: 'vxlan', parent: 'eth0', id: 1, remote: 'nope' }, /not an IPv4 address/],
      [{ kind: 'vxlan', parent: 'eth0', id: 1, dev: 'eth1' }, /lower device is given as parent/],
      [{ kind: 'macvlan', parent: 'eth0', mode: 'sideways' }, /mode/],
      [{ kind: 'macvlan', parent: 'eth0', id: 3 }, /Unrecognized key/],
      [{ kind: 'vlan', parent: 'eth0', id: 4095 }, /id/],
      [{ kind: 'bridge', parent: 'eth0' }, /kind/],
      [{ kind: 'vlan', id: 3 }, /parent/],
    ];
    for (const [input, re] of bad) assert.throws(() => link(input as AttachLinkInput), re, JSON.stringify(input));
  });
});
