// applyLab(): make the machine match a lab file; destroyLab(): remove the
// lab's links. Both find the nodes (nodes.ts), read what is there
// (observe.ts), work out the difference (diff.ts) and carry it out
// (execute.ts), all or nothing. One apply or destroy of a lab runs at a
// time on the machine (a lock by lab name), so two callers wiring the two
// ends of one link (two CNI ADDs) make one link, not two or none.

import { Vethcon } from '../api/client.js';
import { machineLock } from '../ns/index.js';
import { ValidationError, type EndpointNs } from '../rules/index.js';
import { describeChanges, diff, type FoundEnd, type OldLink, type Step } from './diff.js';
import { execute, type MadeEnd } from './execute.js';
import type { Lab, LabLink } from './model.js';
import { findNodes } from './nodes.js';
import { findUnderlay, hostShare } from './hosts.js';
import { observe } from './observe.js';

export interface ApplyOptions {
  /** Reuse a library instance (its sockets); otherwise one is opened and closed. */
  client?: Vethcon;
  /** Work out and report the changes, after every live check; change nothing. */
  dryRun?: boolean;
  /** Remove links of this lab that the file no longer names. */
  prune?: boolean;
  /** Only links with an end in these nodes. */
  nodes?: string[];
  /** Where nodes live for this run, overriding the file (the CNI plugin: a pod's namespace). */
  bind?: Record<string, EndpointNs>;
  /** Multi-host labs: which host this is; its share alone is made (hosts.ts). */
  host?: string;
  /** Leave links with an end in an absent node for later ('waiting') instead of failing. */
  partial?: boolean;
  /** Links done out of all to do, as work finishes. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Called after every check, before the first change (tests use it to inject faults). */
  beforeChanges?: () => Promise<void>;
}

export type LinkAction = 'created' | 'updated' | 'unchanged' | 'removed' | 'waiting' | 'kept';

export interface LinkOutcomeEnd {
  node: string;
  /** Where: `container c1`, `netns red`. */
  endpoint: string;
  ifname: string;
  ifindex?: number;
  addresses: string[];
}

export interface LinkOutcome {
  /** Its position in the file's links; absent for a link the file no longer names. */
  index?: number;
  key?: string;
  /** `r1:eth1 <-> r2:eth1`. */
  link: string;
  action: LinkAction;
  /** What was (or, in a dry run, would be) changed, in words. */
  changes: string[];
  ends: LinkOutcomeEnd[];
}

export interface ApplyResult {
  lab: string;
  dryRun: boolean;
  /** Whether anything was (or would be) changed. */
  changed: boolean;
  links: LinkOutcome[];
  notes: string[];
}

const endText = (e: { node: string; ifname: string }): string => `${e.node}:${e.ifname}`;

function fromFile(link: LabLink, action: LinkAction, changes: string[], found?: FoundEnd[], made?: MadeEnd[]): LinkOutcome {
  return {
    index: link.index, key: link.key, link: link.ends.map(endText).join(' <-> '), action, changes,
    ends: link.ends.map((e, i) => {
      const m = made?.[i];
      const f = found?.[i];
      const out: LinkOutcomeEnd = { node: e.node, endpoint: m?.label ?? f?.state.label ?? '', ifname: e.ifname, addresses: e.addresses };
      const ifindex = m?.ifindex ?? f?.seen.link.ifindex;
      if (ifindex !== undefined) out.ifindex = ifindex;
      return out;
    }),
  };
}

function fromOld(old: OldLink, action: LinkAction, changes: string[]): LinkOutcome {
  return {
    key: old.key, link: old.ends.map((f) => endText({ node: f.node, ifname: f.seen.link.ifname })).join(' <-> '), action, changes,
    ends: old.ends.map((f) => ({ node: f.node, endpoint: f.state.label, ifname: f.seen.link.ifname, ifindex: f.seen.link.ifindex, addresses: f.seen.addresses })),
  };
}

/** The outcome of each step, once done (or, in a dry run, as it would be). */
function outcomes(steps: Step[], made: Map<LabLink, MadeEnd[]>, prune: boolean, destroy: boolean): LinkOutcome[] {
  const byFile = (s: Step): number => (s.op === 'remove' ? Infinity : s.link.index);
  return [...steps].sort((a, b) => byFile(a) - byFile(b)).map((s) => {
    switch (s.op) {
      case 'create': return fromFile(s.link, 'created', ['create'], undefined, made.get(s.link));
      case 'recreate': return fromFile(s.link, 'created', [`make again: ${s.why}`], undefined, made.get(s.link));
      case 'update': return fromFile(s.link, 'updated', s.changes.flatMap(describeChanges), s.ends);
      case 'unchanged': return fromFile(s.link, 'unchanged', [], s.ends);
      case 'waiting': return fromFile(s.link, 'waiting', [s.why]);
      case 'remove': return fromOld(s.old, prune ? 'removed' : 'kept', destroy ? ['remove'] : prune ? ['remove: not in the file'] : ['not in the file (kept; --prune removes it)']);
    }
  });
}

/** Hold the lab's lock while `work` runs. */
async function locked<T>(lab: Lab, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  const release = await machineLock(`lab-${lab.name}`, { signal });
  try {
    return await work();
  } finally {
    release();
  }
}

/** The links an operation makes and the nodes it looks in: with `only`, those touching these nodes; in a multi-host lab, this host's share. */
async function scopeOf(vc: Vethcon, lab: Lab, only: Set<string> | undefined, host: string | undefined): Promise<{ links: LabLink[]; nodes: Set<string> }> {
  let links = lab.links;
  let nodes = new Set(Object.keys(lab.nodes));
  if (lab.hosts) {
    const names = Object.keys(lab.hosts);
    if (host === undefined) throw new ValidationError(`lab ${lab.name} spans hosts (${names.join(', ')}): say which this is with --host`);
    if (!lab.hosts[host]) throw new ValidationError(`host ${JSON.stringify(host)} is not in lab ${lab.name}'s hosts (${names.join(', ')})`);
    const underlay = await findUnderlay(await vc.netns(), lab.hosts[host]!.underlay, host);
    ({ links, nodes } = hostShare(lab, host, underlay));
  } else if (host !== undefined) {
    throw new ValidationError(`lab ${lab.name} names no hosts; --host is for labs that span hosts`);
  }
  if (only) {
    links = links.filter((l) => l.ends.some((e) => only.has(e.node)));
    nodes = new Set([...only].filter((n) => nodes.has(n)));
  }
  for (const l of links) for (const e of l.ends) nodes.add(e.node);
  return { links, nodes };
}

async function run(lab: Lab, opts: ApplyOptions, destroy: boolean): Promise<ApplyResult> {
  const only = opts.nodes ? new Set(opts.nodes) : undefined;
  for (const n of only ?? []) if (!lab.nodes[n]) throw new ValidationError(`node ${JSON.stringify(n)} is not in lab ${lab.name}`);
  const vc = opts.client ?? new Vethcon();
  try {
    return await locked(lab, opts.signal, async () => {
      const { links, nodes } = await scopeOf(vc, lab, only, opts.host);
      // A destroy takes what it finds: an absent node has none of the lab's links to remove.
      const found = await findNodes(vc, lab, nodes, { bind: opts.bind, partial: destroy || opts.partial });
      try {
        const states = await observe(found.present, lab.name);
        const steps = diff({ lab: lab.name, links: destroy ? [] : links, states, absent: found.absent, nodes: only });
        const prune = destroy || opts.prune === true;
        const todo = steps.filter((s) => s.op !== 'unchanged' && s.op !== 'waiting' && (s.op !== 'remove' || prune));
        const notes = destroy ? [...found.absent.values()].map((a) => `node ${a.node.name}: ${a.why} (nothing of the lab's there to remove)`) : [];
        if (!opts.dryRun && todo.length) await opts.beforeChanges?.();
        const made = opts.dryRun || todo.length === 0 ? new Map<LabLink, MadeEnd[]>() : await execute(vc, todo, found.present, { lab: lab.name, onProgress: opts.onProgress, signal: opts.signal });
        const result = outcomes(steps, made, prune, destroy);
        return { lab: lab.name, dryRun: opts.dryRun === true, changed: todo.length > 0, links: result, notes };
      } finally {
        found.release();
      }
    });
  } finally {
    if (!opts.client) await vc.close();
  }
}

/**
 * Make the machine match the lab: create missing links, fix drifted ones in
 * place, leave the rest; with `prune`, remove links of the lab the file no
 * longer names. All or nothing: a failure undoes what this call did
 * (WiringError says whether the undo was clean).
 */
export function applyLab(lab: Lab, opts: ApplyOptions = {}): Promise<ApplyResult> {
  return run(lab, opts, false);
}

/** Remove the lab's links (with `nodes`: those with an end in them), nothing else; absent nodes are not an error. */
export function destroyLab(lab: Lab, opts: Omit<ApplyOptions, 'prune' | 'partial'> = {}): Promise<ApplyResult> {
  return run(lab, opts, true);
}

/** What applyLab would change, after every live check; changes nothing (applyLab with dryRun). */
export function planLab(lab: Lab, opts: Omit<ApplyOptions, 'dryRun'> = {}): Promise<ApplyResult> {
  return run(lab, { ...opts, dryRun: true }, false);
}
