// connect(): one veth pair with an end in each namespace, named, addressed,
// sized and up. Everything that can be checked is
// checked before the first change. The peer is created directly in the other
// namespace (IFLA_NET_NS_FD), so a half-made pair never exists under a
// temporary name; if a later step fails, deleting our end removes both, and
// the error says what failed and that it was undone.

import { closeSync } from 'node:fs';
import { Vethcon } from '../api/client.js';
import { Netns, openNetnsFd } from '../api/netns.js';
import { NetlinkError } from '../netlink/kernel-error.js';
import { setLink } from '../netlink/route/link-requests.js';
import { addAddress, splitCidr, AF_INET6 } from '../netlink/route/addr-requests.js';
import { parseIP } from '../netlink/bytes.js';
import type { Request } from '../netlink/request.js';
import { check, endSpec, ValidationError, type EndInput, type EndSpec } from '../rules/index.js';
import { resolveEndpoint, containerStillThere, type ResolvedEndpoint } from './endpoint.js';
import { ConflictError, WiringError, reasonOf, stoppedBeforeAnyChange } from './errors.js';
import { createPairRequest, planConnect } from './plan.js';

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
  afterCreate?: () => Promise<void>;
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
  try {
    const [ea, eb] = await Promise.all([resolveEndpoint(a.ns), resolveEndpoint(b.ns)]);
    const sameNs = ea.identity === eb.identity;
    checkEnds(a, b, ea, eb, sameNs);
    const na = await vc.netns(ea.target);
    const nb = sameNs ? na : await vc.netns(eb.target);
    await Promise.all([assertFree(na, a.ifname, ea.label), assertFree(nb, b.ifname, eb.label)]);
    await opts.beforeWiring?.(opts.signal);
    if (opts.signal?.aborted) throw stoppedBeforeAnyChange(opts.signal);
    return { ends: await wire(vc, a, b, ea, eb, na, nb, sameNs, opts) };
  } finally {
    if (!opts.client) await vc.close();
  }
}

/** One key per address however it is spelled (2001:db8::1 = 2001:DB8:0::1). */
function addressKey(cidr: string): string {
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

async function assertFree(ns: Netns, ifname: string, label: string): Promise<void> {
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
  const what = `veth ${a.ifname} in ${ea.label} <-> ${b.ifname} in ${eb.label}`;
  let created = false;
  let indexA: number | undefined;
  try {
    const peerFd = sameNs ? undefined : openNetnsFd(eb.target);
    let echo: { ifindex: number; link?: number } | undefined;
    try {
      echo = await na.createEchoed(createPairRequest(a, b, peerFd), a.ifname, `create ${what}`);
      created = true;
    } finally {
      if (peerFd !== undefined) closeSync(peerFd);
    }
    await opts.afterCreate?.();
    stopIfAborted();
    // Both ifindexes from the kernel's echo of the new link; looked up where it sent none.
    indexA = echo?.ifindex ?? await na.ifindex(a.ifname);
    const indexB = echo?.link ?? await nb.ifindex(b.ifname);
    // Both ends at once, each on its own namespace's socket; the first failure is the one reported.
    const configured = await Promise.allSettled([configure(vc, na, ea, a, indexA), configure(vc, nb, eb, b, indexB, { up: true })]);
    for (const c of configured) if (c.status === 'rejected') throw c.reason;
    for (const e of [ea, eb]) {
      if (!(await containerStillThere(e))) throw new Error(`${e.label} stopped while it was being wired`);
    }
    stopIfAborted();
    return [result(ea, a, indexA), result(eb, b, indexB)];
  } catch (cause) {
    const reason = await explain(cause, created, [[a, ea, na], [b, eb, nb]]);
    if (!created) throw new WiringError(`cannot create ${what}: ${reason}`, cause);
    try {
      await na.deleteLink(indexA ?? a.ifname);
    } catch (undo) {
      // The namespace itself may be gone (a stopped container), taking the pair with it.
      if (!(undo instanceof NetlinkError && undo.code === 'ENODEV')) {
        throw new WiringError(`${what}: ${reason}; undoing failed too: ${(undo as Error).message}`, cause, (undo as Error).message);
      }
    }
    throw new WiringError(`${what}: ${reason}; the pair was removed again, nothing is left behind`, cause);
  }
}

/**
 * Why wiring failed, in the user's terms: a container that stopped, or a name
 * taken since it was checked, rather than a bare errno from a /proc path.
 */
async function explain(cause: unknown, created: boolean, ends: [EndSpec, ResolvedEndpoint, Netns][]): Promise<string> {
  const reason = cause instanceof Error ? cause.message : String(cause);
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
 * Addresses for one end, then (`up`) the link set up, in one batch; IPv6
 * switched back on first where Docker turned it off.
 */
async function configure(vc: Vethcon, ns: Netns, e: ResolvedEndpoint, end: EndSpec, index: number, opts: { up?: boolean } = {}): Promise<void> {
  if (end.addresses.length === 0 && !opts.up) return;
  if (end.addresses.some((c) => splitCidr(c).family === AF_INET6)) await vc.enableIPv6(e.target, end.ifname);
  // No DAD on our point-to-point pair: both addresses are ours and checked for duplicates above,
  // and the link is usable as soon as the command returns.
  const reqs: Request[] = end.addresses.map((cidr) => addAddress({ index, cidr, nodad: splitCidr(cidr).family === AF_INET6 }));
  if (opts.up) reqs.push(setLink(index, { up: true }));
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
