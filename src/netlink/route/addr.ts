// rtnetlink addresses: struct ifaddrmsg and the IFA_* attributes, like
// `ip addr add/del/show`. Numbers from linux/if_addr.h and rtnetlink.h and
// the kernel's YNL spec rt-addr.yaml.

import { attrs, struct, cstring, ip, ipv4, u8, u32, s32, type AttrsOf } from '../attr.js';

export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

export { IFADDRMSG, type IfAddrMsg } from './headers.js';

/** Address flags: the low 8 bits also travel in ifaddrmsg.flags, all of them in IFA_FLAGS. */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_TEMPORARY = IFA_F_SECONDARY;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_MANAGETEMPADDR = 0x100;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFA_F_MCAUTOJOIN = 0x400;
export const IFA_F_STABLE_PRIVACY = 0x800;

/** IFA_PROTO values: who added the address. */
export const IFAPROT_UNSPEC = 0;
export const IFAPROT_KERNEL_LO = 1;
export const IFAPROT_KERNEL_RA = 2;
export const IFAPROT_KERNEL_LL = 3;

/** Scopes (enum rt_scope_t), used by ifaddrmsg.scope and rtmsg.scope. */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

/** Lifetime value meaning "forever" in ifa_cacheinfo. */
export const INFINITY_LIFE_TIME = 0xffffffff;

/**
 * struct ifa_cacheinfo: lifetimes in seconds (0xffffffff = forever),
 * timestamps in hundredths of a second since boot.
 */
export const IFA_CACHEINFO = struct('ifa_cacheinfo', [
  ['prefered', 'u32'], ['valid', 'u32'], ['cstamp', 'u32'], ['tstamp', 'u32'],
] as const);

export const IFA = attrs('IFA', {
  /** The prefix address (the peer, on point-to-point links). */
  address: [1, ip],
  /** The local address (IPv4; same as address unless point-to-point). */
  local: [2, ip],
  label: [3, cstring],
  broadcast: [4, ipv4],
  anycast: [5, ip],
  cacheinfo: [6, IFA_CACHEINFO],
  multicast: [7, ip],
  /** IFA_F_* bits, all 32 of them. */
  flags: [8, u32],
  /** Metric of the prefix route. */
  rtPriority: [9, u32],
  targetNetnsid: [10, s32],
  /** IFAPROT_*. */
  proto: [11, u8],
});
export type AddrAttrs = AttrsOf<typeof IFA>;
