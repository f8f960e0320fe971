// A lab's nodes, found on this machine: each resolved once and pinned like a
// connect()'s ends (src/wire/endpoint.ts), with its namespace's socket. A
// node may be absent: a pod its runtime has not added, a container that is
// not running, a named netns not there. An apply fails on an absent node
// before any change, unless it is partial (the CNI plugin), which leaves
// that node's links for later.

import type { Vethcon } from '../api/client.js';
import type { Netns } from '../api/netns.js';
import type { EndpointNs } from '../rules/index.js';
import { ValidationError } from '../rules/index.js';
import { releaseEndpoint, resolveEndpoint, type ResolvedEndpoint } from '../wire/endpoint.js';
import type { Lab, LabNode } from './model.js';

export interface PresentNode {
  node: LabNode;
  end: ResolvedEndpoint;
  ns: Netns;
  /** `container c1`, `netns red`: where, for messages. */
  label: string;
  /** Where the node lives, as the file (or the run's bind) says. */
  place: EndpointNs;
}

export interface AbsentNode {
  node: LabNode;
  why: string;
}

export interface FoundNodes {
  present: Map<string, PresentNode>;
  absent: Map<string, AbsentNode>;
  /** Close every pin (the sockets stay with the client). */
  release(): void;
}

export interface FindOptions {
  /** Where nodes live for this run, overriding the file (CNI: a pod's namespace). */
  bind?: Record<string, EndpointNs>;
  /** A node that cannot be found is absent instead of an error. */
  partial?: boolean;
}

/** Where a node lives for this run (the run's bind, else the file), or why it cannot be found. */
function placeThisRun(node: LabNode, bind: FindOptions['bind']): EndpointNs | string {
  const bound = bind?.[node.name];
  if (bound) return bound;
  if (node.place.type === 'pod') return `pod ${node.place.pod} has not been added by its runtime`;
  return node.place;
}

/** Find `names` among the lab's nodes, all at once. */
export async function findNodes(vc: Vethcon, lab: Lab, names: Iterable<string>, opts: FindOptions = {}): Promise<FoundNodes> {
  const present = new Map<string, PresentNode>();
  const absent = new Map<string, AbsentNode>();
  const release = (): void => { for (const p of present.values()) releaseEndpoint(p.end); };
  const wanted = [...new Set(names)].map((n) => lab.nodes[n]!);
  const results = await Promise.allSettled(wanted.map(async (node) => {
    const place = placeThisRun(node, opts.bind);
    if (typeof place === 'string') return { node, why: place };
    const end = await resolveEndpoint(place);
    return { node, end, place };
  }));
  const errors: string[] = [];
  for (const [i, r] of results.entries()) {
    const node = wanted[i]!;
    if (r.status === 'fulfilled' && 'end' in r.value && r.value.end) {
      present.set(node.name, { node, end: r.value.end, ns: undefined as unknown as Netns, label: r.value.end.label, place: r.value.place });
      continue;
    }
    const why = r.status === 'fulfilled' ? (r.value as { why: string }).why : (r.reason as Error).message;
    absent.set(node.name, { node, why });
    errors.push(`node ${node.name}: ${why}`);
  }
  if (errors.length && !opts.partial) {
    release();
    const e = new ValidationError(errors.join('\n'));
    throw e;
  }
  try {
    // One socket per namespace (two nodes in one namespace share it), all opened in one worker request.
    const list = [...present.values()];
    const handles = await vc.netnsAll(list.map((p) => p.end.target));
    for (const [i, p] of list.entries()) p.ns = handles[i]!;
  } catch (e) {
    release();
    throw e;
  }
  return { present, absent, release };
}
