// connect(): one veth pair with an end in each namespace, named, addressed,
// sized and up. Everything that can be checked is checked before the first
// change. Each end's namespace is resolved once and pinned (an open file,
// src/ns/pin.ts): sockets are opened in the pinned namespace, the peer is
// placed in it (IFLA_NET_NS_FD is the pin), and names are only looked at
// again to check they still lead there. The pair carries our mark from its
// creation (src/wire/mark.ts): pending while it is configured, complete once
// both ends are. If a step fails, or a name leads elsewhere by the end, the
// pair is deleted again by ifindex and confirmed gone (src/wire/undo.ts), and
// the error says what failed and whether the undo was clean.

import { Vethcon } from '../api/client.js';
import type { Netns } from '../api/netns.js';
import { NetlinkError } from '../netlink/kernel-error.js';
import { addAddress, splitCidr, AF_INET6 } from '../netlink/route/addr-requests.js';
import { parseIP } from '../netlink/bytes.js';
import type { Request } from '../netlink/request.js';
import { samePin, selfProcess } from '../ns/index.js';
import { check, endSpec, ValidationError, type EndInput, type EndSpec } from '../rules/index.js';
import { resolveEndpoint, releaseEndpoint, containerStillThere, drift, nameDrift, type ResolvedEndpoint } from './endpoint.js';
import { ConflictError, WiringError, reasonOf, stoppedBeforeAnyChange } from './errors.js';
import { completeMark, markGroup, newPairId, pendingMark } from './mark.js';
import { completeRequest, createPairRequest, markEndRequest, markGroupRequest, planConnect, type PlanStep } from './plan.js';
import { undoPair, type Pair } from './undo.js';

export interface EndResult {
  endpoint: string;
  ifname: string;
  ifindex: number;
  addresses: string[];
  mtu?: number;
  mac?: string;
}

export interface ConnectOptions {
  /** Reuse a library instance (its sockets); otherwise one is opened and closed. */
  client?: Vethcon;
  /** Called after validation, before the first change (tests use it to inject faults). */
  beforeWiring?: (signal?: AbortSignal) => Promise<void>;
  /** Called once the pair exists, before it is configured (tests use it to inject faults). */
  afterCreate?: (signal?: AbortSignal) => Promise<void>;
  /**
   * Stop at the next step: before the first change, with nothing done
   * (InterruptedError); after it, with the pair removed again (WiringError).
   * Once connect() has resolved, the pair stays.
   */
  signal?: AbortSignal;
}

/**
 * Like the 2017 tool's `vethcon -d c1:nic1:10.10.1.2/24 -d c2:nic2:10.10.1.3/24`:
 * a veth pair between two namespaces, each end named, addressed (IPv4 and
 * IPv6, any number), with optional MTU and MAC, both up.
 */
export async function connect(aIn: EndInput, bIn: EndInput, opts: ConnectOptions = {}): Promise<{ ends: [EndResult, EndResult] }> {
  const a = check(endSpec, aIn, 'end 1');
  const b = check(endSpec, bIn, 'end 2');
  const vc = opts.client ?? new Vethcon();
  const pinned: ResolvedEndpoint[] = [];
  try {
    const { ea, eb, na, nb, sameNs } = await prepare(vc, a, b, pinned);
    await opts.beforeWiring?.(opts.signal);
    if (opts.signal?.aborted) throw stoppedBeforeAnyChange(opts.signal);
    // A name that leads elsewhere now (or a container that stopped): stop before the first change.
    const changed = await drift([ea, eb]);
    if (changed) throw new WiringError(`cannot create ${pairText(a, b, ea, eb)}: ${changed}; nothing was changed`, new Error(changed));
    return { ends: await wire(vc, a, b, ea, eb, na, nb, sameNs, opts) };
  } finally {
    // Closing a pin lets its namespace go if nothing else holds it (our sockets are closed with the client).
    for (const e of pinned) releaseEndpoint(e);
    if (!opts.client) await vc.close();
  }
}

/**
 * What connect(a, b) would send, after every check a real connect makes
 * before its first change (containers running, namespaces there, names
 * free), with the labels it resolved; ValidationError, DockerError,
 * NetnsError or ConflictError as connect() would throw them. Changes nothing.
 */
export async function checkConnect(aIn: EndInput, bIn: EndInput, opts: { client?: Vethcon } = {}): Promise<PlanStep[]> {
  const a = check(endSpec, aIn, 'end 1');
  const b = check(endSpec, bIn, 'end 2');
  const vc = opts.client ?? new Vethcon();
  const pinned: ResolvedEndpoint[] = [];
  try {
    await prepare(vc, a, b, pinned);
    return planConnect(a, b);
  } finally {
    for (const e of pinned) releaseEndpoint(e);
    if (!opts.client) await vc.close();
  }
}

/** The checks before the first change: both ends resolved and pinned (into `pinned`), their names free. */
async function prepare(vc: Vethcon, a: EndSpec, b: EndSpec, pinned: ResolvedEndpoint[]) {
  const resolved = await Promise.allSettled([resolveEndpoint(a.ns), resolveEndpoint(b.ns)]);
  for (const r of resolved) if (r.status === 'fulfilled') pinned.push(r.value);
  for (const r of resolved) if (r.status === 'rejected') throw r.reason;
  const [ea, eb] = pinned as [ResolvedEndpoint, ResolvedEndpoint];
  const sameNs = samePin(ea.pin, eb.pin);
  checkEnds(a, b, ea, eb, sameNs);
  const na = await vc.netns(ea.target);
  const nb = sameNs ? na : await vc.netns(eb.target);
  await Promise.all([assertFree(na, a.ifname, ea.label), assertFree(nb, b.ifname, eb.label)]);
  return { ea, eb, na, nb, sameNs };
}

const pairText = (a: EndSpec, b: EndSpec, ea: ResolvedEndpoint, eb: ResolvedEndpoint): string => `veth ${a.ifname} in ${ea.label} <-> ${b.ifname} in ${eb.label}`;

/** One key per address however it is spelled (2001:db8::1 = 2001:DB8:0::1). */
export function addressKey(cidr: string): string {
  return Buffer.from(parseIP(splitCidr(cidr).address)).toString('hex');
}

function checkEnds(a: EndSpec, b: EndSpec, ea: ResolvedEndpoint, eb: ResolvedEndpoint, sameNs: boolean): void {
  if (sameNs && a.ifname === b.ifname) throw new ValidationError(`both ends would be named ${a.ifname} in ${ea.label}`);
  const ipsA = new Map(a.addresses.map((c) => [addressKey(c), c]));
  for (const c of b.addresses) {
    const other = ipsA.get(addressKey(c));
    if (other !== undefined) throw new ValidationError(`both ends would have the address ${splitCidr(c).address}${other === c ? '' : ` (${other} and ${c})`}`);
  }
  for (const [end, e] of [[a, ea], [b, eb]] as const) {
    const seen = new Map<string, string>();
    for (const c of end.addresses) {
      const first = seen.get(addressKey(c));
      if (first !== undefined) throw new ValidationError(`${end.ifname} in ${e.label}: address ${c} given twice${first === c ? '' : ` (also as ${first})`}`);
      seen.set(addressKey(c), c);
    }
  }
}

/** ConflictError unless no link is named `ifname` in `ns`. */
export async function assertFree(ns: Netns, ifname: string, label: string): Promise<void> {
  try {
    await ns.ifindex(ifname);
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV') return;
    throw e;
  }
  throw new ConflictError(`a link named ${ifname} already exists in ${label}`);
}

async function wire(
  vc: Vethcon, a: EndSpec, b: EndSpec, ea: ResolvedEndpoint, eb: ResolvedEndpoint, na: Netns, nb: Netns, sameNs: boolean, opts: ConnectOptions,
): Promise<[EndResult, EndResult]> {
  const stopIfAborted = (): void => {
    if (opts.signal?.aborted) throw new Error(reasonOf(opts.signal));
  };
  const what = pairText(a, b, ea, eb);
  const id = newPairId();
  const pair: Pair = {
    id, group: markGroup(id),
    ends: [{ ns: na, label: ea.label, ifname: a.ifname }, { ns: nb, label: eb.label, ifname: b.ifname }],
  };
  const [endA, endB] = pair.ends as [Pair['ends'][0], Pair['ends'][0]];
  const pending = pendingMark(id, selfProcess());
  const complete = completeMark(id);
  let created = false;
  try {
    // The creation and our end's pending mark in one send: no moment with an unmarked link of ours.
    const { made, failed } = await na.createTogether(
      createPairRequest(a, b, sameNs ? undefined : eb.pin.fd, pair.group), [markGroupRequest(pair.group, pending)], a.ifname, `create ${what}`);
    created = true;
    // Both ifindexes from the kernel's echo of the new link; looked up (in the pinned namespaces) where it sent none.
    endA.ifindex = made?.ifindex ?? await na.ifindex(a.ifname);
    endB.ifindex = made?.link ?? await nb.ifindex(b.ifname);
    if (failed) throw failed;
    // The peer's own pending mark (in one namespace, the group's alias already reached it).
    if (!sameNs) await nb.request(markEndRequest(endB.ifindex, pending), `mark ${b.ifname} as ours`);
    await opts.afterCreate?.(opts.signal);
    stopIfAborted();
    // Both ends at once, each on its own namespace's socket; the first failure is the one reported.
    // The peer comes up, marked complete, in the batch that addresses it.
    const configured = await Promise.allSettled([
      configure(vc, na, ea, a, [], endA.ifindex),
      configure(vc, nb, eb, b, [completeRequest(endB.ifindex, complete, true)], endB.ifindex),
    ]);
    for (const c of configured) if (c.status === 'rejected') throw c.reason;
    stopIfAborted();
    const changed = await drift([ea, eb]);
    if (changed) throw new Error(changed);
    // Our end last: the pair is complete once it is.
    await na.request(completeRequest(endA.ifindex, complete), `mark ${a.ifname} complete`);
    // The last look, right before success is reported: names only, no engine round trip.
    const moved = nameDrift(ea) ?? nameDrift(eb);
    if (moved) throw new Error(moved);
    return [result(ea, a, endA.ifindex), result(eb, b, endB.ifindex)];
  } catch (cause) {
    const reason = await explain(cause, created, [[a, ea, na], [b, eb, nb]]);
    if (!created) throw new WiringError(`cannot create ${what}: ${reason}`, cause);
    const undone = await undoPair(pair);
    if (undone.clean) throw new WiringError(`${what}: ${reason}; the pair was removed again (${undone.summary}), nothing is left behind`, cause);
    throw new WiringError(`${what}: ${reason}; undoing failed too: ${undone.summary}`, cause, undone.summary);
  }
}

/**
 * Why wiring failed, in the user's terms: a container that stopped, or a name
 * taken since it was checked, rather than a bare errno from a /proc path.
 */
async function explain(cause: unknown, created: boolean, ends: [EndSpec, ResolvedEndpoint, Netns][]): Promise<string> {
  const reason = cause instanceof Error ? withoutOperation(cause) : String(cause);
  for (const [, e] of ends) {
    if (!(await containerStillThere(e))) return reason.startsWith(`${e.label} stopped`) ? reason : `${e.label} stopped while it was being wired (${reason})`;
  }
  if (!created && cause instanceof NetlinkError && cause.code === 'EEXIST') {
    for (const [end, e, ns] of ends) {
      try {
        await ns.getLink(end.ifname);
        return `a link named ${end.ifname} appeared in ${e.label} after it was checked (${reason})`;
      } catch { /* not this one */ }
    }
  }
  return reason;
}

/**
 * Addresses for one end, then `last` (the requests that complete it), in
 * one batch; IPv6 switched back on first where Docker turned it off.
 */
export async function configure(vc: Vethcon, ns: Netns, e: ResolvedEndpoint, end: EndSpec, last: Request[], index: number): Promise<void> {
  if (end.addresses.length === 0 && last.length === 0) return;
  if (end.addresses.some((c) => splitCidr(c).family === AF_INET6)) await vc.enableIPv6(e.target, end.ifname);
  // No DAD on our point-to-point pair: both addresses are ours and checked for duplicates above,
  // and the link is usable as soon as the command returns.
  const reqs: Request[] = end.addresses.map((cidr) => addAddress({ index, cidr, nodad: splitCidr(cidr).family === AF_INET6 }));
  reqs.push(...last);
  const results = await ns.batch(reqs, `configure ${end.ifname}`);
  const failed = results.findIndex((r) => r !== undefined);
  if (failed < 0) return;
  const why = results[failed]!.message.replace(/^.*?: /, '');
  if (failed < end.addresses.length) throw new Error(`add address ${end.addresses[failed]} to ${end.ifname} in ${e.label}: ${why}`);
  throw new Error(`set ${end.ifname} up in ${e.label}: ${why}`);
}

function result(e: ResolvedEndpoint, end: EndSpec, ifindex: number): EndResult {
  const r: EndResult = { endpoint: e.label, ifname: end.ifname, ifindex, addresses: end.addresses };
  if (end.mtu !== undefined) r.mtu = end.mtu;
  if (end.mac !== undefined) r.mac = end.mac;
  return r;
}

export { planConnect };

/**
 * A kernel refusal of the pair's creation, without the operation it names:
 * the WiringError around it names the pair already ("cannot create veth ...").
 */
function withoutOperation(e: Error): string {
  if (e instanceof NetlinkError && e.operation.startsWith('create ') && e.message.startsWith(`${e.operation}: `)) return e.message.slice(e.operation.length + 2);
  return e.message;
}
