// vlan (802.1Q/802.1ad): IFLA_INFO_DATA (IFLA_VLAN_*). Numbers from
// linux/if_link.h; the protocol is big-endian on the wire.

import { attrs, nested, struct, u16, be16, enumOf, type AttrsOf } from '../../attr.js';
import { defineKind } from './kind.js';

export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

/** ifla_vlan_flags bits. */
export const VLAN_FLAG_REORDER_HDR = 0x1;
export const VLAN_FLAG_GVRP = 0x2;
export const VLAN_FLAG_LOOSE_BINDING = 0x4;
export const VLAN_FLAG_MVRP = 0x8;
export const VLAN_FLAG_BRIDGE_BINDING = 0x10;

/** struct ifla_vlan_flags: `mask` says which `flags` a request changes. */
export const VLAN_FLAGS = struct('ifla_vlan_flags', [['flags', 'u32'], ['mask', 'u32']] as const);

/** struct ifla_vlan_qos_mapping: skb priority `from` to VLAN PCP `to` (egress), or back (ingress). */
export const VLAN_QOS_MAPPING = struct('ifla_vlan_qos_mapping', [['from', 'u32'], ['to', 'u32']] as const);

export const VLAN_QOS = attrs('IFLA_VLAN_QOS', {
  mapping: [1, VLAN_QOS_MAPPING, { multi: true }],
});

export const VLAN = attrs('IFLA_VLAN', {
  id: [1, u16],
  flags: [2, VLAN_FLAGS],
  egressQos: [3, nested(VLAN_QOS)],
  ingressQos: [4, nested(VLAN_QOS)],
  /** ETH_P_8021Q or ETH_P_8021AD, by iproute2's names; big-endian on the wire. */
  protocol: [5, enumOf(be16, 'vlan_protocol', { 0x8100: '802.1Q', 0x88a8: '802.1ad' } as const)],
});
export type VlanAttrs = AttrsOf<typeof VLAN>;

/** Like `ip link add NAME link PARENT type vlan [protocol 802.1Q|802.1ad] id VID`. */
export const vlan = defineKind({
  kind: 'vlan',
  key: 'vlan',
  data: VLAN,
  options: {
    parent: { attr: 'link', parent: true, link: true, required: true },
    protocol: { attr: 'protocol' },
    id: { attr: 'id', required: true, max: 4094 },
  },
});
