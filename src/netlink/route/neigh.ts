// rtnetlink neighbours: struct ndmsg and the NDA_* attributes, like
// `ip neigh add/del/show` and `bridge fdb` (family AF_BRIDGE), plus the
// neighbour-table messages of `ip ntable show` (struct ndtmsg, NDTA_*).
// Numbers from linux/neighbour.h and rtnetlink.h and the YNL spec
// rt-neigh.yaml; NDA_PORT is big-endian on the wire (the VXLAN fdb sends it so).

import { attrs, struct, nested, binary, cstring, ip, lladdr, u8, u16, u32, s32, u64, be16, type AttrsOf } from '../attr.js';

export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;
export const RTM_NEWNEIGHTBL = 64;
export const RTM_GETNEIGHTBL = 66;
export const RTM_SETNEIGHTBL = 67;

export { NDMSG, type NdMsg } from './headers.js';

/** Neighbour states (ndmsg.state), like `ip neigh ... nud permanent`. */
export const NUD_NONE = 0x00;
export const NUD_INCOMPLETE = 0x01;
export const NUD_REACHABLE = 0x02;
export const NUD_STALE = 0x04;
export const NUD_DELAY = 0x08;
export const NUD_PROBE = 0x10;
export const NUD_FAILED = 0x20;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;

/** ndmsg.flags */
export const NTF_USE = 1 << 0;
export const NTF_SELF = 1 << 1;
export const NTF_MASTER = 1 << 2;
export const NTF_PROXY = 1 << 3;
export const NTF_EXT_LEARNED = 1 << 4;
export const NTF_OFFLOADED = 1 << 5;
export const NTF_STICKY = 1 << 6;
export const NTF_ROUTER = 1 << 7;

/** NDA_FLAGS_EXT bits. */
export const NTF_EXT_MANAGED = 1 << 0;
export const NTF_EXT_LOCKED = 1 << 1;
export const NTF_EXT_EXT_VALIDATED = 1 << 2;

/** struct nda_cacheinfo: ages in clock ticks (USER_HZ), and the reference count. */
export const NDA_CACHEINFO = struct('nda_cacheinfo', [
  ['confirmed', 'u32'], ['used', 'u32'], ['updated', 'u32'], ['refcnt', 'u32'],
] as const);

export const NDA = attrs('NDA', {
  dst: [1, ip],
  lladdr: [2, lladdr],
  cacheinfo: [3, NDA_CACHEINFO],
  probes: [4, u32],
  /** Bridge fdb VLAN id. */
  vlan: [5, u16],
  /** VXLAN fdb remote UDP port, big-endian. */
  port: [6, be16],
  /** VXLAN fdb remote VNI. */
  vni: [7, u32],
  /** VXLAN fdb: ifindex of the device to reach the remote through. */
  ifindex: [8, u32],
  /** ifindex of the master (bridge) device. */
  master: [9, u32],
  linkNetnsid: [10, s32],
  srcVni: [11, u32],
  protocol: [12, u8],
  nhId: [13, u32],
  /** Nested NFEA_* (activity notification), kept as bytes. */
  fdbExtAttrs: [14, binary],
  flagsExt: [15, u32],
  /** Dump filters (requests only). */
  ndmStateMask: [16, u16],
  ndmFlagsMask: [17, u8],
});
export type NeighAttrs = AttrsOf<typeof NDA>;

/** struct ndtmsg (1 byte, padded to 4): the header of RTM_*NEIGHTBL messages. */
export const NDTMSG = struct('ndtmsg', [['family', 'u8'], ['pad1', 'pad8'], ['pad2', 'pad16']] as const);
export type NdtMsg = ReturnType<typeof NDTMSG.read>;

/** struct ndt_config (read only). */
export const NDT_CONFIG = struct('ndt_config', [
  ['keyLen', 'u16'], ['entrySize', 'u16'], ['entries', 'u32'], ['lastFlush', 'u32'], ['lastRand', 'u32'],
  ['hashRnd', 'u32'], ['hashMask', 'u32'], ['hashChainGc', 'u32'], ['proxyQlen', 'u32'],
] as const);

/** struct ndt_stats (read only): u64 counters. */
export const NDT_STATS = struct('ndt_stats', [
  ['allocs', 'u64'], ['destroys', 'u64'], ['hashGrows', 'u64'], ['resFailed', 'u64'], ['lookups', 'u64'],
  ['hits', 'u64'], ['rcvProbesMcast', 'u64'], ['rcvProbesUcast', 'u64'], ['periodicGcRuns', 'u64'],
  ['forcedGcRuns', 'u64'], ['tableFulls', 'u64'],
] as const);

/** NDTA_PARMS: per-table or per-device parameters; times in milliseconds. */
export const NDTPA = attrs('NDTPA', {
  ifindex: [1, u32],
  refcnt: [2, u32],
  reachableTime: [3, u64],
  baseReachableTime: [4, u64],
  retransTime: [5, u64],
  gcStaletime: [6, u64],
  delayProbeTime: [7, u64],
  queueLen: [8, u32],
  appProbes: [9, u32],
  ucastProbes: [10, u32],
  mcastProbes: [11, u32],
  anycastDelay: [12, u64],
  proxyDelay: [13, u64],
  proxyQlen: [14, u32],
  locktime: [15, u64],
  queueLenbytes: [16, u32],
  mcastReprobes: [17, u32],
  pad: [18, binary],
  intervalProbeTimeMs: [19, u64],
});

export const NDTA = attrs('NDTA', {
  name: [1, cstring],
  thresh1: [2, u32],
  thresh2: [3, u32],
  thresh3: [4, u32],
  config: [5, NDT_CONFIG],
  parms: [6, nested(NDTPA)],
  stats: [7, NDT_STATS],
  /** Milliseconds. */
  gcInterval: [8, u64],
  pad: [9, binary],
});
export type NeighTableAttrs = AttrsOf<typeof NDTA>;
