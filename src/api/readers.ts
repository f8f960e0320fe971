// Dump replies read straight from their bytes into the library's results,
// for the two dumps that can be huge (routes: 100,000s; links: 10,000s).
// The general way decodes each message into header and attribute objects,
// then convert.ts copies what it wants out of them; here the few attributes
// a Route or a Link needs are read in place, into one reused scratch object,
// and only the result is allocated. Anything out of the ordinary (a repeated
// attribute, an odd length, a multipath route, altnames) goes the general
// way, so results are the same by construction; test/unit/readers.test.ts
// checks that on captured and mutated messages.

import { NLMSG_HDRLEN, decodeMessages, type Message } from '../netlink/message.js';
import { u16At, u32At, s32At, formatIPv4, formatIPv4Prefix, formatIPv6, formatLladdr } from '../netlink/bytes.js';
import { RAW, cstring, string, decodeAttrs, type AttrTable } from '../netlink/attr.js';
import { IFLA, LINKINFO, RTM_NEWLINK, type LinkAttrs } from '../netlink/route/link.js';
import { RTA, RTM_NEWROUTE, type RouteAttrs } from '../netlink/route/route.js';
import { IFINFOMSG, RTMSG, type IfInfoMsg, type RtMsg } from '../netlink/route/headers.js';
import { LINK_SUMMARY, ROUTE_SUMMARY, SUMMARY } from './summary.js';
import { linkOf, routeOf, toLink, toRoute, type Link, type Route } from './convert.js';

const RTMSG_SIZE = RTMSG.size;
const IFINFOMSG_SIZE = IFINFOMSG.size;

/**
 * The attributes the readers switch on, named. A const enum compiles to
 * literal case labels, which V8 turns into a jump table; that the numbers
 * are the tables' own is checked once, below, as this module loads.
 */
const enum LinkInfo { kind = 1 }
const enum Rta { dst = 1, oif = 4, gateway = 5, priority = 6, prefsrc = 7, table = 15 }
const enum Ifla {
  address = 1, broadcast = 2, ifname = 3, mtu = 4, link = 5, qdisc = 6, master = 10, txqlen = 13,
  operstate = 16, linkinfo = 18, ifalias = 20, group = 27, linkNetnsid = 37,
}
function sameNumbers(table: AttrTable, numbers: Record<string, number>): void {
  for (const [key, type] of Object.entries(numbers)) {
    if (table.byKey.get(key)?.type !== type) throw new Error(`readers.ts: ${table.name} ${key} is not attribute ${type}`);
  }
}
sameNumbers(LINKINFO, { kind: LinkInfo.kind });
sameNumbers(RTA, { dst: Rta.dst, oif: Rta.oif, gateway: Rta.gateway, priority: Rta.priority, prefsrc: Rta.prefsrc, table: Rta.table });
sameNumbers(IFLA, {
  address: Ifla.address, broadcast: Ifla.broadcast, ifname: Ifla.ifname, mtu: Ifla.mtu, link: Ifla.link, qdisc: Ifla.qdisc,
  master: Ifla.master, txqlen: Ifla.txqlen, operstate: Ifla.operstate, linkinfo: Ifla.linkinfo, ifalias: Ifla.ifalias,
  group: Ifla.group, linkNetnsid: Ifla.linkNetnsid,
});

/** The general way for one message at b[off, off+len). */
const decoded = (b: Uint8Array, off: number, len: number): Message => decodeMessages(b, SUMMARY, off, off + len)[0];

// ------------------------------------------------------------------ routes

const rt: RtMsg = { family: 0, dstLen: 0, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 };
const rta: RouteAttrs = {};

/** An address attribute's text (4 or 16 bytes), or undefined for any other length. */
const ipText = (b: Uint8Array, p: number, n: number): string | undefined => (n === 4 ? formatIPv4(b, p) : n === 16 ? formatIPv6(b, p) : undefined);

/** An RTM_NEWROUTE message at b[off, off+len) as a Route. */
export function readRoute(b: Uint8Array, off: number, len: number): Route {
  const end = off + len;
  const h = off + NLMSG_HDRLEN;
  if (end - h < RTMSG_SIZE || u16At(b, off + 4) !== RTM_NEWROUTE) return toRoute(decoded(b, off, len));
  let dst: string | undefined, dstText: string | undefined, gateway: string | undefined, prefsrc: string | undefined;
  let oif: number | undefined, priority: number | undefined, table: number | undefined;
  for (let p = h + RTMSG_SIZE; end - p >= 4;) {
    const n = u16At(b, p);
    if (n < 4 || n > end - p) return toRoute(decoded(b, off, len)); // which throws the DecodeError
    const v = p + 4, vn = n - 4;
    const t = u16At(b, p + 2);
    let ok = true;
    switch (t) {
      case Rta.dst: // an IPv4 destination's text is made with its prefix length at once
        ok = dst === undefined && dstText === undefined;
        if (vn === 4) dstText = formatIPv4Prefix(b, v, b[h + 1]);
        else ok = ok && (dst = ipText(b, v, vn)) !== undefined;
        break;
      case Rta.oif: ok = oif === undefined && vn === 4; oif = u32At(b, v); break;
      case Rta.gateway: ok = gateway === undefined && (gateway = ipText(b, v, vn)) !== undefined; break;
      case Rta.priority: ok = priority === undefined && vn === 4; priority = u32At(b, v); break;
      case Rta.prefsrc: ok = prefsrc === undefined && (prefsrc = ipText(b, v, vn)) !== undefined; break;
      case Rta.table: ok = table === undefined && vn === 4; table = u32At(b, v); break;
      default: ok = ROUTE_SUMMARY.byType[t & 0x3fff] === undefined; // multipath, or a flagged type
    }
    if (!ok) return toRoute(decoded(b, off, len));
    p += (n + 3) & ~3;
  }
  rt.family = b[h]; rt.dstLen = b[h + 1]; rt.table = b[h + 4]; rt.protocol = b[h + 5]; rt.scope = b[h + 6]; rt.type = b[h + 7];
  rta.dst = dst; rta.gateway = gateway; rta.prefsrc = prefsrc; rta.oif = oif; rta.priority = priority; rta.table = table;
  return routeOf(rt, rta, dstText);
}

// ------------------------------------------------------------------ links

const ifi: IfInfoMsg = { family: 0, type: 0, index: 0, flags: 0, change: 0 };
const ifla: LinkAttrs = {};

/** A string attribute's value read either way it may come (with or without its NUL), or undefined. */
const textOf = (codec: typeof cstring, b: Uint8Array, p: number, n: number): string | undefined => {
  const s = codec.decode(b, p, n, 1, undefined);
  return s === RAW ? undefined : (s as string);
};

/** One shared `{ kind }` per kind: what IFLA_LINKINFO decodes to when it holds only IFLA_INFO_KIND. */
const KIND_ONLY = new Map<string, { kind: string }>();

/**
 * IFLA_LINKINFO at b[v, v+vn) when it is exactly one IFLA_INFO_KIND (a veth,
 * in a dump): the shared `{ kind }` that decodeAttrs would build; otherwise
 * undefined, and the caller decodes it in full.
 */
function kindOnly(b: Uint8Array, v: number, vn: number): { kind: string } | undefined {
  if (vn < 4) return undefined;
  const n = u16At(b, v);
  if (u16At(b, v + 2) !== LinkInfo.kind || n < 4 || ((n + 3) & ~3) !== vn) return undefined;
  const kind = textOf(string, b, v + 4, n - 4);
  if (kind === undefined) return undefined;
  let info = KIND_ONLY.get(kind);
  if (!info) {
    info = { kind };
    if (KIND_ONLY.size < 64) KIND_ONLY.set(kind, info);
  }
  return info;
}

/** An RTM_NEWLINK message at b[off, off+len) as a Link. */
export function readLink(b: Uint8Array, off: number, len: number): Link {
  const end = off + len;
  const h = off + NLMSG_HDRLEN;
  if (end - h < IFINFOMSG_SIZE || u16At(b, off + 4) !== RTM_NEWLINK) return toLink(decoded(b, off, len));
  let address: string | undefined, broadcast: string | undefined, ifname: string | undefined, qdisc: string | undefined, alias: string | undefined;
  let mtu: number | undefined, link: number | undefined, master: number | undefined, txqlen: number | undefined;
  let operstate: number | undefined, group: number | undefined, netnsid: number | undefined;
  let linkinfo: LinkAttrs['linkinfo'];
  for (let p = h + IFINFOMSG_SIZE; end - p >= 4;) {
    const n = u16At(b, p);
    if (n < 4 || n > end - p) return toLink(decoded(b, off, len)); // which throws the DecodeError
    const v = p + 4, vn = n - 4;
    const t = u16At(b, p + 2);
    let ok = true;
    switch (t) {
      case Ifla.address: ok = address === undefined; address = formatLladdr(b, v, vn); break;
      case Ifla.broadcast: ok = broadcast === undefined; broadcast = formatLladdr(b, v, vn); break;
      case Ifla.ifname: ok = ifname === undefined && (ifname = textOf(cstring, b, v, vn)) !== undefined; break;
      case Ifla.mtu: ok = mtu === undefined && vn === 4; mtu = u32At(b, v); break;
      case Ifla.link: ok = link === undefined && vn === 4; link = u32At(b, v); break;
      case Ifla.qdisc: ok = qdisc === undefined && (qdisc = textOf(cstring, b, v, vn)) !== undefined; break;
      case Ifla.master: ok = master === undefined && vn === 4; master = u32At(b, v); break;
      case Ifla.txqlen: ok = txqlen === undefined && vn === 4; txqlen = u32At(b, v); break;
      case Ifla.operstate: ok = operstate === undefined && vn === 1; operstate = b[v]; break;
      case Ifla.linkinfo: ok = linkinfo === undefined; linkinfo = kindOnly(b, v, vn) ?? decodeAttrs(LINKINFO, b, v, v + vn, 1); break;
      case Ifla.ifalias: ok = alias === undefined && (alias = textOf(string, b, v, vn)) !== undefined; break;
      case Ifla.group: ok = group === undefined && vn === 4; group = u32At(b, v); break;
      case Ifla.linkNetnsid: ok = netnsid === undefined && vn === 4; netnsid = s32At(b, v); break;
      default: ok = LINK_SUMMARY.byType[t & 0x3fff] === undefined; // altnames, or a flagged type
    }
    if (!ok) return toLink(decoded(b, off, len));
    p += (n + 3) & ~3;
  }
  ifi.index = s32At(b, h + 4); ifi.flags = u32At(b, h + 8);
  ifla.address = address; ifla.broadcast = broadcast; ifla.ifname = ifname; ifla.qdisc = qdisc; ifla.ifalias = alias;
  ifla.mtu = mtu; ifla.link = link; ifla.master = master; ifla.txqlen = txqlen; ifla.operstate = operstate;
  ifla.group = group; ifla.linkNetnsid = netnsid; ifla.linkinfo = linkinfo;
  return linkOf(ifi, ifla);
}
