// rtnetlink links: struct ifinfomsg and the IFLA_* attributes, with
// IFLA_LINKINFO's data keyed by link kind (see ./kinds/*). Numbers from
// linux/if_link.h and the kernel's YNL spec rt-link.yaml.

import {
  attrs, struct, nested, binary, cstring, string, lladdr, u8, u16, u32, s32, uint, u64Struct, NLA_F_NESTED, type AttrsOf,
} from '../attr.js';
import { linkInfoCodecs } from './kinds/index.js';
import { vethTable } from './kinds/veth.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
/** Alternative names: `ip link property add dev X altname Y`. */
export const RTM_NEWLINKPROP = 108;
export const RTM_DELLINKPROP = 109;

export { IFINFOMSG, type IfInfoMsg } from './headers.js';

// Interface flags (linux/if.h) used by link up/down.
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_PROMISC = 0x100;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;

/** IF_OPER_* (RFC 2863 operational state), as iproute2 prints them. */
export const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'] as const;

/** RTEXT_FILTER_* bits for IFLA_EXT_MASK. */
export const RTEXT_FILTER_VF = 1;
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

const STAT_NAMES = [
  'rxPackets', 'txPackets', 'rxBytes', 'txBytes', 'rxErrors', 'txErrors', 'rxDropped', 'txDropped',
  'multicast', 'collisions', 'rxLengthErrors', 'rxOverErrors', 'rxCrcErrors', 'rxFrameErrors',
  'rxFifoErrors', 'rxMissedErrors', 'txAbortedErrors', 'txCarrierErrors', 'txFifoErrors',
  'txHeartbeatErrors', 'txWindowErrors', 'rxCompressed', 'txCompressed', 'rxNohandler',
] as const;

/** struct rtnl_link_stats (u32 counters). */
export const STATS = struct('rtnl_link_stats', STAT_NAMES.map((n) => [n, 'u32'] as const) as unknown as readonly (readonly [typeof STAT_NAMES[number], 'u32'])[]);
/** struct rtnl_link_stats64; newer kernels append fields, which the struct codec keeps in `extra`. */
export const STATS64 = u64Struct('rtnl_link_stats64', [...STAT_NAMES, 'rxOtherhostDropped'] as const);

const PROP_LIST = attrs('IFLA_PROP_LIST', {
  altIfname: [53, cstring, { multi: true }],
});

const XDP = attrs('IFLA_XDP', {
  fd: [1, s32],
  attached: [2, u8],
  flags: [3, u32],
  progId: [4, u32],
  drvProgId: [5, u32],
  skbProgId: [6, u32],
  hwProgId: [7, u32],
  expectedFd: [8, s32],
});

const PROTO_DOWN_REASON = attrs('IFLA_PROTO_DOWN_REASON', {
  mask: [1, u32],
  value: [2, u32],
});

/** IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA, laid out by the link kinds' registry (./kinds). */
const INFO = linkInfoCodecs(() => IFLA);

export const LINKINFO = attrs('IFLA_LINKINFO', {
  kind: [1, string],
  data: [2, INFO.data],
  xstats: [3, binary],
  slaveKind: [4, cstring],
  slaveData: [5, INFO.slaveData],
});

export const IFLA = attrs('IFLA', {
  address: [1, lladdr],
  broadcast: [2, lladdr],
  ifname: [3, cstring],
  mtu: [4, u32],
  link: [5, u32],
  qdisc: [6, cstring],
  /** The 32-bit counters: kept as bytes (decode with STATS if needed); stats64 has the same, wider. */
  stats: [7, binary],
  cost: [8, binary],
  priority: [9, binary],
  master: [10, u32],
  wireless: [11, binary],
  protinfo: [12, binary],
  txqlen: [13, u32],
  map: [14, binary],
  weight: [15, u32],
  operstate: [16, u8],
  linkmode: [17, u8],
  linkinfo: [18, nested(LINKINFO)],
  netNsPid: [19, u32],
  ifalias: [20, string],
  numVf: [21, u32],
  vfinfoList: [22, binary],
  stats64: [23, STATS64],
  vfPorts: [24, binary],
  portSelf: [25, binary],
  /** Per-family data (inet/inet6 config): kept as bytes. */
  afSpec: [26, binary],
  group: [27, u32],
  netNsFd: [28, u32],
  extMask: [29, u32],
  promiscuity: [30, u32],
  numTxQueues: [31, u32],
  numRxQueues: [32, u32],
  carrier: [33, u8],
  physPortId: [34, binary],
  carrierChanges: [35, u32],
  physSwitchId: [36, binary],
  linkNetnsid: [37, s32],
  physPortName: [38, cstring],
  protoDown: [39, u8],
  gsoMaxSegs: [40, u32],
  gsoMaxSize: [41, u32],
  pad: [42, binary],
  xdp: [43, nested(XDP)],
  event: [44, u32],
  newNetnsid: [45, s32],
  targetNetnsid: [46, s32],
  carrierUpCount: [47, u32],
  carrierDownCount: [48, u32],
  newIfindex: [49, s32],
  minMtu: [50, u32],
  maxMtu: [51, u32],
  propList: [52, nested(PROP_LIST, { flag: true })],
  altIfname: [53, cstring],
  permAddress: [54, lladdr],
  protoDownReason: [55, nested(PROTO_DOWN_REASON)],
  parentDevName: [56, cstring],
  parentDevBusName: [57, cstring],
  groMaxSize: [58, u32],
  tsoMaxSize: [59, u32],
  tsoMaxSegs: [60, u32],
  allmulti: [61, u32],
  /** An empty nest the kernel flags NLA_F_NESTED. */
  devlinkPort: [62, binary, { flags: NLA_F_NESTED }],
  gsoIpv4MaxSize: [63, u32],
  groIpv4MaxSize: [64, u32],
  dpllPin: [65, binary, { flags: NLA_F_NESTED }],
  maxPacingOffloadHorizon: [66, uint],
  netnsImmutable: [67, u8],
  headroom: [68, u16],
  tailroom: [69, u16],
});

export type LinkAttrs = AttrsOf<typeof IFLA>;
export type LinkInfoAttrs = AttrsOf<typeof LINKINFO>;

/** VETH_INFO: a veth's IFLA_INFO_DATA (the peer's ifinfomsg and IFLA attributes). */
export const VETH = vethTable(() => IFLA);
export type VethAttrs = AttrsOf<typeof VETH>;
