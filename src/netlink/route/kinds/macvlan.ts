// macvlan and macvtap: IFLA_INFO_DATA (IFLA_MACVLAN_*, one table for both
// kinds). Numbers from linux/if_link.h; wire types as macvlan_fill_info sends
// them (FLAGS is a u16).

import { attrs, nested, lladdr, u16, u32, s32, u32Enum, type AttrsOf } from '../../attr.js';
import { defineKind } from './kind.js';

export const MACVLAN_MODE_PRIVATE = 1;
export const MACVLAN_MODE_VEPA = 2;
export const MACVLAN_MODE_BRIDGE = 4;
export const MACVLAN_MODE_PASSTHRU = 8;
export const MACVLAN_MODE_SOURCE = 16;

/** IFLA_MACVLAN_MACADDR_MODE: what a request does with IFLA_MACVLAN_MACADDR(_DATA) in source mode. */
export const MACVLAN_MACADDR_ADD = 0;
export const MACVLAN_MACADDR_DEL = 1;
export const MACVLAN_MACADDR_FLUSH = 2;
export const MACVLAN_MACADDR_SET = 3;

export const MACVLAN_FLAG_NOPROMISC = 1;
export const MACVLAN_FLAG_NODST = 2;

/** The mode as iproute2 names it (`ip link add ... type macvlan mode bridge`). */
export const macvlanMode = u32Enum('macvlan_mode', {
  1: 'private', 2: 'vepa', 4: 'bridge', 8: 'passthru', 16: 'source',
} as const);

/** IFLA_MACVLAN_MACADDR_DATA: the source-mode MAC list. */
export const MACVLAN_MACADDR_LIST = attrs('IFLA_MACVLAN_MACADDR_DATA', {
  macaddr: [4, lladdr, { multi: true }],
});

export const MACVLAN = attrs('IFLA_MACVLAN', {
  mode: [1, macvlanMode],
  /** MACVLAN_FLAG_* bits. */
  flags: [2, u16],
  /** Request only: MACVLAN_MACADDR_ADD/DEL/FLUSH/SET. */
  macaddrMode: [3, u32],
  /** Request only: the one MAC to add or delete. */
  macaddr: [4, lladdr],
  macaddrData: [5, nested(MACVLAN_MACADDR_LIST)],
  macaddrCount: [6, u32],
  bcQueueLen: [7, u32],
  bcQueueLenUsed: [8, u32],
  /** Not in the 6.1 uapi headers; sent only when not the default (1). */
  bcCutoff: [9, s32],
});
export type MacvlanAttrs = AttrsOf<typeof MACVLAN>;

const macvlanOptions = {
  parent: { attr: 'link', parent: true, link: true, required: true },
  mode: { attr: 'mode', default: 'bridge' },
} as const;

/** Like `ip link add NAME link PARENT type macvlan mode MODE` (bridge by default). */
export const macvlan = defineKind({ kind: 'macvlan', key: 'macvlan', data: MACVLAN, options: macvlanOptions });
/** Like `ip link add NAME link PARENT type macvtap mode MODE`: a macvlan with a tap device; same options, under `macvlan`. */
export const macvtap = defineKind({ kind: 'macvtap', key: 'macvlan', data: MACVLAN, options: macvlanOptions });
