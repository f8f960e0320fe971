// The plan of a connect, as requests that would be sent, for --dry-run.
// Nothing is resolved through netlink: ifindexes and the peer's namespace fd
// are only known when the plan runs, so they show as 0 here.

import { addLink, setLink } from '../netlink/route/link-requests.js';
import { addAddress, splitCidr, AF_INET6 } from '../netlink/route/addr-requests.js';
import { NLM_F_ECHO } from '../netlink/message.js';
import type { Request } from '../netlink/request.js';
import { check, endSpec, type EndInput, type EndSpec } from '../rules/index.js';
import { describeEndpoint } from './endpoint.js';

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
 * directly in the namespace open at `peerFd`. NLM_F_ECHO asks for the
 * kernel's copy of the new link (kernels since 6.3), which names both
 * ifindexes: the link's own and, as IFLA_LINK, its peer's.
 */
export function createPairRequest(a: EndSpec, b: EndSpec, peerFd: number | undefined): Request {
  const req = addLink({
    ifname: a.ifname, kind: 'veth', mtu: a.mtu, address: a.mac, up: true,
    peer: { ifname: b.ifname, mtu: b.mtu, address: b.mac, netNsFd: peerFd },
  });
  return { ...req, flags: req.flags | NLM_F_ECHO };
}

/** What connect(a, b) would send, after the same input checks (ValidationError). */
export function planConnect(aIn: EndInput, bIn: EndInput): PlanStep[] {
  const a = check(endSpec, aIn, 'end 1');
  const b = check(endSpec, bIn, 'end 2');
  const la = describeEndpoint(a.ns);
  const lb = describeEndpoint(b.ns);
  const steps: PlanStep[] = [{
    netns: la,
    action: `create veth ${a.ifname} (up) with peer ${b.ifname} placed directly in ${lb}`,
    request: createPairRequest(a, b, la === lb ? undefined : 0),
  }];
  for (const [end, label] of [[a, la], [b, lb]] as const) {
    for (const cidr of end.addresses) {
      const v6 = splitCidr(cidr).family === AF_INET6;
      steps.push({ netns: label, action: `add ${cidr} to ${end.ifname}${v6 ? ' (no DAD; IPv6 enabled on the link first if off)' : ''}`, request: addAddress({ index: 0, cidr, nodad: v6 }) });
    }
  }
  steps.push({ netns: lb, action: `set ${b.ifname} up`, request: setLink(0, { up: true }) });
  return steps;
}
