// The link kinds' registry: each kind's options, as `links.add` takes them,
// make the very bytes iproute2 sends for the same `ip link add` (fixtures
// captured from `ip`, also for vlan and ipvlan, which this kernel lacks and
// refuses); the input schema made from the registry refuses options of
// another kind; and the typed creation spec does not compile them.

import assert from 'node:assert/strict';
import {
  RTNETLINK, requestBytes, u32At, addLink, kindAttributes, linkKind, LINK_KINDS, decodeMessages, type LinkKind, type NewLinkSpec,
} from '../../src/netlink/index.js';
import { linkAddSchema, type LinkAddOptions } from '../../src/rules/link-kinds.js';
import { fixture, requestOf } from '../support/fixtures.js';

/** `addLink` of a kind from its options, links given as ifindexes (what the API does once it has looked them up). */
function fromOptions(kind: string, ifname: string, options: Record<string, unknown>): NewLinkSpec {
  const k = linkKind(kind);
  assert.ok(k, `no kind ${kind}`);
  const { data, link } = kindAttributes(k, options);
  const spec: Record<string, unknown> = { ifname, kind };
  if (link !== undefined) spec.link = link;
  if (data !== undefined) spec.data = data;
  return spec as unknown as NewLinkSpec;
}

function same(name: string, spec: NewLinkSpec): void {
  it(`${name}: ${fixture(name).command.replace(/^ip -n \S+ /, 'ip ')}`, () => {
    const expected = requestOf(fixture(name));
    const len = u32At(expected, 0);
    const ours = requestBytes(addLink(spec), RTNETLINK, u32At(expected, 8), u32At(expected, 12));
    assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(expected.subarray(0, len)).toString('hex'));
  });
}

describe('link kinds: options make the bytes iproute2 sends', () => {
  same('link-add-vlan-unsupported', fromOptions('vlan', 'va0.10', { parent: 3, id: 10 }));
  same('link-add-vlan-8021ad-unsupported', fromOptions('vlan', 'va0.20', { parent: 3, protocol: '802.1ad', id: 20 }));
  same('link-add-ipvlan-unsupported', fromOptions('ipvlan', 'iv0', { parent: 3, mode: 'l2' }));
  same('link-add-ipvlan-l3-private-unsupported', fromOptions('ipvlan', 'iv1', { parent: 3, mode: 'l3', flags: 1 }));
  same('link-add-macvlan-bridge', fromOptions('macvlan', 'mv0', { parent: 3 }));
  same('link-add-macvtap-vepa', fromOptions('macvtap', 'mt0', { parent: 3, mode: 'vepa' }));
  same('link-add-vxlan', fromOptions('vxlan', 'vx0', { id: 42, local: '10.200.0.1', remote: '10.200.0.2', port: 4789, dev: 3, learning: true }));
  same('link-add-vxlan-ttl-nolearning', fromOptions('vxlan', 'vx1', { id: 7, remote: '10.200.0.2', ttl: 64, learning: false, port: 4790 }));
  same('link-add-bridge', fromOptions('bridge', 'br0', {}));
  same('link-add-bridge-options', fromOptions('bridge', 'br1', { forwardDelay: 400, ageingTime: 30000, mcastSnooping: false }));
});

describe('link kinds: the input schema comes from the registry', () => {
  const schema = linkAddSchema();
  const ok = (v: unknown): void => assert.equal(schema.safeParse(v).success, true, JSON.stringify(schema.safeParse(v).error?.issues));
  const refused = (v: unknown, why: RegExp): void => {
    const r = schema.safeParse(v);
    assert.equal(r.success, false, `accepted ${JSON.stringify(v)}`);
    assert.match(JSON.stringify(r.error!.issues), why);
  };

  it('every kind of the registry is creatable', () => {
    const kinds = (LINK_KINDS as readonly LinkKind[]).map((k) => k.kind).sort();
    assert.deepEqual(kinds, ['bridge', 'ipvlan', 'ipvtap', 'macvlan', 'macvtap', 'veth', 'vlan', 'vxlan']);
    ok({ kind: 'veth', ifname: 'a', peer: { ifname: 'b' } });
    ok({ kind: 'bridge', ifname: 'br0' });
    ok({ kind: 'vxlan', ifname: 'vx0', vxlan: { id: 42, remote: '10.0.0.2', dev: 'eth0' } });
    ok({ kind: 'macvlan', ifname: 'mv0', macvlan: { parent: 'eth0', mode: 'vepa' } });
    ok({ kind: 'macvtap', ifname: 'mt0', macvlan: { parent: 2 } });
    ok({ kind: 'vlan', ifname: 'v10', vlan: { parent: 'eth0', id: 10, protocol: '802.1Q' } });
    ok({ kind: 'ipvlan', ifname: 'iv0', ipvlan: { parent: 'eth0', mode: 'l3s' } });
    ok({ kind: 'ipvtap', ifname: 'it0', ipvlan: { parent: 'eth0' } });
  });

  it("refuses another kind's options, and options outside their attribute's range", () => {
    refused({ kind: 'veth', ifname: 'a', peer: { ifname: 'b' }, vxlan: { id: 1 } }, /unrecognized_keys/);
    refused({ kind: 'bridge', ifname: 'br0', macvlan: { parent: 'eth0' } }, /unrecognized_keys/);
    refused({ kind: 'vxlan', ifname: 'vx0', vxlan: { id: 1, mode: 'bridge' } }, /unrecognized_keys/);
    refused({ kind: 'vxlan', ifname: 'vx0', vxlan: { id: 0x1000000 } }, /16777215/);
    refused({ kind: 'vxlan', ifname: 'vx0', vxlan: { id: 1, remote: '10.0.0.2', group: '239.1.1.1' } }, /give one of remote and group/);
    refused({ kind: 'vxlan', ifname: 'vx0', vxlan: { id: 1, local: '10.0.0' } }, /not an IPv4 address/);
    refused({ kind: 'vxlan', ifname: 'vx0', vxlan: { id: 1, port: 0 } }, /greater than or equal to 1/);
    refused({ kind: 'vlan', ifname: 'v', vlan: { parent: 'eth0', id: 4095 } }, /4094/);
    refused({ kind: 'vlan', ifname: 'v', vlan: { parent: 'eth0', id: 1, protocol: '802.1x' } }, /vlan.*protocol/);
    refused({ kind: 'macvlan', ifname: 'm', macvlan: { mode: 'bridge' } }, /parent/);
    refused({ kind: 'ipvlan', ifname: 'i', ipvlan: { parent: 'eth0', mode: 'l4' } }, /mode/);
    refused({ kind: 'dummy', ifname: 'd' }, /invalid_union_discriminator/);
  });

  it('the typed spec does not compile options of another kind (checked by tsc: each line below must be an error)', () => {
    const specs: LinkAddOptions[] = [
      // @ts-expect-error a veth takes no vxlan options
      { kind: 'veth', ifname: 'a', peer: { ifname: 'b' }, vxlan: { id: 1 } },
      // @ts-expect-error a vxlan needs its id
      { kind: 'vxlan', ifname: 'vx0', vxlan: { remote: '10.0.0.2' } },
      // @ts-expect-error a macvlan's mode is one of iproute2's names
      { kind: 'macvlan', ifname: 'm', macvlan: { parent: 'eth0', mode: 'bridged' } },
      // @ts-expect-error a veth needs its peer
      { kind: 'veth', ifname: 'a' },
      { kind: 'vlan', ifname: 'v', vlan: { parent: 'eth0', id: 10 } },
    ];
    assert.equal(specs.length, 5);
  });
});

describe('link kinds: decoding what iproute2 sent', () => {
  it('vlan protocol and ipvlan mode decode to their names, and encode back to the same bytes', () => {
    for (const name of ['link-add-vlan-8021ad-unsupported', 'link-add-ipvlan-l3-private-unsupported']) {
      const bytes = requestOf(fixture(name));
      const [m] = decodeMessages(bytes, RTNETLINK);
      const info = (m as { attrs: { linkinfo: { data: Record<string, unknown> } } }).attrs.linkinfo.data;
      if (name.startsWith('link-add-vlan')) assert.deepEqual(info, { protocol: '802.1ad', id: 20 });
      else assert.deepEqual(info, { mode: 'l3', flags: 1 });
    }
  });
});
