// gc(): find every incomplete pair of ours on the machine and remove it.
// A pair is ours when its links carry our mark (mark.ts), and incomplete
// while one of its ends is still marked pending: the run that made it was
// killed (or its undo failed) before both ends were configured. One whose
// creator is still running is left alone: it may be wiring it right now.
// Every namespace is scanned (namespaces.ts) through a pin, and a pair is
// removed by ifindex and confirmed gone, like an undo (undo.ts).

import { Vethcon } from '../api/client.js';
import type { Netns } from '../api/netns.js';
import { pinNetns, processState, unpin, type PinnedNetns } from '../ns/index.js';
import { InterruptedError, reasonOf } from './errors.js';
import { markGroup, parseMark, type Mark } from './mark.js';
import { allNamespaces } from './namespaces.js';
import { removePair, type Pair } from './undo.js';

export interface GcEnd {
  /** Where: `current netns`, `netns NAME`, `container NAME`, `pid N`. */
  endpoint: string;
  ifname: string;
  ifindex: number;
  /** Its kind: veth, or vxlan, macvlan, vlan for an end made by attach(). */
  kind?: string;
}

export interface GcPair {
  /** The pair's id, from its mark. */
  id: string;
  /** Its ends as found (one, when the other is in a namespace we could not name, or gone). */
  ends: GcEnd[];
  /** The process that was making it. */
  pid: number;
  /** Why it was removed or left alone. */
  reason: string;
}

export interface GcResult {
  dryRun: boolean;
  /** Namespaces looked at. */
  scanned: number;
  /** Removed (with --dry-run: would be removed). */
  removed: GcPair[];
  /** Incomplete, but left alone (its maker still runs, or cannot be checked from here). */
  skipped: GcPair[];
  notes: string[];
}

export interface GcOptions {
  /** List what would be removed; remove nothing. */
  dryRun?: boolean;
  /** Reuse a library instance (its sockets); otherwise one is opened and closed. */
  client?: Vethcon;
  /** Ask a Docker engine for container names (default: if one answers). */
  docker?: boolean;
  /** Stop between two removals. */
  signal?: AbortSignal;
}

/** Some pair could not be removed, or some namespace not looked at; `result` says what was done. */
export class GcError extends Error {
  override name = 'GcError';
  constructor(message: string, readonly result: GcResult) {
    super(message);
  }
}

interface FoundEnd { ns: Netns; end: GcEnd; mark: Mark }

/** Remove every incomplete pair of ours whose maker has ended; see GcResult. */
export async function gc(opts: GcOptions = {}): Promise<GcResult> {
  const vc = opts.client ?? new Vethcon();
  const pins: PinnedNetns[] = [];
  const result: GcResult = { dryRun: !!opts.dryRun, scanned: 0, removed: [], skipped: [], notes: [] };
  const failures: string[] = [];
  try {
    const census = await allNamespaces({ docker: opts.docker });
    result.notes.push(...census.notes);
    failures.push(...census.unreadable.map((u) => `cannot look at ${u}`));
    const byId = new Map<string, FoundEnd[]>();
    const seen = new Set<string>();
    for (const n of census.namespaces) {
      let pin: PinnedNetns;
      try {
        pin = pinNetns(n.ref, n.label);
      } catch {
        continue; // ended since the census
      }
      if (seen.has(`${pin.dev}:${pin.ino}`)) { unpin(pin); continue; }
      seen.add(`${pin.dev}:${pin.ino}`);
      try {
        const ns = await vc.netns(pin.target);
        result.scanned++;
        let ours = 0;
        for (const l of await ns.listLinks()) {
          const mark = parseMark(l.alias);
          if (!mark) continue;
          ours++;
          const list = byId.get(mark.id) ?? [];
          list.push({ ns, mark, end: { endpoint: n.label, ifname: l.ifname, ifindex: l.ifindex, ...(l.kind ? { kind: l.kind } : {}) } });
          byId.set(mark.id, list);
        }
        // Keep what holds links of ours (to remove them through it); let the rest go now.
        if (ours) pins.push(pin);
        else { vc.release(pin.target); unpin(pin); }
      } catch (error) {
        unpin(pin);
        // A process's namespace we may not enter (guarded even from root) is said, as in the census.
        const code = (error as { errnoCode?: string }).errnoCode;
        if ('pid' in n.ref && (code === 'EPERM' || code === 'EACCES')) result.notes.push(`cannot enter the namespace of ${n.label}: ${(error as Error).message}`);
        else failures.push(`cannot look at ${n.label}: ${(error as Error).message}`);
      }
    }
    for (const [id, found] of byId) {
      const pending = found.find((f) => f.mark.pending)?.mark.pending;
      if (!pending) continue; // complete: a pair in use
      const pair: GcPair = { id, ends: found.map((f) => f.end), pid: pending.pid, reason: '' };
      const state = processState(pending);
      if (state !== 'gone') {
        pair.reason = state === 'running' ? `pid ${pending.pid} is still running (it may be wiring it now)` : `made by pid ${pending.pid} in another PID namespace, which cannot be checked from here`;
        result.skipped.push(pair);
        continue;
      }
      pair.reason = `left incomplete by pid ${pending.pid}, which has ended`;
      if (opts.dryRun) { result.removed.push(pair); continue; }
      if (opts.signal?.aborted) {
        if (!result.removed.length) throw new InterruptedError(`${reasonOf(opts.signal)}: stopped before removing anything`);
        throw new GcError(`${reasonOf(opts.signal)}: stopped; removed so far: ${result.removed.map(describePair).join('; ')}`, result);
      }
      const removal = await removePair(toPair(id, found));
      if (removal.left.length || removal.errors.length) {
        failures.push(`cannot remove ${describePair(pair)}: ${[...removal.errors, ...removal.left.map((l) => `${l} is still there`)].join('; ')}`);
        continue;
      }
      if (!removal.deleted) pair.reason += '; it was already gone when we came to remove it';
      result.removed.push(pair);
    }
    const done = opts.dryRun ? 'would remove' : 'removed';
    if (failures.length) throw new GcError(failures.join('; ') + (result.removed.length ? `; ${done}: ${result.removed.map(describePair).join('; ')}` : ''), result);
    return result;
  } finally {
    pins.forEach(unpin);
    if (!opts.client) await vc.close();
  }
}

function toPair(id: string, found: FoundEnd[]): Pair {
  return { id, group: markGroup(id), ends: found.map((f) => ({ ns: f.ns, label: f.end.endpoint, ifname: f.end.ifname, ifindex: f.end.ifindex })) };
}

/** `veth t0 (ifindex 5) in netns a <-> t1 (ifindex 2) in netns b`; `vxlan vx0 (ifindex 3) in netns a`. */
export function describePair(p: GcPair): string {
  return `${p.ends[0]?.kind ?? 'veth'} ${p.ends.map((e) => `${e.ifname} (ifindex ${e.ifindex}) in ${e.endpoint}`).join(' <-> ')}`;
}
