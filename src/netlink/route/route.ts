// rtnetlink routes: struct rtmsg and the RTA_* attributes, like
// `ip route add/del/show`, including RTA_MULTIPATH's list of next hops and
// the RTA_METRICS (RTAX_*) set. Numbers from linux/rtnetlink.h and the
// kernel's YNL spec rt-route.yaml.

import { u16At, s32At } from '../bytes.js';
import {
  RAW, attrs, struct, nested, decodeAttrs, encodeAttrs, binary, cstring, ip, u8, u16, u32, be16, be32,
  type AttrsOf, type Codec,
} from '../attr.js';

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

export { RTMSG, type RtMsg } from './headers.js';

/** rtmsg.type */
export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;
export const RTN_NAT = 10;
export const RTN_XRESOLVE = 11;

/** rtmsg.protocol: who installed the route (`ip route ... proto static`). */
export const RTPROT_UNSPEC = 0;
export const RTPROT_REDIRECT = 1;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RTPROT_GATED = 8;
export const RTPROT_RA = 9;
export const RTPROT_MRT = 10;
export const RTPROT_ZEBRA = 11;
export const RTPROT_BIRD = 12;
export const RTPROT_DNROUTED = 13;
export const RTPROT_XORP = 14;
export const RTPROT_NTK = 15;
export const RTPROT_DHCP = 16;
export const RTPROT_MROUTED = 17;
export const RTPROT_KEEPALIVED = 18;
export const RTPROT_BABEL = 42;
export const RTPROT_OPENR = 99;
export const RTPROT_BGP = 186;
export const RTPROT_ISIS = 187;
export const RTPROT_OSPF = 188;
export const RTPROT_RIP = 189;
export const RTPROT_EIGRP = 192;

/**
 * Routing tables. Kernel replies carry the full id in RTA_TABLE; rtmsg.table
 * holds ids below 256, and RT_TABLE_COMPAT (kernel replies) or RT_TABLE_UNSPEC
 * (iproute2 requests) for bigger ones.
 */
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** rtmsg.flags */
export const RTM_F_NOTIFY = 0x100;
export const RTM_F_CLONED = 0x200;
export const RTM_F_EQUALIZE = 0x400;
export const RTM_F_PREFIX = 0x800;
export const RTM_F_LOOKUP_TABLE = 0x1000;
export const RTM_F_FIB_MATCH = 0x2000;
export const RTM_F_OFFLOAD = 0x4000;
export const RTM_F_TRAP = 0x8000;
export const RTM_F_OFFLOAD_FAILED = 0x20000000;

/** rtnexthop.flags (and rtmsg.flags for single-path routes). */
export const RTNH_F_DEAD = 1;
export const RTNH_F_PERVASIVE = 2;
export const RTNH_F_ONLINK = 4;
export const RTNH_F_OFFLOAD = 8;
export const RTNH_F_LINKDOWN = 16;
export const RTNH_F_UNRESOLVED = 32;
export const RTNH_F_TRAP = 64;

/** RTAX_FEATURES bits. */
export const RTAX_FEATURE_ECN = 1 << 0;
export const RTAX_FEATURE_SACK = 1 << 1;
export const RTAX_FEATURE_TIMESTAMP = 1 << 2;
export const RTAX_FEATURE_ALLFRAG = 1 << 3;

/** RTA_PREF values (IPv6 router preference, linux/icmpv6.h). */
export const ICMPV6_ROUTER_PREF_MEDIUM = 0;
export const ICMPV6_ROUTER_PREF_HIGH = 1;
export const ICMPV6_ROUTER_PREF_LOW = 3;

/** struct rta_cacheinfo. `expires` is in jiffies-derived clock ticks, signed. */
export const RTA_CACHEINFO = struct('rta_cacheinfo', [
  ['clntref', 'u32'], ['lastuse', 'u32'], ['expires', 's32'], ['error', 'u32'],
  ['used', 'u32'], ['id', 'u32'], ['ts', 'u32'], ['tsage', 'u32'],
] as const);

/** RTA_METRICS: per-route TCP and path metrics (`ip route ... mtu 1400 congctl cubic`). */
export const RTAX = attrs('RTAX', {
  /** Bit per RTAX_* metric that is locked (`mtu lock 1400`). */
  lock: [1, u32],
  mtu: [2, u32],
  window: [3, u32],
  rtt: [4, u32],
  rttvar: [5, u32],
  ssthresh: [6, u32],
  cwnd: [7, u32],
  advmss: [8, u32],
  reordering: [9, u32],
  hoplimit: [10, u32],
  initcwnd: [11, u32],
  features: [12, u32],
  rtoMin: [13, u32],
  initrwnd: [14, u32],
  quickack: [15, u32],
  ccAlgo: [16, cstring],
  fastopenNoCookie: [17, u32],
});
export type RouteMetrics = AttrsOf<typeof RTAX>;

/**
 * One struct rtnexthop of RTA_MULTIPATH and the RTA_* attributes that follow
 * it (gateway, via, flow, encap...). `hops` is the weight minus one
 * (`nexthop via X weight 3` has hops 2); `ifindex` is the output device.
 */
export interface NextHop {
  flags: number;
  hops: number;
  ifindex: number;
  attrs: RouteAttrs;
}

const RTNEXTHOP_SIZE = 8;

/**
 * RTA_MULTIPATH: a sequence of rtnexthop, each `rtnh_len` long including its
 * own attributes. A layout we cannot reproduce byte for byte (a short or
 * unaligned rtnh_len, trailing bytes) stays raw.
 */
export const multipath: Codec<NextHop[]> = {
  name: 'rtnexthop[]',
  decode(b, off, len, depth) {
    const out: NextHop[] = [];
    const end = off + len;
    while (off < end) {
      if (end - off < RTNEXTHOP_SIZE) return RAW;
      const nhLen = u16At(b, off);
      if (nhLen < RTNEXTHOP_SIZE || nhLen > end - off || nhLen % 4 !== 0) return RAW;
      out.push({
        flags: b[off + 2],
        hops: b[off + 3],
        ifindex: s32At(b, off + 4),
        attrs: decodeAttrs(RTA, b, off + RTNEXTHOP_SIZE, off + nhLen, depth),
      });
      off += nhLen;
    }
    return out;
  },
  encode(w, nexthops) {
    for (const nh of nexthops) {
      const start = w.pos;
      w.u16(0); // rtnh_len, patched below
      w.u8(nh.flags ?? 0);
      w.u8(nh.hops ?? 0);
      w.s32(nh.ifindex ?? 0);
      encodeAttrs(w, RTA, nh.attrs ?? {});
      w.patchU16(start, w.pos - start);
    }
  },
};

export const RTA = attrs('RTA', {
  /** Address text by payload length (an AF_MPLS label, 4 bytes, reads as a dotted quad; bytes are kept exactly). */
  dst: [1, ip],
  src: [2, ip],
  /** Input interface (policy lookups, multicast). */
  iif: [3, u32],
  /** Output interface ifindex. */
  oif: [4, u32],
  gateway: [5, ip],
  /** The metric (`ip route ... metric 20`). */
  priority: [6, u32],
  prefsrc: [7, ip],
  metrics: [8, nested(RTAX)],
  multipath: [9, multipath],
  protoinfo: [10, binary],
  /** Realms (`realm`): to << 16 | from. */
  flow: [11, u32],
  cacheinfo: [12, RTA_CACHEINFO],
  session: [13, binary],
  mpAlgo: [14, binary],
  /** Full table id (rtmsg.table holds only 8 bits). */
  table: [15, u32],
  mark: [16, u32],
  /** struct rta_mfc_stats (multicast routes). */
  mfcStats: [17, binary],
  /** struct rtvia: u16 address family, then the address (gateway of another family). */
  via: [18, binary],
  /** MPLS label stack to swap in. */
  newdst: [19, binary],
  /** ICMPV6_ROUTER_PREF_*. */
  pref: [20, u8],
  /** LWTUNNEL_ENCAP_* type of `encap`. */
  encapType: [21, u16],
  /** Lightweight tunnel encapsulation: a nested set that depends on encapType. */
  encap: [22, binary],
  /** Seconds until an IPv6 route expires, u32. (Multicast routes send a u64 here, which stays raw.) */
  expires: [23, u32],
  pad: [24, binary],
  uid: [25, u32],
  ttlPropagate: [26, u8],
  ipProto: [27, u8],
  sport: [28, be16],
  dport: [29, be16],
  /** Nexthop object id (`ip route ... nhid 5`). */
  nhId: [30, u32],
  /** IPv6 flow label for lookups (RTM_GETROUTE); not in the 6.1 uapi headers. */
  flowlabel: [31, be32],
});
export type RouteAttrs = AttrsOf<typeof RTA>;
