// The requests of an attach(): the one that creates a vxlan, macvlan or vlan
// for an end, and its plan as those requests, for --dry-run. Pure: values
// only known when it runs (ifindexes, the parent's nsid, the mark's id and
// creator) are given, or show as 0 in a plan.

import { addLink, type NewLinkSpec } from '../netlink/route/link-requests.js';
import { addAddress, splitCidr, AF_INET6 } from '../netlink/route/addr-requests.js';
import { kindAttributes, type LinkKind } from '../netlink/route/kinds/kind.js';
import { NLM_F_ECHO } from '../netlink/message.js';
import type { Request } from '../netlink/request.js';
import { ATTACH_KINDS, type AttachLinkInput } from '../rules/link-kinds.js';
import type { EndSpec } from '../rules/index.js';
import { completeMark, markGroup, pendingMark } from './mark.js';
import { completeRequest, markGroupRequest, type PlanStep } from './plan.js';

/** The kind's options as attach() sends them: everything but kind, parent and parentNs, with the kinds' defaults. */
export function kindOptions(link: AttachLinkInput): Record<string, unknown> {
  const { kind, parent: _p, parentNs: _n, ...given } = link as AttachLinkInput & Record<string, unknown>;
  const options: Record<string, unknown> = {};
  // In the registry's order, defaults included (a vxlan's port 4789, a macvlan's mode bridge).
  // Like iproute2 and koko: a vxlan learns remote MACs unless told not to.
  const ours: Record<string, unknown> = kind === 'vxlan' ? { learning: true } : {};
  for (const [name, o] of Object.entries(ATTACH_KINDS[kind].kind.options as Record<string, { default?: unknown }>)) {
    const v = given[name] ?? ours[name] ?? o.default;
    if (v !== undefined) options[name] = v;
  }
  return options;
}

/**
 * The creation of the end's link, sent in the end's namespace: named and
 * sized as the end says, on the parent numbered `parentIndex` in the
 * namespace this one calls `linkNetnsid` (none: the same namespace), in the
 * link group `group` (the mark until the alias is set, src/wire/mark.ts).
 * NLM_F_ECHO asks for the kernel's copy, which names the new ifindex.
 */
export function createKindRequest(end: EndSpec, link: AttachLinkInput, parentIndex: number, linkNetnsid: number | undefined, group: number): Request {
  const { kind, parentOption } = ATTACH_KINDS[link.kind];
  const { data, link: lower } = kindAttributes(kind as LinkKind, { ...kindOptions(link), [parentOption]: parentIndex });
  const spec = { ifname: end.ifname, kind: link.kind, address: end.mac, mtu: end.mtu, linkNetnsid, group, link: lower, data } as NewLinkSpec;
  for (const k of Object.keys(spec) as (keyof NewLinkSpec)[]) if (spec[k] === undefined) delete spec[k];
  const req = addLink(spec);
  return { ...req, flags: req.flags | NLM_F_ECHO };
}

const PLAN_ID = '0000000000000000';

/** What is known of a run before it runs: where things are, and what the live checks learnt. */
export interface AttachPlanInput {
  /** `netns red`, `container c1`. */
  endLabel: string;
  parentLabel: string;
  /** The parent's ifindex (0 when not looked up). */
  parentIndex?: number;
  /** The parent's namespace as the end's namespace numbers it; undefined: the same namespace. */
  linkNetnsid?: number;
  /** Extra mark fields (labs). */
  mark?: Record<string, string>;
}

/** What attach(end, link) sends, in order, for --dry-run. */
export function planAttach(end: EndSpec, link: AttachLinkInput, p: AttachPlanInput): PlanStep[] {
  const group = markGroup(PLAN_ID);
  const parent = typeof link.parent === 'number' ? `ifindex ${link.parent}` : link.parent;
  const where = p.linkNetnsid === undefined ? '' : ` (its nsid ${p.linkNetnsid} in ${p.endLabel})`;
  const steps: PlanStep[] = [{
    netns: p.endLabel,
    action: `create ${link.kind} ${end.ifname} on ${parent} of ${p.parentLabel}${where}, in its own link group`,
    request: createKindRequest(end, link, p.parentIndex ?? 0, p.linkNetnsid, group),
  }, {
    netns: p.endLabel,
    action: 'mark the links of that group as ours, pending (same send as the creation)',
    request: markGroupRequest(group, pendingMark(PLAN_ID, { pid: 0, start: 0, pidns: 0 }, p.mark)),
  }];
  for (const cidr of end.addresses) {
    const v6 = splitCidr(cidr).family === AF_INET6;
    steps.push({ netns: p.endLabel, action: `add ${cidr} to ${end.ifname}${v6 ? ' (no DAD; IPv6 enabled on the link first if off)' : ''}`, request: addAddress({ index: 0, cidr, nodad: v6 }) });
  }
  steps.push({ netns: p.endLabel, action: `set ${end.ifname} up, marked complete, out of the group`, request: completeRequest(0, completeMark(PLAN_ID, p.mark), true) });
  return steps;
}
