// ipvlan: IFLA_INFO_DATA (IFLA_IPVLAN_*). Numbers from linux/if_link.h; both
// attributes are u16 on the wire.

import { u16At } from '../../bytes.js';
import { EncodeError } from '../../errors.js';
import { RAW, attrs, u16, type AttrsOf, type Codec } from '../../attr.js';

export const IPVLAN_MODE_L2 = 0;
export const IPVLAN_MODE_L3 = 1;
export const IPVLAN_MODE_L3S = 2;

export const IPVLAN_F_PRIVATE = 0x01;
export const IPVLAN_F_VEPA = 0x02;

const MODE_NAMES: Record<number, 'l2' | 'l3' | 'l3s'> = { 0: 'l2', 1: 'l3', 2: 'l3s' };
const MODE_NUMBERS = new Map<string, number>([['l2', 0], ['l3', 1], ['l3s', 2]]);

/** IFLA_IPVLAN_MODE as iproute2 names it (`mode l3s`); unknown numbers stay numbers. */
export const ipvlanMode: Codec<'l2' | 'l3' | 'l3s' | number> = {
  name: 'ipvlan_mode',
  decode: (b, off, len) => (len === 2 ? (MODE_NAMES[u16At(b, off)] ?? u16At(b, off)) : RAW),
  encode(w, v) {
    const n = typeof v === 'number' ? v : MODE_NUMBERS.get(v);
    if (n === undefined) throw new EncodeError(`ipvlan_mode: unknown value ${JSON.stringify(v)}`);
    w.u16(n);
  },
};

export const IPVLAN = attrs('IFLA_IPVLAN', {
  mode: [1, ipvlanMode],
  /** IPVLAN_F_* bits (0 is "bridge"). */
  flags: [2, u16],
});
export type IpvlanAttrs = AttrsOf<typeof IPVLAN>;
