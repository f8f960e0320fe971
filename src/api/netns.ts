// Netns: everything the library does inside one network namespace, through
// that namespace's socket. Inputs are checked (zod) before any request; every
// kernel refusal names what was being done and where.

import { openSync, closeSync } from 'node:fs';
import type { z } from 'zod';
import type { NetlinkSocket, ReplyMessage } from '../transport/socket.js';
import type { Request } from '../netlink/request.js';
import type { NetlinkError } from '../netlink/kernel-error.js';
import { NLM_F_ECHO, decodeMessages, isLayout, type LayoutsOf } from '../netlink/message.js';
import type { RtnlLayoutMessage } from '../netlink/route/protocol.js';
import type { IfInfoMsg } from '../netlink/route/headers.js';
import { addLink, setLink, deleteLink, getLink, dumpLinks, type NewLinkSpec, type LinkSettings } from '../netlink/route/link-requests.js';
import { addAddress, deleteAddress, dumpAddresses, AF_INET, AF_INET6 } from '../netlink/route/addr-requests.js';
import { addRoute, replaceRoute, deleteRoute, dumpRoutes, type RouteSpec } from '../netlink/route/route-requests.js';
import { addNeighbour, deleteNeighbour, dumpNeighbours } from '../netlink/route/neigh-requests.js';
import { RTEXT_FILTER_SKIP_STATS, RTEXT_FILTER_VF, RTM_NEWLINK } from '../netlink/route/link.js';
import { resolveNetns, type NetnsRef } from '../ns/index.js';
import { readLink, readRoute } from './readers.js';
import { RouteList, RouteListBuilder } from './route-list.js';
import { toAddress, toNeighbour, withHeader, type Link, type Address, type Route, type Neighbour } from './convert.js';
import { openTarget, toRef } from './sockets.js';
import { LINK_ECHO, LINK_INDEX, SUMMARY } from './summary.js';
import * as rules from '../rules/index.js';
import { check, checkWith, requestProblem, ValidationError } from '../rules/index.js';
import { ifindex as ifindexRule, linkAddSchema, type LinkAddOptions, type LinkName, type PeerOptions } from '../rules/link-kinds.js';
import { librarySchemas, type LibrarySchemas } from '../rules/library.js';
import { linkKind } from '../netlink/route/kinds/index.js';
import { kindAttributes } from '../netlink/route/kinds/kind.js';


/** A link name or ifindex; the right schema by type (a union would build a discarded issue per call). */
const checkLink = (name: LinkName, what = 'link'): void => {
  // An ifindex the rule accepts, checked without zod (a get-link round trip is only a few µs); anything else goes to the rule.
  if (typeof name === 'number' && Number.isInteger(name) && name >= 1 && name <= 0x7fffffff) return;
  check(typeof name === 'number' ? ifindexRule : rules.ifname, name, what);
};

/** Requests as sockets send them (requestProblem), each named by its place. */
function checkRequests(requests: unknown): void {
  if (!Array.isArray(requests)) throw new ValidationError(`requests: must be an array of requests; got ${rules.describeValue(requests)}`);
  for (let i = 0; i < requests.length; i++) checkWith(requestProblem, requests[i], `request ${i + 1}`);
}

/**
 * The schemas of the calls that take option objects, built on first use:
 * a zod schema costs to build (each binds its ~30 methods), and the CLI and
 * connect() need none of these.
 */
function buildSchemas() {
  return { linkAdd: linkAddSchema(), ...librarySchemas() };
}

type Schemas = ReturnType<typeof buildSchemas>;
let built: Schemas | undefined;
const schemas = (): Schemas => (built ??= buildSchemas());
export type { LinkAddOptions, LinkName, PeerOptions };
export type LinkSetOptions = z.input<LibrarySchemas['linkSet']>;
export type RouteOptions = z.input<LibrarySchemas['route']>;


export interface RouteListOptions {
  family?: 'inet' | 'inet6';
  /** A table id, or 'all'; default the main table (254). */
  table?: number | 'all';
}

export interface LinkFilter {
  kind?: string;
  ifname?: string;
  up?: boolean;
  /** Ask the kernel for counters too (slower; off by default). */
  stats?: boolean;
}

export class Netns {
  constructor(readonly socket: NetlinkSocket<RtnlLayoutMessage>, readonly label: string) {}

  // ------------------------------------------------------------------ links

  /** Like `ip link show`. */
  async listLinks(filter: LinkFilter = {}): Promise<Link[]> {
    const mask = RTEXT_FILTER_VF | (filter.stats ? 0 : RTEXT_FILTER_SKIP_STATS);
    const links = await this.socket.dump(dumpLinks(mask), `list links in ${this.label}`, { read: readLink, retries: 3, protocol: SUMMARY });
    return links.filter((l) => (filter.kind === undefined || l.kind === filter.kind)
      && (filter.ifname === undefined || l.ifname === filter.ifname)
      && (filter.up === undefined || l.up === filter.up));
  }

  /** Like `ip link show dev NAME`. */
  async getLink(name: LinkName): Promise<Link> {
    checkLink(name);
    // Read straight from the reply's bytes (readers.ts): the same Link as decoding it, without a copy.
    const [link] = await this.socket.requestRead(getLink(typeof name === 'number' ? { index: name } : { ifname: name }, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS), `find link ${name} in ${this.label}`, readLink, { noAck: true });
    return link;
  }

  /** The ifindex of a link named or numbered (by name: its header alone is decoded). */
  async ifindex(name: LinkName): Promise<number> {
    checkLink(name);
    if (typeof name === 'number') return name;
    const [reply] = await this.socket.request(getLink({ ifname: name }, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS), `find link ${name} in ${this.label}`, { noAck: true, protocol: LINK_INDEX });
    return withHeader<IfInfoMsg, unknown>(reply, 'link').header.index;
  }

  /**
   * Like `ip link add NAME [options] type KIND [kind options]`, for every
   * kind of the registry (src/netlink/route/kinds); a veth peer may be
   * created directly in another namespace.
   */
  async addLink(options: LinkAddOptions): Promise<Link> {
    const o = check(schemas().linkAdd, options, 'link') as LinkAddOptions;
    const kind = linkKind(o.kind)!;
    const settings = { address: o.address, mtu: o.mtu, txqlen: o.txqlen, ifalias: o.alias, up: o.up };
    const master = o.master !== undefined ? await this.ifindex(o.master) : undefined;
    if (o.kind === 'veth') return this.addVeth(o, { ...settings, master });
    // Options that name links are sent as their ifindexes.
    const given: Record<string, unknown> = { ...(o as unknown as Record<string, Record<string, unknown> | undefined>)[kind.key] };
    for (const [name, opt] of Object.entries(kind.options)) {
      if (opt.link && given[name] !== undefined) given[name] = await this.ifindex(given[name] as LinkName);
    }
    const { data, link } = kindAttributes(kind, given);
    const spec = dropUndefined({ ifname: o.ifname, kind: o.kind, link, ...settings, master, data }) as NewLinkSpec;
    await this.socket.request(addLink(spec), `add link ${o.ifname} (${o.kind}) in ${this.label}`);
    return this.getLink(o.ifname);
  }

  private async addVeth(o: Extract<LinkAddOptions, { kind: 'veth' }>, settings: LinkSettings): Promise<Link> {
    const target = o.peer.netns !== undefined ? await openTarget(o.peer.netns) : undefined;
    try {
      const peerFd = target ? openNetnsFd(target.ref) : undefined;
      try {
        const peer = { ifname: o.peer.ifname, mtu: o.peer.mtu, address: o.peer.address, netNsFd: peerFd };
        const where = target ? ` (peer ${o.peer.ifname} in ${resolveNetns(target.ref).label})` : '';
        await this.socket.request(addLink({ ifname: o.ifname, kind: 'veth', ...settings, peer }), `add link ${o.ifname} (veth) in ${this.label}${where}`);
      } finally {
        if (peerFd !== undefined) closeSync(peerFd);
      }
    } finally {
      target?.close();
    }
    return this.getLink(o.ifname);
  }

  /**
   * Send a link creation with NLM_F_ECHO: the kernel's copy of the new link
   * (kernels since 6.3) gives its ifindex and IFLA_LINK (a veth's peer, as
   * numbered in the peer's namespace) with no lookup. Undefined where no copy came.
   */
  async createEchoed(req: Request, ifname: string, operation: string): Promise<{ ifindex: number; link?: number } | undefined> {
    const replies = await this.socket.request({ ...req, flags: req.flags | NLM_F_ECHO }, `${operation} in ${this.label}`, { protocol: LINK_ECHO });
    for (const m of replies) {
      const made = echoedLink(m, ifname);
      if (made) return made;
    }
    return undefined;
  }

  /**
   * A link creation (with NLM_F_ECHO, as createEchoed) and requests that go
   * with it, all in ONE send (NetlinkSocket.together): a process killed
   * around it leaves all of them done or none. Throws the creation's error;
   * `failed` is the first error among the others (the link exists then).
   */
  async createTogether(create: Request, also: Request[], ifname: string, operation: string): Promise<{ made?: { ifindex: number; link?: number }; failed?: NetlinkError }> {
    let made: { ifindex: number; link?: number } | undefined;
    const errors = await this.socket.together([{ ...create, flags: create.flags | NLM_F_ECHO }, ...also], (i) => `${i === 0 ? operation : `${operation} (request ${i + 1})`} in ${this.label}`, {
      protocol: LINK_ECHO,
      each: (i, m) => { if (i === 0) made ??= echoedLink(m, ifname); },
    });
    if (errors[0]) throw errors[0];
    return { made, failed: errors.find((e) => e !== undefined) };
  }

  /**
   * Many creations, each with requests that must share its send (its mark),
   * as createTogether does for one: `perSend` units per send, a unit never
   * split across two. Per unit: what the kernel echoed, the creation's
   * error, or the first error of its other requests (the link exists then).
   */
  async createUnits(units: { create: Request; also: Request[]; ifname: string }[], what: string, perSend = 8): Promise<{ made?: { ifindex: number; link?: number }; error?: NetlinkError; failed?: NetlinkError }[]> {
    const out: { made?: { ifindex: number; link?: number }; error?: NetlinkError; failed?: NetlinkError }[] = units.map(() => ({}));
    for (let from = 0; from < units.length; from += perSend) {
      const chunk = units.slice(from, from + perSend);
      const reqs: Request[] = [];
      const unitOf: number[] = [];
      const first: boolean[] = [];
      for (const [k, u] of chunk.entries()) {
        reqs.push({ ...u.create, flags: u.create.flags | NLM_F_ECHO }, ...u.also);
        for (let j = 0; j <= u.also.length; j++) { unitOf.push(from + k); first.push(j === 0); }
      }
      checkRequests(reqs);
      const errors = await this.socket.together(reqs, (i) => `${what} (${units[unitOf[i]!]!.ifname}${first[i] ? '' : ', its mark'}) in ${this.label}`, {
        protocol: LINK_ECHO,
        each: (i, m) => {
          const r = out[unitOf[i]!]!;
          if (first[i]) r.made ??= echoedLink(m, units[unitOf[i]!]!.ifname);
        },
      });
      for (const [i, e] of errors.entries()) {
        if (!e) continue;
        const r = out[unitOf[i]!]!;
        if (first[i]) r.error = e;
        else r.failed ??= e;
      }
    }
    return out;
  }

  /** The link with this ifindex, or undefined if there is none here (ENODEV). */
  async findLink(ifindex: number): Promise<Link | undefined> {
    try {
      return await this.getLink(ifindex);
    } catch (e) {
      if ((e as NetlinkError).code === 'ENODEV') return undefined;
      throw e;
    }
  }

  /** Like `ip link del dev NAME` (a veth takes its peer with it). */
  async deleteLink(name: LinkName): Promise<void> {
    checkLink(name);
    await this.socket.request(deleteLink(typeof name === 'number' ? { index: name } : { ifname: name }), `delete link ${name} in ${this.label}`);
  }

  /** Like `ip link set dev NAME [up|down] [mtu N] [address A] [name N] [master M|nomaster] [alias S] [netns NS]`. */
  async setLink(name: LinkName, changes: LinkSetOptions): Promise<void> {
    checkLink(name);
    const c = check(schemas().linkSet, changes, 'link change');
    const index = await this.ifindex(name);
    const settings: LinkSettings & { ifname?: string } = { up: c.up, mtu: c.mtu, address: c.address, ifname: c.ifname, ifalias: c.alias, txqlen: c.txqlen };
    if (c.master !== undefined) settings.master = c.master === null ? 0 : await this.ifindex(c.master);
    const target = c.netns !== undefined ? await openTarget(c.netns) : undefined;
    const fd = target ? openNetnsFd(target.ref) : undefined;
    try {
      if (fd !== undefined) settings.netNsFd = fd;
      await this.socket.request(setLink(index, dropUndefined(settings)), `set link ${name} in ${this.label}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
      target?.close();
    }
  }

  // -------------------------------------------------------------- addresses

  /** Like `ip addr show [dev NAME]`. */
  async listAddresses(options: { dev?: LinkName; family?: 'inet' | 'inet6'; linkLocal?: boolean } = {}): Promise<Address[]> {
    const family = options.family === 'inet' ? AF_INET : options.family === 'inet6' ? AF_INET6 : 0;
    const index = options.dev !== undefined ? await this.ifindex(options.dev) : undefined;
    // `linkLocal: false` leaves out IPv6 link-scope addresses (fe80::, one per link the kernel makes
    // itself) before they are decoded: most of a dump where there are many links.
    const read = options.linkLocal === false
      ? (b: Uint8Array, off: number, len: number): Address | undefined => (b[off + IFA_FAMILY] === AF_INET6 && b[off + IFA_SCOPE] === RT_SCOPE_LINK ? undefined : toAddress(decodeMessages(b, SUMMARY, off, off + len)[0]!))
      : undefined;
    const all = await this.socket.dump(dumpAddresses(family), `list addresses in ${this.label}`, read ? { read, retries: 3, protocol: SUMMARY } : { map: toAddress, retries: 3, protocol: SUMMARY });
    return index === undefined ? all : all.filter((a) => a.ifindex === index);
  }

  /** Like `ip addr add CIDR dev NAME`. */
  async addAddress(dev: LinkName, cidr: string, options: { nodad?: boolean; label?: string; replace?: boolean } = {}): Promise<void> {
    check(rules.ifaddr, cidr, 'address');
    const index = await this.ifindex(dev);
    await this.socket.request(addAddress({ index, cidr, ...options }), `add address ${cidr} to ${dev} in ${this.label}`);
  }

  /** Like `ip addr del CIDR dev NAME`. */
  async deleteAddress(dev: LinkName, cidr: string): Promise<void> {
    check(rules.ifaddr, cidr, 'address');
    const index = await this.ifindex(dev);
    await this.socket.request(deleteAddress({ index, cidr }), `delete address ${cidr} from ${dev} in ${this.label}`);
  }

  // ----------------------------------------------------------------- routes

  /** Like `ip route show [table T]` (all tables with table: 'all'). */
  listRoutes(options: RouteListOptions = {}): Promise<Route[]> {
    return this.routeDump(options, (r) => r);
  }

  /**
   * Visit every route as it is decoded, without holding them all: for very
   * large tables, where keeping 100,000 objects would only feed the garbage
   * collector. Resolves with the number visited.
   */
  async eachRoute(visit: (r: Route) => void, options: RouteListOptions = {}): Promise<number> {
    let n = 0;
    await this.routeDump(options, (r) => { n++; visit(r); return undefined; });
    return n;
  }

  /**
   * The routes as a RouteList: the dump kept as the kernel's bytes, each
   * route made into an object only when asked for (`at(i)`, iteration). For
   * very large tables that are counted, searched or walked once.
   */
  async routeList(options: RouteListOptions = {}): Promise<RouteList> {
    const family = options.family === 'inet6' ? AF_INET6 : AF_INET;
    const table = options.table === 'all' ? undefined : options.table ?? 254;
    let list: RouteListBuilder | undefined;
    await this.socket.dump(dumpRoutes(family, table ?? null), `list routes in ${this.label}`, {
      retries: 3,
      protocol: SUMMARY,
      keep: true,
      // A fresh builder per attempt: an interrupted dump is read again from the start.
      read: (b, off, len) => (list ??= new RouteListBuilder(table)).add(b, off, len),
      onRetry: () => { list = undefined; },
    });
    return (list ?? new RouteListBuilder(table)).done();
  }

  /** Dump routes of a family and table; `take` gets each Route of that table and says what to keep. */
  private routeDump<T>(options: RouteListOptions, take: (r: Route) => T | undefined): Promise<T[]> {
    const family = options.family === 'inet6' ? AF_INET6 : AF_INET;
    const table = options.table === 'all' ? undefined : options.table ?? 254;
    return this.socket.dump(dumpRoutes(family, table ?? null), `list routes in ${this.label}`, {
      retries: 3,
      protocol: SUMMARY,
      read: (b, off, len) => {
        const r = readRoute(b, off, len);
        // Older kernels ignore the table filter: apply it here too.
        return table === undefined || r.table === table ? take(r) : undefined;
      },
    });
  }

  async addRoute(route: RouteOptions): Promise<void> {
    await this.routeChange(route, addRoute, 'add');
  }

  async replaceRoute(route: RouteOptions): Promise<void> {
    await this.routeChange(route, replaceRoute, 'replace');
  }

  async deleteRoute(route: RouteOptions): Promise<void> {
    await this.routeChange(route, deleteRoute, 'delete');
  }

  private async routeChange(route: RouteOptions, build: (s: RouteSpec) => Request, verb: string): Promise<void> {
    const r = check(schemas().route, route, 'route');
    const spec: RouteSpec = {
      dst: r.dst, gateway: r.gateway, priority: r.metric, table: r.table, prefsrc: r.prefsrc,
      family: r.family === 'inet6' ? AF_INET6 : r.family === 'inet' ? AF_INET : undefined,
    };
    if (r.dev !== undefined) spec.oif = await this.ifindex(r.dev);
    await this.socket.request(build(dropUndefined(spec)), `${verb} route ${r.dst}${r.gateway ? ' via ' + r.gateway : ''} in ${this.label}`);
  }

  // ------------------------------------------------------------- neighbours

  /**
   * Like `ip neigh show nud all`: every entry, NOARP ones (multicast, ...)
   * included, which plain `ip neigh show` hides.
   */
  async listNeighbours(): Promise<Neighbour[]> {
    return this.socket.dump(dumpNeighbours(), `list neighbours in ${this.label}`, { map: toNeighbour, retries: 3 });
  }

  /** Like `ip neigh add DST lladdr MAC dev NAME nud permanent`. */
  async addNeighbour(n: { dev: LinkName; dst: string; lladdr: string }): Promise<void> {
    const v = check(schemas().neigh, n, 'neighbour');
    const ifindex = await this.ifindex(v.dev);
    await this.socket.request(addNeighbour({ ifindex, dst: v.dst, lladdr: v.lladdr }), `add neighbour ${v.dst} on ${v.dev} in ${this.label}`);
  }

  async deleteNeighbour(n: { dev: LinkName; dst: string }): Promise<void> {
    const v = check(schemas().neigh, n, 'neighbour');
    const ifindex = await this.ifindex(v.dev);
    await this.socket.request(deleteNeighbour({ ifindex, dst: v.dst }), `delete neighbour ${v.dst} on ${v.dev} in ${this.label}`);
  }

  // ------------------------------------------------------------------- bulk

  /**
   * Many link creations (addLink builders) in as few sends as possible, each
   * with NLM_F_ECHO: per request, what createEchoed gives (the new link's
   * ifindex and IFLA_LINK), undefined where the kernel sent no copy, or the
   * request's NetlinkError.
   */
  async createLinks(requests: Request[], what = 'create link'): Promise<({ ifindex: number; link?: number } | undefined | NetlinkError)[]> {
    checkRequests(requests);
    const made: ({ ifindex: number; link?: number } | undefined)[] = new Array(requests.length).fill(undefined);
    const names = requests.map((r) => (r.attrs as { ifname?: string } | undefined)?.ifname);
    const errors = await this.socket.batch(requests.map((r) => ({ ...r, flags: r.flags | NLM_F_ECHO })), (i) => `${what} ${i + 1} in ${this.label}`, {
      protocol: LINK_ECHO,
      each: (i, m) => { made[i] ??= echoedLink(m, names[i]); },
    });
    return errors.map((e, i) => e ?? made[i]);
  }

  /**
   * Send many requests (from the vethcon/netlink builders) in as few sends as
   * possible, each acked. Resolves per request: undefined, or its NetlinkError.
   */
  async batch(requests: Request[], what = 'batch request'): Promise<(NetlinkError | undefined)[]> {
    checkRequests(requests);
    return this.socket.batch(requests, (i) => `${what} ${i + 1} in ${this.label}`);
  }

  /** Raw access: one request, its replies as decoded messages (narrow them with isLink, isAddr, ...). */
  async request(req: Request, operation: string, opts?: { noAck?: boolean }): Promise<ReplyMessage<RtnlLayoutMessage>[]> {
    checkWith(requestProblem, req, 'request');
    return this.socket.request(req, `${operation} in ${this.label}`, opts);
  }
}

/** Byte offsets in an RTM_NEWADDR message: nlmsghdr (16), then ifaddrmsg's family, prefixlen, flags, scope. */
const IFA_FAMILY = 16;
const IFA_SCOPE = 19;
const RT_SCOPE_LINK = 253;

/** The kernel's copy of a new link named `ifname` (decoded with LINK_ECHO): its ifindex and IFLA_LINK. */
function echoedLink(m: ReplyMessage<LayoutsOf<typeof LINK_ECHO>>, ifname: string | undefined): { ifindex: number; link?: number } | undefined {
  if (!isLayout(m, RTM_NEWLINK) || m.attrs.ifname !== ifname) return undefined;
  return { ifindex: m.header.index, link: m.attrs.link || undefined };
}

/** An fd for a namespace, for IFLA_NET_NS_FD; opening the file needs no setns. */
export function openNetnsFd(t: string | NetnsRef): number {
  return openSync(resolveNetns(toRef(t)).path, 'r');
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
