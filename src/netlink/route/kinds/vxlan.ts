// vxlan: IFLA_INFO_DATA of a VXLAN device (IFLA_VXLAN_*). Numbers from
// linux/if_link.h; wire types as vxlan_fill_info sends them: the destination
// port, the source port range and the IPv6 flow label are big-endian, the
// on/off options are u8 0/1 except GBP, GPE and REMCSUM_NOPARTIAL (flags).

import { attrs, binary, flag, ip, ipv4, oneOf, struct, u8, u32, be16, be32, type AttrsOf } from '../../attr.js';
import { defineKind } from './kind.js';

/** struct ifla_vxlan_port_range: UDP source ports, both big-endian. */
export const portRange = struct('ifla_vxlan_port_range', [['low', 'be16'], ['high', 'be16']] as const);
export type PortRange = ReturnType<typeof portRange.read>;

/**
 * IFLA_VXLAN_TTL_INHERIT: iproute2 requests send it as a flag (no payload),
 * the kernel reports it as a u8 0/1; each is encoded the way it came.
 */
export const flagOrU8 = oneOf('flag|u8', flag, u8, (v) => (v === true ? 0 : 1));

/** IFLA_VXLAN_DF values. */
export const VXLAN_DF_UNSET = 0;
export const VXLAN_DF_SET = 1;
export const VXLAN_DF_INHERIT = 2;

/** IFLA_VXLAN_LABEL_POLICY values. */
export const VXLAN_LABEL_FIXED = 0;
export const VXLAN_LABEL_INHERIT = 1;

export const VXLAN = attrs('IFLA_VXLAN', {
  /** The VNI (24 bits), host order. */
  id: [1, u32],
  /** Remote (unicast) or multicast group, IPv4. */
  group: [2, ipv4],
  /** ifindex of the underlying device. */
  link: [3, u32],
  local: [4, ipv4],
  ttl: [5, u8],
  tos: [6, u8],
  learning: [7, u8],
  /** fdb ageing, seconds. */
  ageing: [8, u32],
  /** Max fdb entries, 0 = unlimited. */
  limit: [9, u32],
  portRange: [10, portRange],
  proxy: [11, u8],
  rsc: [12, u8],
  l2miss: [13, u8],
  l3miss: [14, u8],
  /** UDP destination port (4789 is IANA's), big-endian on the wire. */
  port: [15, be16],
  group6: [16, ip],
  local6: [17, ip],
  udpCsum: [18, u8],
  udpZeroCsum6Tx: [19, u8],
  udpZeroCsum6Rx: [20, u8],
  remcsumTx: [21, u8],
  remcsumRx: [22, u8],
  gbp: [23, flag],
  remcsumNopartial: [24, flag],
  collectMetadata: [25, u8],
  /** IPv6 flow label, big-endian. */
  label: [26, be32],
  gpe: [27, flag],
  /** `true` in requests (a flag), 0 or 1 in kernel replies. */
  ttlInherit: [28, flagOrU8],
  df: [29, u8],
  vnifilter: [30, u8],
  /** Newer than the 6.1 uapi headers (as are the attributes below). */
  localbypass: [31, u8],
  /** VXLAN_LABEL_FIXED / VXLAN_LABEL_INHERIT. */
  labelPolicy: [32, u32],
  /** Which VXLAN header bits may be set (struct vxlanhdr, 8 bytes). */
  reservedBits: [33, binary],
  /** Route multicast traffic instead of sending it on the link */
  mcRoute: [34, u8],
});
export type VxlanAttrs = AttrsOf<typeof VXLAN>;

/**
 * Like `ip link add NAME type vxlan id VNI [remote IP] [local IP] [dev DEV]
 * [ttl N] [nolearning] dstport PORT`. The port defaults to IANA's 4789.
 */
export const vxlan = defineKind({
  kind: 'vxlan',
  key: 'vxlan',
  data: VXLAN,
  options: {
    dev: { attr: 'link', link: true },
    ttl: { attr: 'ttl' },
    id: { attr: 'id', required: true, max: 0xffffff },
    local: { attr: 'local' },
    remote: { attr: 'group' },
    group: { attr: 'group' },
    learning: { attr: 'learning', boolean: true },
    port: { attr: 'port', min: 1, default: 4789 },
  },
});
