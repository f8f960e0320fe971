// The requests of a connect, and its plan as those requests, for --dry-run.
// Nothing is resolved through netlink in a plan: ifindexes and the peer's
// namespace fd are only known when the plan runs, so they show as 0 there,
// and so do the pair's id and its creator (src/wire/mark.ts).

import { addLink, setLink, setLinkGroup } from '../netlink/route/link-requests.js';
import { addAddress, splitCidr, AF_INET6 } from '../netlink/route/addr-requests.js';
import { NLM_F_ECHO } from '../netlink/message.js';
import type { Request } from '../netlink/request.js';
import { check, endSpec, type EndInput, type EndSpec } from '../rules/index.js';
import { describeEndpoint } from './endpoint.js';
import { completeMark, markGroup, pendingMark } from './mark.js';

export interface PlanStep {
  /** Where the request is sent. */
  netns: string;
  /** What it does, in words. */
  action: string;
  request: Request;
}

/**
 * The request that creates the pair: our end up with its creation (a veth
 * peer cannot be: it has no peer yet while it is configured), the peer placed
 * directly in the namespace open at `peerFd`, both ends in the pair's link
 * group `group` (their mark until the alias is set). NLM_F_ECHO asks for
 * the kernel's copy of the new link (kernels since 6.3), which names both
 * ifindexes: the link's own and, as IFLA_LINK, its peer's.
 */
export function createPairRequest(a: PairEnd, b: PairEnd, peerFd: number | undefined, group: number): Request {
  const req = addLink({
    ifname: a.ifname, kind: 'veth', mtu: a.mtu, address: a.mac, up: true, group,
    peer: { ifname: b.ifname, mtu: b.mtu, address: b.mac, netNsFd: peerFd, group },
  });
  return { ...req, flags: req.flags | NLM_F_ECHO };
}

/** The pending mark on every link of the pair's group: sent in the same send as the creation. */
export const markGroupRequest = (group: number, mark: string): Request => setLinkGroup(group, { ifalias: mark });

/** One end's pending mark, by ifindex (the peer, through its own namespace's socket). */
export const markEndRequest = (index: number, mark: string): Request => setLink(index, { ifalias: mark });

/** One end complete: its complete mark, out of the group, and (`up`) up, in one request. */
export const completeRequest = (index: number, mark: string, up?: boolean): Request => setLink(index, { up, group: 0, ifalias: mark });

/** What the creation of a pair needs of each end. */
export type PairEnd = Pick<EndSpec, 'ifname' | 'mtu' | 'mac'>;

const PLAN_ID = '0000000000000000';

/** What connect(a, b) would send, after the same input checks (ValidationError). */
export function planConnect(aIn: EndInput, bIn: EndInput): PlanStep[] {
  const a = check(endSpec, aIn, 'end 1');
  const b = check(endSpec, bIn, 'end 2');
  const la = describeEndpoint(a.ns);
  const lb = describeEndpoint(b.ns);
  const group = markGroup(PLAN_ID);
  const pending = pendingMark(PLAN_ID, { pid: 0, start: 0, pidns: 0 });
  const complete = completeMark(PLAN_ID);
  const steps: PlanStep[] = [{
    netns: la,
    action: `create veth ${a.ifname} (up) with peer ${b.ifname} placed directly in ${lb}, both in the pair's link group`,
    request: createPairRequest(a, b, la === lb ? undefined : 0, group),
  }, {
    netns: la,
    action: 'mark the links of that group as ours, pending (same send as the creation)',
    request: markGroupRequest(group, pending),
  }];
  if (la !== lb) steps.push({ netns: lb, action: `mark ${b.ifname} as ours, pending`, request: markEndRequest(0, pending) });
  for (const [end, label] of [[a, la], [b, lb]] as const) {
    for (const cidr of end.addresses) {
      const v6 = splitCidr(cidr).family === AF_INET6;
      steps.push({ netns: label, action: `add ${cidr} to ${end.ifname}${v6 ? ' (no DAD; IPv6 enabled on the link first if off)' : ''}`, request: addAddress({ index: 0, cidr, nodad: v6 }) });
    }
  }
  steps.push({ netns: lb, action: `set ${b.ifname} up, marked complete, out of the group`, request: completeRequest(0, complete, true) });
  steps.push({ netns: la, action: `mark ${a.ifname} complete, out of the group (the pair is complete)`, request: completeRequest(0, complete) });
  return steps;
}
