// ipvlan: IFLA_INFO_DATA (IFLA_IPVLAN_*). Numbers from linux/if_link.h; both
// attributes are u16 on the wire.

import { attrs, u16, u16Enum, type AttrsOf } from '../../attr.js';
import { defineKind } from './kind.js';

export const IPVLAN_MODE_L2 = 0;
export const IPVLAN_MODE_L3 = 1;
export const IPVLAN_MODE_L3S = 2;

export const IPVLAN_F_PRIVATE = 0x01;
export const IPVLAN_F_VEPA = 0x02;

/** IFLA_IPVLAN_MODE as iproute2 names it (`mode l3s`); unknown numbers stay numbers. */
export const ipvlanMode = u16Enum('ipvlan_mode', { 0: 'l2', 1: 'l3', 2: 'l3s' } as const);

export const IPVLAN = attrs('IFLA_IPVLAN', {
  mode: [1, ipvlanMode],
  /** IPVLAN_F_* bits (0 is "bridge"). */
  flags: [2, u16],
});
export type IpvlanAttrs = AttrsOf<typeof IPVLAN>;

const ipvlanOptions = {
  parent: { attr: 'link', parent: true, link: true, required: true },
  mode: { attr: 'mode' },
  /** IPVLAN_F_PRIVATE, IPVLAN_F_VEPA (0: bridge). */
  flags: { attr: 'flags', max: 3, default: 0 },
} as const;

/** Like `ip link add NAME link PARENT type ipvlan mode l2|l3|l3s [private|vepa]`. */
export const ipvlan = defineKind({ kind: 'ipvlan', key: 'ipvlan', data: IPVLAN, options: ipvlanOptions });
/** Like `ip link add NAME link PARENT type ipvtap ...`; same options, under `ipvlan`. */
export const ipvtap = defineKind({ kind: 'ipvtap', key: 'ipvlan', data: IPVLAN, options: ipvlanOptions });
