// Decoded rtnetlink messages → the plain, JSON-serialisable objects the
// library returns. Field names follow `ip -j` where one exists, in camelCase.

import type { LayoutMessage, Message } from '../netlink/message.js';
import { DecodeError } from '../netlink/errors.js';
import { OPERSTATES, type LinkAttrs } from '../netlink/route/link.js';
import type { RouteAttrs } from '../netlink/route/route.js';
import type { AddrAttrs } from '../netlink/route/addr.js';
import type { NeighAttrs } from '../netlink/route/neigh.js';
import type { IfInfoMsg, IfAddrMsg, NdMsg, RtMsg } from '../netlink/route/headers.js';

/**
 * The reply itself, if it decoded with its layout (which the caller names:
 * H and A are what the protocol it was decoded with lays its type out as).
 * One that did not (a type we have no layout for, or shorter than its fixed
 * header) came raw: say so as a DecodeError rather than fail reading its
 * missing fields.
 */
export function withHeader<H, A>(m: Message, what: string): LayoutMessage<H, A> {
  const l = m as Partial<LayoutMessage<H, A>>;
  if (l.header === undefined || l.attrs === undefined) {
    const size = (m as { payload?: Uint8Array }).payload?.length ?? 0;
    throw new DecodeError(`a ${what} reply of type ${m.type} with a ${size}-byte body does not hold a ${what} message`, 0);
  }
  return m as LayoutMessage<H, A>;
}

export interface Link {
  ifindex: number;
  ifname: string;
  /** IFLA_INFO_KIND: 'veth', 'bridge', 'vxlan', ...; undefined for lo and physical devices. */
  kind?: string;
  /** Interface flags as iproute2 prints them: BROADCAST, MULTICAST, UP, LOWER_UP, NO-CARRIER, ... */
  flags: readonly string[];
  up: boolean;
  operstate: string;
  /** Queueing discipline, as `ip link` prints it ('noqueue', 'noop', ...). */
  qdisc?: string;
  mtu?: number;
  address?: string;
  broadcast?: string;
  txqlen?: number;
  group?: number;
  /** Parent or peer ifindex (IFLA_LINK): for a veth, the peer's ifindex in its namespace. */
  link?: number;
  /** The namespace id (as this namespace knows it) where IFLA_LINK lives. */
  linkNetnsid?: number;
  master?: number;
  alias?: string;
  altnames?: string[];
  /** IFLA_INFO_DATA for kinds we decode (vxlan id, macvlan mode, ...). */
  kindData?: Record<string, unknown>;
}

const FLAG_NAMES: [number, string][] = [
  [0x8, 'LOOPBACK'], [0x2, 'BROADCAST'], [0x10, 'POINTOPOINT'], [0x1000, 'MULTICAST'], [0x80, 'NOARP'],
  [0x200, 'ALLMULTI'], [0x100, 'PROMISC'], [0x400, 'MASTER'], [0x800, 'SLAVE'], [0x4, 'DEBUG'],
  [0x8000, 'DYNAMIC'], [0x4000, 'AUTOMEDIA'], [0x2000, 'PORTSEL'], [0x20, 'NOTRAILERS'], [0x1, 'UP'],
  [0x10000, 'LOWER_UP'], [0x20000, 'DORMANT'], [0x40000, 'ECHO'],
];

/** Link flags in iproute2's order, with NO-CARRIER for a link that is up without carrier. */
export function linkFlags(flags: number): readonly string[] {
  let out = FLAG_LISTS.get(flags);
  if (out === undefined) {
    const names: string[] = [];
    if (flags & 0x1 && !(flags & 0x40)) names.push('NO-CARRIER');
    for (const [bit, name] of FLAG_NAMES) if (flags & bit) names.push(name);
    out = Object.freeze(names);
    if (FLAG_LISTS.size < 1024) FLAG_LISTS.set(flags, out);
  }
  return out;
}

/** One frozen list per flags value: a dump's links share a handful, and 10,000 links then hold a handful of arrays. */
const FLAG_LISTS = new Map<number, readonly string[]>();

/** Values safe for JSON: byte arrays become hex strings, nested objects are walked. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

export const toLink = (m: Message): Link => {
  const l = withHeader<IfInfoMsg, LinkAttrs>(m, 'link');
  return linkOf(l.header, l.attrs);
};

/** A Link from ifinfomsg fields and IFLA values (decoded, or read straight from bytes by readers.ts). */
export function linkOf(h: IfInfoMsg, a: LinkAttrs): Link {
  const info = a.linkinfo;
  const kind = info?.kind;
  const ifname = a.ifname as string;
  const operstate = OPERSTATES[a.operstate as number] ?? 'UNKNOWN';
  let link: Link;
  if (kind !== undefined && a.qdisc !== undefined && a.mtu !== undefined && a.address !== undefined && a.broadcast !== undefined && a.txqlen !== undefined && a.group !== undefined) {
    // The usual link (veth, bridge, ...), made in one allocation with one hidden class: dumps of
    // thousands of links spend much of their time here. Same keys, in the same order, as below;
    // a veth's peer index is in the literal too, as a key added later would go to a side array.
    link = a.link !== undefined && a.linkNetnsid === undefined
      ? {
        ifindex: h.index, ifname, flags: linkFlags(h.flags), up: (h.flags & 0x1) !== 0, operstate,
        kind, qdisc: a.qdisc, mtu: a.mtu, address: a.address, broadcast: a.broadcast, txqlen: a.txqlen, group: a.group, link: a.link,
      }
      : {
        ifindex: h.index, ifname, flags: linkFlags(h.flags), up: (h.flags & 0x1) !== 0, operstate,
        kind, qdisc: a.qdisc, mtu: a.mtu, address: a.address, broadcast: a.broadcast, txqlen: a.txqlen, group: a.group,
      };
  } else {
    link = {
      ifindex: h.index,
      ifname,
      flags: linkFlags(h.flags),
      up: (h.flags & 0x1) !== 0,
      operstate,
    };
    if (kind !== undefined) link.kind = kind;
    if (a.qdisc !== undefined) link.qdisc = a.qdisc;
    if (a.mtu !== undefined) link.mtu = a.mtu;
    if (a.address !== undefined) link.address = a.address;
    if (a.broadcast !== undefined) link.broadcast = a.broadcast;
    if (a.txqlen !== undefined) link.txqlen = a.txqlen;
    if (a.group !== undefined) link.group = a.group;
  }
  if (a.link !== undefined) link.link = a.link;
  if (a.linkNetnsid !== undefined) link.linkNetnsid = a.linkNetnsid;
  if (a.master !== undefined) link.master = a.master;
  if (a.ifalias !== undefined) link.alias = a.ifalias;
  if (a.propList?.altIfname) link.altnames = a.propList.altIfname;
  if (info?.data && !(info.data instanceof Uint8Array)) link.kindData = plain(info.data) as Record<string, unknown>;
  return link;
}

export interface Address {
  ifindex: number;
  family: 'inet' | 'inet6';
  /** The address itself (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6). */
  address: string;
  prefixlen: number;
  /** `address/prefixlen`, the way it was added. */
  cidr: string;
  /** The peer, on point-to-point links where it differs from the local address. */
  peer?: string;
  broadcast?: string;
  label?: string;
  scope: string;
  /**
   * IFA_F_* flags by iproute2's names: 'permanent' (ip prints 'dynamic' when
   * it is missing), 'nodad', 'tentative', 'secondary' ('temporary' for IPv6), ...
   */
  flags: string[];
}

// iproute2's ifa_flag_data; the IPv6-only ones are not named for IPv4, as there.
const IFA_FLAG_NAMES: [number, string, boolean][] = [
  [0x02, 'nodad', true], [0x04, 'optimistic', true], [0x08, 'dadfailed', true], [0x10, 'home', true],
  [0x20, 'deprecated', true], [0x40, 'tentative', true], [0x80, 'permanent', false], [0x100, 'mngtmpaddr', true],
  [0x200, 'noprefixroute', false], [0x400, 'autojoin', false], [0x800, 'stable-privacy', true],
];

/** Address flags by name; bits without a name (for this family) as one hex string. */
export function addressFlags(flags: number, inet6: boolean): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  if (rest & 0x01) out.push(inet6 ? 'temporary' : 'secondary');
  rest &= ~0x01;
  for (const [bit, name, v6only] of IFA_FLAG_NAMES) {
    if (!(rest & bit) || (v6only && !inet6)) continue;
    out.push(name);
    rest &= ~bit;
  }
  if (rest) out.push(`0x${(rest >>> 0).toString(16)}`);
  return out;
}

const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
export const scopeName = (n: number): string => SCOPES[n] ?? String(n);

export function toAddress(m: Message): Address {
  const am = withHeader<IfAddrMsg, AddrAttrs>(m, 'address');
  const a = am.attrs;
  const h = am.header;
  const local = (a.local ?? a.address) as string;
  const inet6 = h.family === 10;
  const out: Address = {
    ifindex: h.index,
    family: inet6 ? 'inet6' : 'inet',
    address: local,
    prefixlen: h.prefixlen,
    cidr: `${local}/${h.prefixlen}`,
    scope: scopeName(h.scope),
    flags: addressFlags(a.flags ?? h.flags, inet6),
  };
  if (a.local !== undefined && a.address !== undefined && a.address !== a.local) out.peer = a.address;
  if (a.broadcast !== undefined) out.broadcast = a.broadcast;
  if (a.label !== undefined) out.label = a.label;
  return out;
}

export interface NextHop {
  gateway?: string;
  ifindex: number;
  /** iproute2's weight: rtnh_hops + 1. */
  weight: number;
}

export interface Route {
  family: 'inet' | 'inet6';
  /** Destination as `prefix/len`, or 'default'. */
  dst: string;
  gateway?: string;
  /** Output device ifindex. */
  oif?: number;
  prefsrc?: string;
  /** The metric (`ip route ... metric N`; RTA_PRIORITY). */
  metric?: number;
  table: number;
  /** Who installed it, as iproute2 names it: 'kernel', 'boot', 'static', ... (else the number as a string). */
  protocol: string;
  scope: string;
  /** 'unicast', 'local', 'broadcast', 'blackhole', ... */
  type: string;
  /** Next hops of a multipath route (`nexthop via G dev D weight W ...`; RTA_MULTIPATH). */
  nexthops?: NextHop[];
}

// /usr/share/iproute2/rt_protos and iproute2's rtnl_rtntype_n2a.
const RT_PROTOS: Record<number, string> = {
  0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 8: 'gated', 9: 'ra', 10: 'mrt', 11: 'zebra',
  12: 'bird', 13: 'dnrouted', 14: 'xorp', 15: 'ntk', 16: 'dhcp', 18: 'keepalived', 42: 'babel', 99: 'openr',
  186: 'bgp', 187: 'isis', 188: 'ospf', 189: 'rip', 192: 'eigrp',
};
const RT_TYPES = ['none', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'];
export const routeProtocolName = (n: number): string => RT_PROTOS[n] ?? String(n);
export const routeTypeName = (n: number): string => RT_TYPES[n] ?? String(n);

export const toRoute = (m: Message): Route => {
  const r = withHeader<RtMsg, RouteAttrs>(m, 'route');
  return routeOf(r.header, r.attrs);
};

/**
 * A Route from rtmsg fields and RTA values (decoded, or read straight from
 * bytes by readers.ts, which may pass the destination's `prefix/len` text made).
 */
export function routeOf(h: RtMsg, a: RouteAttrs, dstText?: string): Route {
  const family = h.family === 10 ? 'inet6' : 'inet';
  const dst = dstText ?? (a.dst !== undefined ? a.dst + SLASH[h.dstLen] : h.dstLen === 0 ? 'default' : `0.0.0.0/${h.dstLen}`);
  const table = a.table ?? h.table;
  const protocol = routeProtocolName(h.protocol);
  const scope = scopeName(h.scope);
  const type = routeTypeName(h.type);
  const { gateway, oif } = a;
  // A route via a gateway (what big tables hold) is made in one allocation with
  // one hidden class; added keys would go to a side array. Same key order as below.
  if (gateway !== undefined && oif !== undefined && a.prefsrc === undefined && a.priority === undefined && !a.multipath) {
    return { family, dst, table, protocol, scope, type, gateway, oif };
  }
  const out: Route = { family, dst, table, protocol, scope, type };
  if (gateway !== undefined) out.gateway = gateway;
  if (oif !== undefined) out.oif = oif;
  if (a.prefsrc !== undefined) out.prefsrc = a.prefsrc;
  if (a.priority !== undefined) out.metric = a.priority;
  if (a.multipath) {
    out.nexthops = a.multipath.map((nh) => {
      const hop: NextHop = { ifindex: nh.ifindex, weight: nh.hops + 1 };
      if (nh.attrs?.gateway !== undefined) hop.gateway = nh.attrs.gateway;
      return hop;
    });
  }
  return out;
}

/** '/0' .. '/255': a prefix length's suffix without making a string per route. */
const SLASH = Array.from({ length: 256 }, (_, n) => `/${n}`);

export interface Neighbour {
  ifindex: number;
  family: 'inet' | 'inet6';
  dst: string;
  lladdr?: string;
  /** NUD_* state names, e.g. ['PERMANENT'] or ['REACHABLE']. */
  state: string[];
}

const NUD: [number, string][] = [
  [0x01, 'INCOMPLETE'], [0x02, 'REACHABLE'], [0x04, 'STALE'], [0x08, 'DELAY'], [0x10, 'PROBE'],
  [0x20, 'FAILED'], [0x40, 'NOARP'], [0x80, 'PERMANENT'],
];

export function toNeighbour(m: Message): Neighbour {
  const nm = withHeader<NdMsg, NeighAttrs>(m, 'neighbour');
  const a = nm.attrs;
  const h = nm.header;
  const out: Neighbour = {
    ifindex: h.ifindex,
    family: h.family === 10 ? 'inet6' : 'inet',
    dst: a.dst as string,
    state: NUD.filter(([bit]) => h.state & bit).map(([, name]) => name),
  };
  if (a.lladdr !== undefined) out.lladdr = a.lladdr;
  return out;
}
