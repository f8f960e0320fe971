// Measuring event-loop stalls during a dump or a batch: a 1 ms interval
// probe, monitorEventLoopDelay, a GC observer and a tracer of the socket's
// yields. Used by bench/event-loop/run.ts.

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { Vethcon, Route } from '../../src/index.js';

export const ROUTES = 100_000;

/** A full GC now (the test process runs hundreds of tests before this one). */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
export const MAX_STALL_MS = 5;
export const dstOf = (i: number): string => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

export interface Measured {
  /** Routes the dump returned (a batch: one entry per request that failed). */
  routes: unknown[];
  ms: number;
  /** Longest event-loop delay seen by monitorEventLoopDelay (resolution 1 ms), in ms. */
  maxDelay: number;
  /** Gaps between ticks of a 1 ms interval, longer than 2 ms: [start, end]. */
  stalls: [number, number][];
  gcs: PerformanceEntry[];
  /** Stretches of synchronous work between the socket's yields (setImmediate), [start, end]. */
  slices: [number, number][];
}

/** routes.each() or routes.list() under the probes. */
export function measuredDump(vc: Vethcon, netns: string, stream: boolean): Promise<Measured> {
  return measured(async () => {
    if (!stream) return vc.routes.list({ netns });
    // Streaming: each route is checked and dropped, as a consumer of a huge table would.
    let count = 0;
    await vc.routes.each((r: Route) => { if (r.table === 254) count++; }, { netns });
    return new Array(count);
  });
}

/** work() under a 1 ms interval probe, monitorEventLoopDelay, a GC observer and a yield tracer. */
export async function measured(work: () => Promise<unknown[]>): Promise<Measured> {
  const gcs: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const stalls: [number, number][] = [];
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    if (now - last > 2) stalls.push([last, now]);
    last = now;
  }, 1);
  // Trace the socket's yields: it awaits setImmediate between stretches of work.
  const slices: [number, number][] = [];
  const realSetImmediate = globalThis.setImmediate;
  let resumed = 0;
  const traced = ((fn: (...args: any[]) => void, ...args: any[]) => {
    const now = performance.now();
    if (resumed) slices.push([resumed, now]);
    return realSetImmediate((...a: any[]) => {
      resumed = performance.now();
      fn(...a);
    }, ...args);
  }) as typeof setImmediate;
  try {
    await new Promise((r) => setTimeout(r, 20)); // the probe is running
    histogram.enable();
    globalThis.setImmediate = traced;
    const started = performance.now();
    const routes = await work();
    const ms = performance.now() - started;
    globalThis.setImmediate = realSetImmediate;
    await new Promise((r) => setTimeout(r, 20)); // a stall at the very end shows up too
    histogram.disable();
    return { routes, ms, maxDelay: histogram.max / 1e6, stalls, gcs, slices };
  } finally {
    globalThis.setImmediate = realSetImmediate;
    clearInterval(probe);
    observer.disconnect();
  }
}

/** One line per long stall: how long, how much of it was GC, how long our longest slice in it was. */
export function diagnose(m: Measured): string {
  const overlap = (a: number, b: number, s: number, e: number) => Math.max(0, Math.min(b, e) - Math.max(a, s));
  const lines = [...m.stalls].sort((x, y) => (y[1] - y[0]) - (x[1] - x[0])).slice(0, 8).map(([s, e]) => {
    const gc = m.gcs.reduce((t, g) => t + overlap(g.startTime, g.startTime + g.duration, s, e), 0);
    const kinds = m.gcs.filter((g) => overlap(g.startTime, g.startTime + g.duration, s, e) > 0).map((g) => gcKind(g)).join('+');
    const ours = m.slices.reduce((t, [a, b]) => Math.max(t, overlap(a, b, s, e)), 0);
    return `  ${(e - s).toFixed(1)} ms gap: GC ${gc.toFixed(1)} ms${kinds ? ` (${kinds})` : ''}, our longest slice in it ${ours.toFixed(1)} ms, unexplained ${Math.max(0, e - s - gc - ours).toFixed(1)} ms`;
  });
  const longestSlice = m.slices.reduce((t, [a, b]) => Math.max(t, b - a), 0);
  const gcTotal = m.gcs.reduce((t, g) => t + g.duration, 0);
  return [
    `${m.ms.toFixed(0)} ms in ${m.slices.length + 1} slices (longest slice between yields ${longestSlice.toFixed(1)} ms)`,
    `GC: ${m.gcs.length} pauses, ${gcTotal.toFixed(1)} ms in all, longest ${Math.max(0, ...m.gcs.map((g) => g.duration)).toFixed(1)} ms`,
    'longest gaps of a 1 ms interval:',
    ...lines,
  ].join('\n');
}

function gcKind(g: PerformanceEntry): string {
  const kind = (g as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return ({ 1: 'scavenge', 2: 'minor mark-compact', 4: 'mark-compact', 8: 'incremental', 16: 'weak callbacks' } as Record<number, string>)[kind ?? 0] ?? `kind ${kind}`;
}

