// The fixed headers that open every rtnetlink message body. Kept apart from
// the attribute tables so tables that refer to each other (a veth peer holds
// an ifinfomsg and IFLA attributes) can import them without a cycle.

import { struct } from '../attr.js';

/** struct ifinfomsg (16 bytes): `index` is the ifindex; `change` masks which `flags` to apply. */
export const IFINFOMSG = struct('ifinfomsg', [
  ['family', 'u8'], ['pad', 'pad8'], ['type', 'u16'], ['index', 's32'], ['flags', 'u32'], ['change', 'u32'],
] as const);
export type IfInfoMsg = ReturnType<typeof IFINFOMSG.read>;

/** struct ifaddrmsg (8 bytes). */
export const IFADDRMSG = struct('ifaddrmsg', [
  ['family', 'u8'], ['prefixlen', 'u8'], ['flags', 'u8'], ['scope', 'u8'], ['index', 'u32'],
] as const);
export type IfAddrMsg = ReturnType<typeof IFADDRMSG.read>;

/** struct rtmsg (12 bytes). */
export const RTMSG = struct('rtmsg', [
  ['family', 'u8'], ['dstLen', 'u8'], ['srcLen', 'u8'], ['tos', 'u8'],
  ['table', 'u8'], ['protocol', 'u8'], ['scope', 'u8'], ['type', 'u8'], ['flags', 'u32'],
] as const);
export type RtMsg = ReturnType<typeof RTMSG.read>;

/** struct ndmsg (12 bytes). */
export const NDMSG = struct('ndmsg', [
  ['family', 'u8'], ['pad1', 'pad8'], ['pad2', 'pad16'], ['ifindex', 's32'], ['state', 'u16'], ['flags', 'u8'], ['type', 'u8'],
] as const);
export type NdMsg = ReturnType<typeof NDMSG.read>;

/** struct rtgenmsg (1 byte, padded to 4): the header of RTM_*NSID messages. */
export const RTGENMSG = struct('rtgenmsg', [['family', 'u8']] as const);
export type RtGenMsg = ReturnType<typeof RTGENMSG.read>;
