// The difference between a lab and what is there: per link of the file,
// create it, fix it in place (addresses, MTU, MAC, state), leave it, or
// make it again (a half of it left, its peer elsewhere); per link of the
// lab that the file no longer names, a removal (made only with --prune).
// A name the lab needs that something else holds is a conflict, found here,
// before any change.

import { splitCidr } from '../netlink/route/addr-requests.js';
import { quote } from '../rules/index.js';
import { addressKey } from '../wire/connect.js';
import { ConflictError } from '../wire/errors.js';
import type { LabEnd, LabLink } from './model.js';
import type { NamespaceState, SeenLink } from './observe.js';

/** One end as found: where, which link, and what it holds now. */
export interface FoundEnd {
  node: string;
  state: NamespaceState;
  seen: SeenLink;
}

/** A link of the lab as it is now (both ends, or what is left of it), to remove or to make again. */
export interface OldLink {
  id: string;
  key?: string;
  ends: FoundEnd[];
}

export interface EndChange {
  end: LabEnd;
  found: FoundEnd;
  add: string[];
  remove: string[];
  mtu?: { from?: number; to: number };
  mac?: { from?: string; to: string };
  up: boolean;
}

export type Step =
  | { op: 'create'; link: LabLink }
  | { op: 'update'; link: LabLink; ends: FoundEnd[]; changes: EndChange[] }
  | { op: 'unchanged'; link: LabLink; ends: FoundEnd[] }
  | { op: 'recreate'; link: LabLink; old: OldLink[]; why: string }
  | { op: 'remove'; old: OldLink }
  | { op: 'waiting'; link: LabLink; why: string };

/** One key per address and prefix however it is spelled: 2001:DB8:0::1/64 = 2001:db8::1/64. */
const cidrKey = (cidr: string): string => `${addressKey(cidr)}/${splitCidr(cidr).prefixlen}`;

/** The same strings in the same order: then the same addresses, whatever their spelling rules. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Addresses to add and to remove so that `have` becomes `want`, compared by address, not spelling. */
function addressChanges(have: readonly string[], want: readonly string[]): { add: string[]; remove: string[] } {
  // The usual case, and the cheap one: written as the kernel reports them.
  if (sameList(have, want)) return { add: [], remove: [] };
  const haveKeys = new Map(have.map((c) => [cidrKey(c), c]));
  const wantKeys = new Map(want.map((c) => [cidrKey(c), c]));
  return {
    add: [...wantKeys].filter(([k]) => !haveKeys.has(k)).map(([, v]) => v),
    remove: [...haveKeys].filter(([k]) => !wantKeys.has(k)).map(([, v]) => v),
  };
}

/** What to change on an end that is there, to match the file. */
function changesOf(end: LabEnd, found: FoundEnd): EndChange {
  const l = found.seen.link;
  const c: EndChange = { end, found, ...addressChanges(found.seen.addresses, end.addresses), up: !l.up };
  if (end.mtu !== undefined && end.mtu !== l.mtu) c.mtu = { from: l.mtu, to: end.mtu };
  if (end.mac !== undefined && end.mac !== l.address?.toLowerCase()) c.mac = { from: l.address, to: end.mac };
  return c;
}

/** Is the end as the file says, its addresses written as the kernel reports them? (Then changesOf finds nothing.) */
function asWritten(end: LabEnd, found: FoundEnd): boolean {
  const l = found.seen.link;
  return l.up && sameList(found.seen.addresses, end.addresses) && (end.mtu === undefined || end.mtu === l.mtu)
    && (end.mac === undefined || end.mac === l.address?.toLowerCase());
}

export const hasChanges = (c: EndChange): boolean => c.add.length > 0 || c.remove.length > 0 || c.mtu !== undefined || c.mac !== undefined || c.up;

/** The changes in words: `r1:eth1 mtu 1500 -> 9000`, `+10.0.0.1/30`. */
export function describeChanges(c: EndChange): string[] {
  const at = `${c.end.node}:${c.end.ifname}`;
  const out: string[] = [];
  for (const a of c.remove) out.push(`${at} -${a}`);
  for (const a of c.add) out.push(`${at} +${a}`);
  if (c.mtu) out.push(`${at} mtu ${c.mtu.from ?? '?'} -> ${c.mtu.to}`);
  if (c.mac) out.push(`${at} mac ${c.mac.from ?? '?'} -> ${c.mac.to}`);
  if (c.up) out.push(`${at} down -> up`);
  return out;
}

/** Is `s` this lab link's end (the lab's mark with this key, complete)? */
const isOurs = (s: SeenLink | undefined, key: string): s is SeenLink => s?.mark?.fields.link === key && !s.mark.pending;

/** Is the link found here what a one-end link of the file asks for (its kind and kind options)? */
function kindMatches(link: LabLink, l: SeenLink['link']): boolean {
  if (l.kind !== link.kind) return false;
  const d = (l.kindData ?? {}) as Record<string, unknown>;
  if (link.vxlan) return d.id === link.vxlan.vni && d.group === link.vxlan.remote && d.port === (link.vxlan.port ?? 4789);
  if (link.macvlan) return d.mode === (link.macvlan.mode ?? 'bridge');
  if (link.vlan) return d.id === link.vlan.id;
  return true;
}

/** Why the two ends found are not one healthy pair of this link, or undefined if they are. */
function brokenWhy(a: FoundEnd, b: FoundEnd): string | undefined {
  const la = a.seen.link;
  const lb = b.seen.link;
  if (la.kind !== 'veth' || lb.kind !== 'veth') return 'an end is not a veth';
  if (a.seen.mark!.id !== b.seen.mark!.id) return 'its ends belong to two different pairs';
  if (la.link !== lb.ifindex || lb.link !== la.ifindex) return 'its ends are not each other\'s peer';
  const sameNs = a.state.identity === b.state.identity;
  if (sameNs !== (la.linkNetnsid === undefined)) return 'an end\'s peer is in another namespace';
  return undefined;
}

export interface DiffInput {
  lab: string;
  links: LabLink[];
  /** Node name -> its namespace's state; a node missing here is absent. */
  states: Map<string, NamespaceState>;
  absent: Map<string, { why: string }>;
  /** Only these nodes' old links are candidates for removal (all nodes by default). */
  nodes?: Set<string>;
}

/** The steps that make the machine match the file; ConflictError if a name the file needs is someone else's. */
export function diff(input: DiffInput): Step[] {
  const steps: Step[] = [];
  const conflicts: string[] = [];
  // This lab's links, by mark id, each once (two nodes may share a namespace).
  const byId = new Map<string, FoundEnd[]>();
  const counted = new Map<string, Set<number>>(); // namespace identity -> ifindexes taken
  for (const [node, state] of input.states) {
    let here = counted.get(state.identity);
    if (!here) counted.set(state.identity, (here = new Set()));
    for (const seen of state.ours) {
      if (here.has(seen.link.ifindex)) continue;
      here.add(seen.link.ifindex);
      const list = byId.get(seen.mark!.id);
      if (list) list.push({ node, state, seen });
      else byId.set(seen.mark!.id, [{ node, state, seen }]);
    }
  }
  // First the links that are there and healthy: their ids are taken.
  const used = new Set<string>();
  const pending: { link: LabLink; found: (FoundEnd | undefined)[] }[] = [];
  for (const link of input.links) {
    const missing = input.absent.size ? link.ends.map((e) => input.absent.get(e.node) && `node ${e.node}: ${input.absent.get(e.node)!.why}`).find(Boolean) : undefined;
    if (missing) { steps.push({ op: 'waiting', link, why: missing }); continue; }
    const found = link.ends.map((e): FoundEnd | undefined => {
      const state = input.states.get(e.node)!;
      const seen = state.byName.get(e.ifname);
      return seen ? { node: e.node, state, seen } : undefined;
    });
    const [a, b] = found;
    if (link.kind !== 'veth' && a && isOurs(a.seen, link.key) && kindMatches(link, a.seen.link)) {
      used.add(a.seen.mark!.id);
      const changes = [changesOf(link.ends[0]!, a)].filter(hasChanges);
      steps.push(changes.length ? { op: 'update', link, ends: [a], changes } : { op: 'unchanged', link, ends: [a] });
    } else if (link.kind === 'veth' && a && b && isOurs(a.seen, link.key) && isOurs(b.seen, link.key) && !brokenWhy(a, b)) {
      used.add(a.seen.mark!.id);
      // Most links of a reapply are as the file says: found so without building their changes.
      const changes = asWritten(link.ends[0]!, a) && asWritten(link.ends[1]!, b) ? [] : link.ends.map((e, i) => changesOf(e, found[i]!)).filter(hasChanges);
      steps.push(changes.length ? { op: 'update', link, ends: [a, b], changes } : { op: 'unchanged', link, ends: [a, b] });
    } else {
      pending.push({ link, found });
    }
  }
  // Then the rest: made anew, after what is left of them (their key, under any name, in their
  // nodes) and this lab's links that hold the names they need (a renamed end) are removed.
  for (const { link, found } of pending) {
    const [a, b] = found;
    const oldIds = new Set<string>();
    for (const e of link.ends) for (const s of input.states.get(e.node)!.ours) if (s.mark!.fields.link === link.key && !used.has(s.mark!.id)) oldIds.add(s.mark!.id);
    for (const f of found) if (f?.seen.mark?.fields.lab === input.lab && !used.has(f.seen.mark.id)) oldIds.add(f.seen.mark.id);
    for (const [i, f] of found.entries()) {
      if (f && !(f.seen.mark && oldIds.has(f.seen.mark.id))) {
        const whose = f.seen.mark ? (f.seen.mark.fields.lab ? `lab ${f.seen.mark.fields.lab}'s` : 'a vethcon link not in a lab') : 'not made by vethcon';
        conflicts.push(`links[${link.index}]: ${quote(link.ends[i]!.ifname)} is taken in ${f.state.label} (node ${f.node}) by a link that is ${whose} (ifindex ${f.seen.link.ifindex})`);
      }
    }
    for (const id of oldIds) used.add(id);
    const old = [...oldIds].map((id) => ({ id, key: link.key, ends: byId.get(id) ?? [] }));
    if (old.length === 0) { steps.push({ op: 'create', link }); continue; }
    const why = link.kind !== 'veth' ? (a && isOurs(a.seen, link.key) ? `it is not the ${link.kind} the file says (kind or options changed)` : 'it is not as the file says') : a && b && isOurs(a.seen, link.key) && isOurs(b.seen, link.key) ? brokenWhy(a, b) ?? 'it changed' : found.some((f) => f?.seen.mark?.pending) ? 'an earlier run left it half made' : 'it is not as the file says (an end missing, renamed or moved)';
    steps.push({ op: 'recreate', link, old, why });
  }
  if (conflicts.length) throw new ConflictError(`${conflicts.join('\n')}\nnothing was changed`);
  for (const [id, ends] of byId) {
    if (used.has(id)) continue;
    if (input.nodes && !ends.some((e) => input.nodes!.has(e.node))) continue;
    steps.push({ op: 'remove', old: { id, key: ends[0]!.seen.mark!.fields.link, ends } });
  }
  return steps;
}
