// show(): the links vethcon made on this machine (those whose alias carries
// our mark, mark.ts), or with `all` every veth pair too, wherever their ends
// are: the host, named namespaces, containers, other processes' namespaces
// (namespaces.ts; each scanned through a pin, as gc does). Peers come from
// the kernel, never from names: a veth's IFLA_LINK is its peer's ifindex,
// and IFLA_LINK_NETNSID the id this namespace gives the peer's namespace,
// which RTM_GETNSID (NETNSA_FD: each namespace we hold) turns back into a
// namespace. An id no namespace we hold answers to is shown as
// `nsid N (unnamed)`. It changes nothing: RTM_GETNSID only reads ids.

import { Vethcon } from '../api/client.js';
import type { Netns } from '../api/netns.js';
import type { Link } from '../api/convert.js';
import { isContainerTarget, openTarget, type NetnsTarget, type OpenTarget } from '../api/sockets.js';
import { getNsid } from '../netlink/route/neigh-requests.js';
import { isNsid } from '../netlink/route/protocol.js';
import { pinNetns, resolveNetns, unpin, type NetnsRef, type PinnedNetns } from '../ns/index.js';
import { checkWith, describeValue, netnsTargetProblem, quote, ValidationError } from '../rules/index.js';
import { parseMark, type Mark } from './mark.js';
import { allNamespaces } from './namespaces.js';

/** The version of ShowResult's shape (and of `vethcon show --json`). */
export const SHOW_SCHEMA = 1;

/** A link's mark, as show gives it. */
export interface ShowMark {
  /** The pair's id (16 hex digits), the same on every end of it. */
  id: string;
  /** False while some end is still marked pending (being made, or left half-made: see gc). */
  complete: boolean;
  /** The lab it belongs to (`lab=` in the mark). */
  lab?: string;
  /** Its key within the lab (`link=`). */
  link?: string;
  /** Who was making it, while pending. */
  pending?: { pid: number; start: number; pidns: number };
  /** Other `key=value` fields of the mark, as written. */
  fields?: Record<string, string>;
}

/** One end of a link. */
export interface ShowEnd {
  /** Its namespace: `current netns`, `netns NAME`, `container NAME`, `pid N`, `netns path P`, or `nsid N (unnamed)` when no namespace we can open has that id. */
  netns: string;
  /** Absent only for an end in an unnamed namespace (we cannot list its links). */
  ifname?: string;
  ifindex: number;
  /** Link kind (`veth`, `vxlan`, `macvlan`, `macvtap`, ...). */
  kind?: string;
  /** Every address on it, as CIDR (IPv6 link-local ones too), in the kernel's order. */
  addresses: string[];
  mtu?: number;
  mac?: string;
  /** Administratively up (IFF_UP). */
  up?: boolean;
  /** RFC 2863 state as the kernel says it (`UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`, ...). */
  operstate?: string;
  /** This end's own mark (each end has its own alias). */
  mark?: ShowMark;
  /** For vxlan, macvlan, macvtap (and other kinds with a lower device): that device and where it is. */
  parent?: { netns: string; ifindex: number; ifname?: string };
  vxlan?: { vni?: number; remote?: string; local?: string; port?: number };
  macvlan?: { mode?: string };
}

/** One link: a veth pair (two ends; one when its peer could not be looked at), or a single device of ours (vxlan, macvlan). */
export interface ShowLink {
  kind: string;
  /** Made by vethcon: some end carries our mark. */
  ours: boolean;
  /** The pair's mark: id, lab and link key from its ends, complete when every end is. */
  mark?: ShowMark;
  ends: ShowEnd[];
}

export interface ShowResult {
  schema: typeof SHOW_SCHEMA;
  links: ShowLink[];
  /** How many namespaces were looked at. */
  scanned: number;
  /** What could not be seen: no Docker engine, namespaces that could not be opened. */
  notes: string[];
}

export interface ShowOptions {
  /** Every veth pair, not only vethcon's. */
  all?: boolean;
  /** Only links with an end in one of these namespaces (any target, `{ container }` too). */
  netns?: NetnsTarget | NetnsTarget[];
  /** Only links with an end in one of these containers (the same as `netns: { container }`). */
  container?: string | string[];
  /** Only links of this lab (their mark's `lab=`). */
  lab?: string;
  /** Reuse a library instance (its sockets); otherwise one is opened and closed. */
  client?: Vethcon;
  /** Ask a Docker engine for container names (default: if one answers). */
  docker?: boolean;
}

const LAB_NAME = /^[A-Za-z0-9._-]+$/;
/** Kinds whose IFLA_LINK (or kind data) names a lower device rather than a peer. */
const PARENT_KINDS = new Set(['vxlan', 'macvlan', 'macvtap', 'vlan', 'ipvlan', 'ipvtap']);

/** A namespace held while it is looked at. */
interface Held {
  pin: PinnedNetns;
  label: string;
  identity: string;
  /** Census order: the order namespaces (and so ends) are listed in. */
  order: number;
  ns?: Netns;
  links: Link[];
  byIndex: Map<number, Link>;
  addresses?: Map<number, string[]>;
  /** nsid here -> the namespace it names, once asked. */
  nsids: Map<number, Held | undefined>;
}

function checkOptions(o: ShowOptions): NetnsTarget[] {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ValidationError(`show options: must be an object; got ${describeValue(o)}`);
  if (o.lab !== undefined && (typeof o.lab !== 'string' || !LAB_NAME.test(o.lab))) {
    throw new ValidationError(`lab: ${quote(o.lab)} is not a lab name (letters, digits, '.', '_' and '-')`);
  }
  const targets: NetnsTarget[] = o.netns === undefined ? [] : Array.isArray(o.netns) ? [...o.netns] : [o.netns];
  targets.forEach((t, i) => checkWith(netnsTargetProblem, t, targets.length > 1 ? `netns[${i}]` : 'netns'));
  const containers = o.container === undefined ? [] : Array.isArray(o.container) ? o.container : [o.container];
  containers.forEach((c, i) => checkWith(netnsTargetProblem, { container: c }, containers.length > 1 ? `container[${i}]` : 'container'));
  return [...targets, ...containers.map((container) => ({ container }))];
}

/** Like `ip -d link show` and `ip addr` in every namespace, joined into pairs by the kernel's own peer ids; see ShowResult. */
export async function show(opts: ShowOptions = {}): Promise<ShowResult> {
  const filters = checkOptions(opts);
  const vc = opts.client ?? new Vethcon();
  const held: Held[] = [];
  const opened: OpenTarget[] = [];
  const result: ShowResult = { schema: SHOW_SCHEMA, links: [], scanned: 0, notes: [] };
  try {
    // The filters first: a namespace or container that is not there is the caller's mistake (NetnsError, DockerError).
    const wanted = new Set<string>();
    const extra: { ref: NetnsRef; label: string }[] = [];
    for (const t of filters) {
      const open = await openTarget(t);
      opened.push(open);
      const r = resolveNetns(open.ref);
      wanted.add(`${r.dev}:${r.ino}`);
      extra.push({ ref: open.ref, label: isContainerTarget(t) ? `container ${t.container}` : r.label });
    }
    const census = await allNamespaces({ docker: opts.docker });
    result.notes.push(...census.notes, ...census.unreadable.map((u) => `cannot look at ${u}`));
    const seen = new Set<string>();
    for (const n of [...census.namespaces, ...extra]) {
      let pin: PinnedNetns;
      try {
        pin = pinNetns(n.ref, n.label);
      } catch {
        continue; // ended since the census
      }
      const identity = `${pin.dev}:${pin.ino}`;
      if (seen.has(identity)) { unpin(pin); continue; }
      seen.add(identity);
      const h: Held = { pin, label: n.label, identity, order: held.length, links: [], byIndex: new Map(), nsids: new Map() };
      try {
        h.ns = await vc.netns(pin.target);
        h.links = await h.ns.listLinks();
        result.scanned++;
      } catch (error) {
        unpin(pin);
        const code = (error as { errnoCode?: string }).errnoCode;
        result.notes.push(code === 'EPERM' || code === 'EACCES' ? `cannot enter the namespace of ${n.label}: ${(error as Error).message}` : `cannot look at ${n.label}: ${(error as Error).message}`);
        continue;
      }
      // Keep what holds a link that may be shown or be a peer or parent of one; let the rest go now.
      if (h.links.some((l) => l.kind === 'veth' || PARENT_KINDS.has(l.kind ?? '') || parseMark(l.alias))) {
        for (const l of h.links) h.byIndex.set(l.ifindex, l);
        held.push(h);
      } else {
        vc.release(pin.target);
        unpin(pin);
      }
    }
    for (const o of opened.splice(0)) o.close();

    const links = await collect(held, opts.all === true);
    const isWanted = (e: Found['ends'][number]): boolean => e.identity !== undefined && wanted.has(e.identity);
    result.links = links.filter((l) => (opts.lab === undefined || l.mark?.lab === opts.lab) && (wanted.size === 0 || l.ends.some(isWanted)))
      .map(({ link, ends }) => {
        // The end in the namespace asked about comes first.
        if (wanted.size && ends.length === 2 && !isWanted(ends[0]) && isWanted(ends[1])) link.ends.reverse();
        return link;
      });
    await addAddresses(result.links, links, held);
    return result;
  } finally {
    for (const o of opened) o.close();
    for (const h of held) {
      if (opts.client) vc.release(h.pin.target);
      unpin(h.pin);
    }
    if (!opts.client) await vc.close();
  }
}

/** A link being put together, with what filtering needs. */
interface Found {
  link: ShowLink;
  mark?: ShowMark;
  ends: { identity?: string; held?: Held; end: ShowEnd }[];
}

/** Every link to show, in census order, each pair once. */
async function collect(held: Held[], all: boolean): Promise<Found[]> {
  const out: Found[] = [];
  const done = new Set<string>();
  for (const h of held) {
    for (const l of h.links) {
      const mark = parseMark(l.alias);
      const key = `${h.identity}/${l.ifindex}`;
      if (done.has(key)) continue;
      if (l.kind === 'veth') {
        const peerHeld = l.link === undefined ? undefined : l.linkNetnsid === undefined ? h : await namespaceOf(h, l.linkNetnsid, held);
        const peer = l.link === undefined ? undefined : peerHeld?.byIndex.get(l.link);
        if (!mark && !(peer && parseMark(peer.alias)) && !all) continue;
        done.add(key);
        const ends: Found['ends'] = [{ identity: h.identity, held: h, end: endOf(h.label, l) }];
        if (peer && peerHeld) {
          done.add(`${peerHeld.identity}/${peer.ifindex}`);
          ends.push({ identity: peerHeld.identity, held: peerHeld, end: endOf(peerHeld.label, peer) });
        } else if (l.link !== undefined && l.linkNetnsid !== undefined) {
          ends.push({ end: { netns: unnamed(l.linkNetnsid), ifindex: l.link, addresses: [] } });
        }
        out.push(finish('veth', ends));
      } else if (mark) {
        done.add(key);
        const end = endOf(h.label, l);
        await addParent(end, h, l, held);
        out.push(finish(l.kind ?? 'device', [{ identity: h.identity, held: h, end }]));
      }
    }
  }
  return out;
}

function finish(kind: string, ends: Found['ends']): Found {
  const marks = ends.map((e) => e.end.mark).filter((m): m is ShowMark => m !== undefined);
  let mark: ShowMark | undefined;
  if (marks.length) {
    // Complete when every end we can see carries a complete mark.
    mark = { id: marks[0].id, complete: marks.every((m) => m.complete) && marks.length === ends.filter((e) => e.end.ifname !== undefined).length };
    const lab = marks.find((m) => m.lab !== undefined)?.lab;
    const key = marks.find((m) => m.link !== undefined)?.link;
    if (lab !== undefined) mark.lab = lab;
    if (key !== undefined) mark.link = key;
  }
  const link: ShowLink = mark ? { kind, ours: true, mark, ends: ends.map((e) => e.end) } : { kind, ours: false, ends: ends.map((e) => e.end) };
  return { link, mark, ends };
}

const unnamed = (nsid: number): string => `nsid ${nsid} (unnamed)`;

function endOf(label: string, l: Link): ShowEnd {
  const end: ShowEnd = { netns: label, ifname: l.ifname, ifindex: l.ifindex, kind: l.kind, addresses: [], mtu: l.mtu, mac: l.address, up: l.up, operstate: l.operstate };
  const mark = parseMark(l.alias);
  if (mark) end.mark = showMark(mark);
  for (const k of Object.keys(end) as (keyof ShowEnd)[]) if (end[k] === undefined) delete end[k];
  return end;
}

function showMark(m: Mark): ShowMark {
  const { lab, link, ...rest } = m.fields;
  const out: ShowMark = { id: m.id, complete: !m.pending };
  if (lab !== undefined) out.lab = lab;
  if (link !== undefined) out.link = link;
  if (m.pending) out.pending = { ...m.pending };
  if (Object.keys(rest).length) out.fields = rest;
  return out;
}

/** The lower device of a vxlan / macvlan / ... end, and a vxlan's far side. */
async function addParent(end: ShowEnd, h: Held, l: Link, held: Held[]): Promise<void> {
  const data = l.kindData ?? {};
  let parentIndex = l.link;
  if (l.kind === 'vxlan') {
    const vx = data as { id?: number; group?: string; group6?: string; local?: string; local6?: string; port?: number; link?: number };
    end.vxlan = dropUndefined({ vni: vx.id, remote: vx.group ?? vx.group6, local: vx.local ?? vx.local6, port: vx.port });
    parentIndex = vx.link || undefined;
  } else if (l.kind === 'macvlan' || l.kind === 'macvtap') {
    end.macvlan = dropUndefined({ mode: (data as { mode?: string | number }).mode?.toString() });
  }
  if (parentIndex === undefined || parentIndex === l.ifindex) return;
  const where = l.linkNetnsid === undefined ? h : await namespaceOf(h, l.linkNetnsid, held);
  if (!where) {
    end.parent = { netns: unnamed(l.linkNetnsid!), ifindex: parentIndex };
    return;
  }
  const parent = where.byIndex.get(parentIndex);
  end.parent = parent ? { netns: where.label, ifindex: parentIndex, ifname: parent.ifname } : { netns: where.label, ifindex: parentIndex };
}

/** The namespace `h` calls `nsid`: asked of h's socket, one namespace we hold at a time (RTM_GETNSID with NETNSA_FD). */
async function namespaceOf(h: Held, nsid: number, held: Held[]): Promise<Held | undefined> {
  if (h.nsids.has(nsid)) return h.nsids.get(nsid);
  for (const other of held) {
    if (other === h || [...h.nsids.values()].includes(other)) continue;
    const replies = await h.ns!.socket.request(getNsid(other.pin.fd), `ask the nsid of ${other.label} in ${h.label}`, { noAck: true });
    const id = replies.find(isNsid)?.attrs.nsid;
    if (id === undefined || id < 0) continue;
    h.nsids.set(id, other);
    if (id === nsid) return other;
  }
  h.nsids.set(nsid, undefined);
  return undefined;
}

/** Each shown end's addresses: one address dump per namespace that holds one. */
async function addAddresses(links: ShowLink[], found: Found[], held: Held[]): Promise<void> {
  const shown = new Set(links);
  const wanted = new Set<Held>();
  for (const f of found) if (shown.has(f.link)) for (const e of f.ends) if (e.held) wanted.add(e.held);
  await Promise.all(held.filter((h) => wanted.has(h)).map(async (h) => {
    const byIndex = new Map<number, string[]>();
    for (const a of await h.ns!.listAddresses()) {
      const list = byIndex.get(a.ifindex) ?? [];
      list.push(a.cidr);
      byIndex.set(a.ifindex, list);
    }
    h.addresses = byIndex;
  }));
  for (const f of found) {
    if (!shown.has(f.link)) continue;
    for (const e of f.ends) if (e.held?.addresses) e.end.addresses = e.held.addresses.get(e.end.ifindex) ?? [];
  }
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
