// attach(): one end made of a link of its own kind (vxlan, macvlan, vlan) on
// a parent device, like koko's -x / -M / -V: named, addressed, sized and up
// in the end's namespace, its lower device the parent in the parent's
// namespace (the current one unless said otherwise).
//
// The link is created directly in the end's namespace, through that
// namespace's socket, with the parent named by the nsid the end's namespace
// gives the parent's (IFLA_LINK_NETNSID): the kernel looks the parent's
// ifindex up there, and a vxlan's UDP socket lives there too, as if it had
// been made beside the parent and moved. Created there, the link carries our
// mark from its creation like a veth pair's (src/wire/mark.ts): its link
// group in the creating request, the pending alias for that group in the
// same send. The other way (creating it beside the parent with
// IFLA_NET_NS_FD, as `ip link add ... netns X` does) would leave it unmarked
// until a second socket reached it. Everything else is as in connect():
// checks before the first change, pins, drift checks, and an undo by
// ifindex that the kernel confirms.

import { Vethcon } from '../api/client.js';
import type { Netns } from '../api/netns.js';
import { NetlinkError } from '../netlink/kernel-error.js';
import { getNsid, setNsid } from '../netlink/route/neigh-requests.js';
import { isNsid } from '../netlink/route/protocol.js';
import { NETNSA_NSID_NOT_ASSIGNED } from '../netlink/route/nsid.js';
import { samePin, selfProcess } from '../ns/index.js';
import { check, endSpec, ValidationError, type EndInput, type EndSpec, type EndpointNs } from '../rules/index.js';
import { attachLinkSchema, type AttachKindName, type AttachLinkInput } from '../rules/link-kinds.js';
import { addressKey, assertFree, configure, type EndResult } from './connect.js';
import { containerStillThere, drift, nameDrift, releaseEndpoint, resolveEndpoint, type ResolvedEndpoint } from './endpoint.js';
import { NotFoundError, WiringError, reasonOf, stoppedBeforeAnyChange } from './errors.js';
import { completeMark, formatMark, markGroup, newPairId, pendingMark } from './mark.js';
import { createKindRequest, kindOptions, planAttach } from './attach-plan.js';
import { completeRequest, markGroupRequest, type PlanStep } from './plan.js';
import { undoPair, type Pair } from './undo.js';

export type { AttachLinkInput, AttachKindName };

export interface AttachOptions {
  /** Reuse a library instance (its sockets); otherwise one is opened and closed. */
  client?: Vethcon;
  /**
   * Extra fields of the ownership mark (`key=value`, src/wire/mark.ts), for
   * both its pending and complete forms: a lab's `{ lab: 'x', link: 'abc' }`.
   */
  mark?: Record<string, string>;
  /** Called after the checks, before the first change (tests use it to inject faults). */
  beforeWiring?: (signal?: AbortSignal) => Promise<void>;
  /** Called once the link exists, before it is configured (tests use it to inject faults). */
  afterCreate?: (signal?: AbortSignal) => Promise<void>;
  /** Stop at the next step, as connect()'s signal. */
  signal?: AbortSignal;
}

export interface AttachResult {
  kind: AttachKindName;
  /** The made link, in the end's namespace. */
  end: EndResult;
  /** Its lower device. */
  parent: { endpoint: string; ifname: string; ifindex: number };
  /** The kind's options as sent (VNI, remote, port; mode; VLAN id), defaults included. */
  options: Record<string, unknown>;
  /** The mark's id (the alias reads vethcon:v1:ID[:fields]). */
  id: string;
}

/** What the checks found: everything a run needs before its first change. */
interface Prepared {
  vc: Vethcon;
  end: EndSpec;
  link: AttachLinkInput;
  ee: ResolvedEndpoint;
  ep: ResolvedEndpoint;
  ne: Netns;
  np: Netns;
  sameNs: boolean;
  parentName: string;
  parentIndex: number;
}

const kindText = (link: AttachLinkInput, end: EndSpec, ee: ResolvedEndpoint): string => `${link.kind} ${end.ifname} in ${ee.label}`;

/**
 * Like koko's `-d c1,vx0,10.0.0.1/24 -x eth0,192.0.2.2,42`: a vxlan (macvlan,
 * vlan) named and configured as `end` says, on the parent `link.parent`.
 * Throws before any change (ValidationError, NotFoundError for a missing
 * parent, ConflictError for a name taken, DockerError, NetnsError), or a
 * WiringError after one, with the link removed again and confirmed gone.
 */
export async function attach(endIn: EndInput, linkIn: AttachLinkInput, opts: AttachOptions = {}): Promise<AttachResult> {
  const { end, link } = checkInput(endIn, linkIn, opts.mark);
  const vc = opts.client ?? new Vethcon();
  const pinned: ResolvedEndpoint[] = [];
  try {
    const p = await prepare(vc, end, link, pinned);
    await opts.beforeWiring?.(opts.signal);
    if (opts.signal?.aborted) throw stoppedBeforeAnyChange(opts.signal);
    const changed = await drift([p.ee, p.ep]);
    if (changed) throw new WiringError(`cannot create ${kindText(link, end, p.ee)}: ${changed}; nothing was changed`, new Error(changed));
    return await wire(p, opts);
  } finally {
    for (const e of pinned) releaseEndpoint(e);
    if (!opts.client) await vc.close();
  }
}

/**
 * What attach(end, link) would send, after every check a real run makes
 * before its first change (the end's namespace there, its name free, the
 * parent there), with the parent's ifindex and nsid it found. Changes
 * nothing: a parent namespace without an nsid in the end's shows as -1 (a
 * run assigns one).
 */
export async function checkAttach(endIn: EndInput, linkIn: AttachLinkInput, opts: { client?: Vethcon; mark?: Record<string, string> } = {}): Promise<PlanStep[]> {
  const { end, link } = checkInput(endIn, linkIn, opts.mark);
  const vc = opts.client ?? new Vethcon();
  const pinned: ResolvedEndpoint[] = [];
  try {
    const p = await prepare(vc, end, link, pinned);
    const linkNetnsid = p.sameNs ? undefined : await lookUpNsid(p.ne, p.ep);
    return planAttach(end, link, { endLabel: p.ee.label, parentLabel: p.ep.label, parentIndex: p.parentIndex, linkNetnsid, mark: opts.mark });
  } finally {
    for (const e of pinned) releaseEndpoint(e);
    if (!opts.client) await vc.close();
  }
}

function checkInput(endIn: EndInput, linkIn: AttachLinkInput, mark: Record<string, string> | undefined): { end: EndSpec; link: AttachLinkInput } {
  const end = check(endSpec, endIn, 'end');
  const link = check(attachLinkSchema(), linkIn, 'link');
  try {
    formatMark({ id: '0000000000000000', pending: { pid: 4194304, start: Number.MAX_SAFE_INTEGER, pidns: 4294967295 }, fields: mark ?? {} });
  } catch (e) {
    throw new ValidationError(`mark: ${(e as Error).message}`);
  }
  const seen = new Map<string, string>();
  for (const c of end.addresses) {
    const first = seen.get(addressKey(c));
    if (first !== undefined) throw new ValidationError(`${end.ifname}: address ${c} given twice${first === c ? '' : ` (also as ${first})`}`);
    seen.set(addressKey(c), c);
  }
  return { end, link };
}

async function prepare(vc: Vethcon, end: EndSpec, link: AttachLinkInput, pinned: ResolvedEndpoint[]): Promise<Prepared> {
  const parentNs: EndpointNs = link.parentNs ?? { type: 'current' };
  const resolved = await Promise.allSettled([resolveEndpoint(end.ns), resolveEndpoint(parentNs)]);
  for (const r of resolved) if (r.status === 'fulfilled') pinned.push(r.value);
  for (const r of resolved) if (r.status === 'rejected') throw r.reason;
  const [ee, ep] = pinned as [ResolvedEndpoint, ResolvedEndpoint];
  const sameNs = samePin(ee.pin, ep.pin);
  const ne = await vc.netns(ee.target);
  const np = sameNs ? ne : await vc.netns(ep.target);
  const [parent] = await Promise.all([findParent(np, link, ep.label), assertFree(ne, end.ifname, ee.label)]);
  return { vc, end, link, ee, ep, ne, np, sameNs, parentName: parent.ifname, parentIndex: parent.ifindex };
}

async function findParent(np: Netns, link: AttachLinkInput, label: string): Promise<{ ifname: string; ifindex: number }> {
  try {
    const l = await np.getLink(link.parent);
    return { ifname: l.ifname, ifindex: l.ifindex };
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV') {
      throw new NotFoundError(`there is no link ${typeof link.parent === 'number' ? `with ifindex ${link.parent}` : `named ${link.parent}`} in ${label} to be the parent of the ${link.kind}`);
    }
    throw e;
  }
}

/** The nsid the end's namespace gives the parent's: NETNSA_NSID_NOT_ASSIGNED (-1) if none. */
async function lookUpNsid(ne: Netns, ep: ResolvedEndpoint): Promise<number> {
  const replies = await ne.request(getNsid(ep.pin.fd), `look up the nsid of ${ep.label}`, { noAck: true });
  for (const m of replies) if (isNsid(m) && m.attrs.nsid !== undefined) return m.attrs.nsid;
  return NETNSA_NSID_NOT_ASSIGNED;
}

/**
 * The parent's nsid in the end's namespace, assigned if it has none (like
 * `ip netns set NAME auto`; the kernel assigns one itself as soon as a link
 * there refers to the other namespace, so this is what the creation would do).
 */
async function parentNsid(ne: Netns, ep: ResolvedEndpoint): Promise<number> {
  const id = await lookUpNsid(ne, ep);
  if (id !== NETNSA_NSID_NOT_ASSIGNED) return id;
  try {
    await ne.request(setNsid(ep.pin.fd, NETNSA_NSID_NOT_ASSIGNED), `assign an nsid to ${ep.label}`);
  } catch (e) {
    // Someone assigned one meanwhile: use theirs.
    if (!(e instanceof NetlinkError && e.code === 'EEXIST')) throw e;
  }
  const now = await lookUpNsid(ne, ep);
  if (now === NETNSA_NSID_NOT_ASSIGNED) throw new Error(`${ep.label} has no nsid in the end's namespace, and assigning one did not give it one`);
  return now;
}

async function wire(p: Prepared, opts: AttachOptions): Promise<AttachResult> {
  const { end, link, ee, ep, ne, np } = p;
  const stopIfAborted = (): void => {
    if (opts.signal?.aborted) throw new Error(reasonOf(opts.signal));
  };
  const what = kindText(link, end, ee);
  const id = newPairId();
  const pair: Pair = { id, group: markGroup(id), ends: [{ ns: ne, label: ee.label, ifname: end.ifname }] };
  const mine = pair.ends[0]!;
  const fields = opts.mark ?? {};
  let created = false;
  try {
    const linkNetnsid = p.sameNs ? undefined : await parentNsid(ne, ep);
    // The creation and its pending mark in one send: no moment with an unmarked link of ours.
    const { made, failed } = await ne.createTogether(
      createKindRequest(end, link, p.parentIndex, linkNetnsid, pair.group), [markGroupRequest(pair.group, pendingMark(id, selfProcess(), fields))], end.ifname, `create ${what}`);
    created = true;
    mine.ifindex = made?.ifindex ?? await ne.ifindex(end.ifname);
    if (failed) throw failed;
    await opts.afterCreate?.(opts.signal);
    stopIfAborted();
    // Addresses, then up, marked complete and out of the group, in one batch.
    await configure(p.vc, ne, ee, end, [completeRequest(mine.ifindex, completeMark(id, fields), true)], mine.ifindex);
    stopIfAborted();
    const changed = await drift([ee, ep]);
    if (changed) throw new Error(changed);
    const parentNow = await np.findLink(p.parentIndex);
    if (parentNow?.ifname !== p.parentName) throw new Error(`the parent ${p.parentName} in ${ep.label} ${parentNow ? `is now named ${parentNow.ifname}` : 'is gone'}`);
    const moved = nameDrift(ee) ?? nameDrift(ep);
    if (moved) throw new Error(moved);
    const result: EndResult = { endpoint: ee.label, ifname: end.ifname, ifindex: mine.ifindex, addresses: end.addresses };
    if (end.mtu !== undefined) result.mtu = end.mtu;
    if (end.mac !== undefined) result.mac = end.mac;
    return { kind: link.kind, end: result, parent: { endpoint: ep.label, ifname: p.parentName, ifindex: p.parentIndex }, options: kindOptions(link), id };
  } catch (cause) {
    const reason = await explain(cause, [ee, ep]);
    if (!created) throw new WiringError(`cannot create ${what} on ${p.parentName} of ${ep.label}: ${reason}`, cause);
    const undone = await undoPair(pair);
    if (undone.clean) throw new WiringError(`${what}: ${reason}; the link was removed again (${undone.summary}), nothing is left behind`, cause);
    throw new WiringError(`${what}: ${reason}; undoing failed too: ${undone.summary}`, cause, undone.summary);
  }
}

/** Why it failed, in the user's terms: a container that stopped; the kernel's refusal without its operation. */
async function explain(cause: unknown, ends: ResolvedEndpoint[]): Promise<string> {
  let reason = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof NetlinkError && cause.operation.startsWith('create ') && reason.startsWith(`${cause.operation}: `)) reason = reason.slice(cause.operation.length + 2);
  if (cause instanceof NetlinkError && cause.code === 'EOPNOTSUPP' && /Unknown device type/i.test(reason)) reason += ' (this kernel has no support for this kind of link)';
  for (const e of ends) {
    if (!(await containerStillThere(e))) return `${e.label} stopped while it was being wired (${reason})`;
  }
  return reason;
}
