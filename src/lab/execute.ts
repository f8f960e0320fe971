// Carrying out a lab's steps (diff.ts), all or nothing. Work is batched per
// namespace and all namespaces are worked on at once, in phases:
//   1. what is left of links made again is removed;
//   2. new pairs are created, each with its pending mark in the same send
//      (its own link group, as connect() does: src/wire/mark.ts), several
//      pairs per send, the peer placed directly in its namespace;
//   3. links that drifted are fixed in place;
//   4. each new pair's peer gets its addresses, comes up and is marked
//      complete; then 5. its first end, likewise;
//   6. with --prune, links the file no longer names are removed.
// Every change is written in a journal with its inverse; a failure undoes
// the journal backwards, confirming each undo with the kernel, and the
// error says whether the machine is as it was.

import type { Vethcon } from '../api/client.js';
import type { Netns } from '../api/netns.js';
import type { NetlinkError } from '../netlink/kernel-error.js';
import { addAddress, deleteAddress, splitCidr, AF_INET6 } from '../netlink/route/addr-requests.js';
import { setLink } from '../netlink/route/link-requests.js';
import type { Request } from '../netlink/request.js';
import { selfProcess } from '../ns/index.js';
import { WiringError } from '../wire/errors.js';
import { completeMark, markGroup, newPairId, pendingMark } from '../wire/mark.js';
import { completeRequest, createPairRequest, markGroupRequest } from '../wire/plan.js';
import { removePair, undoPair, type Pair } from '../wire/undo.js';
import { attach, type AttachLinkInput } from '../wire/attach.js';
import { nameDrift } from '../wire/endpoint.js';
import type { EndChange, FoundEnd, OldLink, Step } from './diff.js';
import type { LabEnd, LabLink } from './model.js';
import type { PresentNode } from './nodes.js';

/** A made link's ends, as the kernel numbered them. */
export interface MadeEnd {
  node: string;
  label: string;
  ifname: string;
  ifindex: number;
  addresses: string[];
}

export interface ExecuteOptions {
  lab: string;
  /** Links done (created, fixed or removed) out of all to do, as work finishes. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

type Undo = { what: string; run: () => Promise<string | undefined> };

/** The journal: each change's undo, newest last. */
class Journal {
  private readonly undos: Undo[] = [];
  add(u: Undo): void { this.undos.push(u); }
  get size(): number { return this.undos.length; }
  /** Undo everything, newest first: what could not be undone, in words (empty: all undone and confirmed). */
  async rollback(): Promise<string[]> {
    const left: string[] = [];
    for (const u of this.undos.reverse()) {
      try {
        const why = await u.run();
        if (why) left.push(`${u.what}: ${why}`);
      } catch (e) {
        left.push(`${u.what}: ${(e as Error).message}`);
      }
    }
    return left;
  }
}

/** Requests for one namespace, each with a word for its error and an undo for when it succeeded. */
interface Work { req: Request; what: string; undo?: Undo }

const at = (e: { node: string; ifname: string }): string => `${e.node}:${e.ifname}`;
const linkText = (l: LabLink): string => `links[${l.index}] (${l.ends.map(at).join(' <-> ')})`;
const isV6 = (cidr: string): boolean => splitCidr(cidr).family === AF_INET6;

/** Send each namespace's work as one batch, all namespaces at once; undos journalled for what succeeded. */
async function sendAll(byNs: Map<Netns, Work[]>, journal: Journal): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all([...byNs].map(async ([ns, work]) => {
    if (work.length === 0) return;
    const results: (NetlinkError | undefined)[] = await ns.batch(work.map((w) => w.req), 'lab');
    for (const [i, r] of results.entries()) {
      if (r) failures.push(`${work[i]!.what} in ${ns.label}: ${r.message.replace(/^.*?: /, '')}`);
      else if (work[i]!.undo) journal.add(work[i]!.undo!);
    }
  }));
  return failures;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** An undo that sends requests and calls it clean only on the kernel's acks. */
const requestUndo = (ns: Netns, what: string, reqs: Request[]): Undo => ({
  what,
  run: async () => {
    const r = await ns.batch(reqs, `undo ${what}`);
    const bad = r.find((x) => x !== undefined);
    return bad ? bad.message : undefined;
  },
});

/** The undo of a link this run made: removed by ifindex, clean only when the kernel confirms it gone. */
const removalUndo = (link: LabLink, pair: Pair): Undo => ({
  what: `remove ${linkText(link)}`,
  run: async () => { const u = await undoPair(pair); return u.clean ? undefined : u.summary; },
});

/** The requests that fix one end in place, with their undos. */
function fixEnd(c: EndChange): Work[] {
  const { ns } = c.found.state;
  const ifindex = c.found.seen.link.ifindex;
  const where = at(c.end);
  const work: Work[] = [];
  for (const cidr of c.remove) {
    work.push({ req: deleteAddress({ index: ifindex, cidr }), what: `remove ${cidr} from ${where}`, undo: requestUndo(ns, `put ${cidr} back on ${where}`, [addAddress({ index: ifindex, cidr })]) });
  }
  if (c.mtu || c.mac || c.up) {
    const back = setLink(ifindex, { mtu: c.mtu?.from, address: c.mac?.from, up: c.up ? false : undefined });
    work.push({ req: setLink(ifindex, { mtu: c.mtu?.to, address: c.mac?.to, up: c.up ? true : undefined }), what: `set ${where}`, undo: requestUndo(ns, `set ${where} back`, [back]) });
  }
  for (const cidr of c.add) {
    work.push({ req: addAddress({ index: ifindex, cidr, nodad: isV6(cidr) }), what: `add ${cidr} to ${where}`, undo: requestUndo(ns, `remove ${cidr} from ${where}`, [deleteAddress({ index: ifindex, cidr })]) });
  }
  return work;
}

/** A one-end link of the lab as attach() takes it (its parent in the namespace vethcon runs in). */
function kindInput(link: LabLink): AttachLinkInput {
  if (link.vxlan) return { kind: 'vxlan', parent: link.vxlan.parent, remote: link.vxlan.remote, id: link.vxlan.vni, port: link.vxlan.port ?? 4789 };
  if (link.macvlan) return { kind: 'macvlan', parent: link.macvlan.parent, mode: link.macvlan.mode ?? 'bridge' };
  return { kind: 'vlan', parent: link.vlan!.parent, id: link.vlan!.id };
}

/** A link as found, as a Pair for removePair/undoPair. */
function asPair(old: OldLink): Pair {
  return { id: old.id, group: markGroup(old.id), ends: old.ends.map((f) => ({ ns: f.state.ns, label: f.state.label, ifname: f.seen.link.ifname, ifindex: f.seen.link.ifindex })) };
}

/** A new pair, being made. */
interface Making {
  link: LabLink;
  id: string;
  pair: Pair;
  a: { end: LabEnd; node: PresentNode };
  b: { end: LabEnd; node: PresentNode };
}

/**
 * Carry out `steps` (the file's links' `create`, `update`, `recreate`, and
 * `remove` if pruning). Resolves to each made link's ends; a failure throws
 * WiringError after undoing what was done.
 */
export async function execute(vc: Vethcon, steps: Step[], nodes: Map<string, PresentNode>, opts: ExecuteOptions): Promise<Map<LabLink, MadeEnd[]>> {
  const journal = new Journal();
  const made = new Map<LabLink, MadeEnd[]>();
  const total = steps.filter((s) => s.op !== 'unchanged' && s.op !== 'waiting').length;
  let done = 0;
  const progress = (n: number): void => { done += n; opts.onProgress?.(done, total); };
  const fail = (failures: string[]): never => { throw new Error(failures.length > 3 ? `${failures.slice(0, 3).join('; ')}; and ${failures.length - 3} more` : failures.join('; ')); };
  const stopIfAborted = (): void => { if (opts.signal?.aborted) throw new Error('stopped (interrupted)'); };
  try {
    // 1. What is left of links made again goes first: their names are needed.
    for (const s of steps) {
      if (s.op !== 'recreate') continue;
      for (const old of s.old) await removeOld(old, journal, nodes, opts.lab);
    }
    stopIfAborted();
    // 2. New pairs, by the namespace of their first end.
    const making: Making[] = [];
    for (const s of steps) {
      if ((s.op !== 'create' && s.op !== 'recreate') || s.link.kind !== 'veth') continue;
      const [ea, eb] = s.link.ends as [LabEnd, LabEnd];
      const id = newPairId();
      const na = nodes.get(ea.node)!;
      const nb = nodes.get(eb.node)!;
      making.push({
        link: s.link, id, a: { end: ea, node: na }, b: { end: eb, node: nb },
        pair: { id, group: markGroup(id), ends: [{ ns: na.ns, label: na.label, ifname: ea.ifname }, { ns: nb.ns, label: nb.label, ifname: eb.ifname }] },
      });
    }
    const creator = selfProcess();
    const byA = new Map<Netns, Making[]>();
    for (const m of making) push(byA, m.a.node.ns, m);
    const createFailures: string[] = [];
    await Promise.all([...byA].map(async ([ns, list]) => {
      const units = list.map((m) => {
        const same = m.a.node.end.identity === m.b.node.end.identity;
        return {
          create: createPairRequest(m.a.end, m.b.end, same ? undefined : m.b.node.end.pin.fd, m.pair.group),
          also: [markGroupRequest(m.pair.group, pendingMark(m.id, creator, { lab: opts.lab, link: m.link.key }))],
          ifname: m.a.end.ifname,
        };
      });
      const results = await ns.createUnits(units, 'create');
      for (const [i, r] of results.entries()) {
        const m = list[i]!;
        if (r.error) { createFailures.push(`create ${linkText(m.link)}: ${r.error.message.replace(/^.*?: /, '')}`); continue; }
        const [ea, eb] = m.pair.ends as [Pair['ends'][0], Pair['ends'][0]];
        ea.ifindex = r.made?.ifindex ?? await m.a.node.ns.ifindex(m.a.end.ifname);
        eb.ifindex = r.made?.link ?? await m.b.node.ns.ifindex(m.b.end.ifname);
        journal.add(removalUndo(m.link, m.pair));
        if (r.failed) createFailures.push(`mark ${linkText(m.link)}: ${r.failed.message.replace(/^.*?: /, '')}`);
      }
      // Counted as created: configuring them (addresses, up, marks) takes a fraction of this.
      progress(list.length);
    }));
    if (createFailures.length) fail(createFailures);
    stopIfAborted();
    // 3. Drifted links, fixed in place.
    const fixes = new Map<Netns, Work[]>();
    let updates = 0;
    for (const s of steps) {
      if (s.op !== 'update') continue;
      updates++;
      for (const c of s.changes) {
        if (c.add.some(isV6)) await vc.enableIPv6(nodes.get(c.end.node)!.end.target, c.end.ifname);
        for (const w of fixEnd(c)) push(fixes, c.found.state.ns, w);
      }
    }
    const fixFailures = await sendAll(fixes, journal);
    if (fixFailures.length) fail(fixFailures);
    progress(updates);
    stopIfAborted();
    // 4 and 5. Each new pair's peer, then its first end: addresses, up, marked complete.
    for (const side of ['b', 'a'] as const) {
      const work = new Map<Netns, Work[]>();
      for (const m of making) {
        const { end, node } = m[side];
        const ifindex = m.pair.ends[side === 'a' ? 0 : 1]!.ifindex!;
        if (end.addresses.some(isV6)) await vc.enableIPv6(node.end.target, end.ifname);
        for (const cidr of end.addresses) push(work, node.ns, { req: addAddress({ index: ifindex, cidr, nodad: isV6(cidr) }), what: `add ${cidr} to ${at(end)}` });
        push(work, node.ns, { req: completeRequest(ifindex, completeMark(m.id, { lab: opts.lab, link: m.link.key }), side === 'b' ? true : undefined), what: `set ${at(end)} up and mark it complete` });
      }
      const failures = await sendAll(work, journal);
      if (failures.length) fail(failures);
      stopIfAborted();
    }
    for (const m of making) {
      made.set(m.link, (['a', 'b'] as const).map((side, i) => ({
        node: m[side].end.node, label: m[side].node.label, ifname: m[side].end.ifname, ifindex: m.pair.ends[i]!.ifindex!, addresses: m[side].end.addresses,
      })));
    }
    // 5b. Links of their own kind (vxlan, macvlan, vlan; a multi-host lab's links between hosts), one by one.
    for (const s of steps) {
      if ((s.op !== 'create' && s.op !== 'recreate') || s.link.kind === 'veth') continue;
      const end = s.link.ends[0]!;
      const node = nodes.get(end.node)!;
      const r = await attach({ ns: node.place, ifname: end.ifname, addresses: end.addresses, mtu: end.mtu, mac: end.mac }, kindInput(s.link), { client: vc, mark: { lab: opts.lab, link: s.link.key }, signal: opts.signal });
      const pair: Pair = { id: r.id, group: markGroup(r.id), ends: [{ ns: node.ns, label: node.label, ifname: end.ifname, ifindex: r.end.ifindex }] };
      journal.add(removalUndo(s.link, pair));
      made.set(s.link, [{ node: end.node, label: node.label, ifname: end.ifname, ifindex: r.end.ifindex, addresses: end.addresses }]);
      progress(1);
    }
    // 6. Links the file no longer names (only steps given here: the caller decides on --prune).
    let removed = 0;
    for (const s of steps) {
      if (s.op !== 'remove') continue;
      await removeOld(s.old, journal, nodes, opts.lab);
      removed++;
    }
    progress(removed);
    // The last look, before success is reported: every node's name still leads to the namespace worked on.
    for (const n of nodes.values()) {
      const moved = nameDrift(n.end);
      if (moved) throw new Error(moved);
    }
    return made;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    if (journal.size === 0) throw new WiringError(`${reason}; nothing was changed`, cause);
    const left = await journal.rollback();
    if (left.length === 0) throw new WiringError(`${reason}; everything this run changed was undone, and the kernel confirmed it`, cause);
    throw new WiringError(`${reason}; undoing failed in part: ${left.join('; ')}`, cause, left.join('; '));
  }
}

/** Remove a link of the lab (by ifindex, confirmed gone); its undo makes it again as it was. */
async function removeOld(old: OldLink, journal: Journal, nodes: Map<string, PresentNode>, lab: string): Promise<void> {
  const pair = asPair(old);
  const r = await removePair(pair);
  const where = old.ends.map((e) => `${e.seen.link.ifname} in ${e.state.label}`).join(' <-> ');
  if (r.left.length || !r.deleted) throw new Error(`cannot remove ${where}: ${r.errors.join('; ') || `${r.left.join(', ')} still there`}`);
  journal.add({ what: `make ${where} again`, run: () => restore(old, nodes, lab) });
}

/**
 * Make a removed link again as it was found: same names, addresses, MTU,
 * MAC, state and mark (new ifindexes). Only a veth pair with both ends found
 * can be; otherwise the reason.
 */
async function restore(old: OldLink, nodes: Map<string, PresentNode>, lab: string): Promise<string | undefined> {
  if (old.ends.length !== 2) return 'only one end of it was found, so it cannot be made again';
  const [fa, fb] = old.ends as [FoundEnd, FoundEnd];
  const na = nodes.get(fa.node)!;
  const nb = nodes.get(fb.node)!;
  const endOf = (f: FoundEnd): LabEnd => ({ node: f.node, ifname: f.seen.link.ifname, addresses: f.seen.addresses, mtu: f.seen.link.mtu, mac: f.seen.link.address });
  const a = endOf(fa);
  const b = endOf(fb);
  const id = old.id;
  const group = markGroup(id);
  const same = na.end.identity === nb.end.identity;
  const [r] = await na.ns.createUnits([{ create: createPairRequest(a, b, same ? undefined : nb.end.pin.fd, group), also: [markGroupRequest(group, pendingMark(id, selfProcess(), { ...fa.seen.mark!.fields, lab }))], ifname: a.ifname }], 'restore');
  if (r!.error) return r!.error.message;
  const ia = r!.made?.ifindex ?? await na.ns.ifindex(a.ifname);
  const ib = r!.made?.link ?? await nb.ns.ifindex(b.ifname);
  const fields = { ...fa.seen.mark!.fields, lab };
  for (const [f, end, ns, index] of [[fb, b, nb.ns, ib], [fa, a, na.ns, ia]] as const) {
    const reqs: Request[] = end.addresses.map((cidr) => addAddress({ index, cidr, nodad: isV6(cidr) }));
    reqs.push(completeRequest(index, completeMark(id, fields), f.seen.link.up ? true : undefined));
    const bad = (await ns.batch(reqs, 'restore')).find((x) => x !== undefined);
    if (bad) return bad.message;
  }
  return undefined;
}
