// `vethcon apply --watch`: apply, then keep the lab wired. A container of
// the lab that starts again (a restart, or re-created under its name) has
// lost its links with its old namespace; so has a named netns deleted and
// added again. Each such event, and a slow timer as a safety net, brings a
// new apply (partial: a node that is away is waited for, not an error).
// Stopping the watch leaves the lab as it is.

import { watch, type FSWatcher } from 'node:fs';
import type { Vethcon } from '../api/client.js';
import { NETNS_RUN_DIR } from '../ns/index.js';
import { applyLab, type ApplyResult } from './apply.js';
import type { Lab } from './model.js';

export interface WatchOptions {
  client?: Vethcon;
  prune?: boolean;
  /** Multi-host labs: this host. */
  host?: string;
  signal?: AbortSignal;
  /** Each apply that changed something (and the first). */
  report: (r: ApplyResult) => void;
  /** A failed apply (undone): the watch goes on. */
  problem: (e: Error) => void;
  /** Re-apply at least this often, events or not (default 30 s). */
  everyMs?: number;
}

const SETTLE_MS = 50;

/** Apply, then re-apply on every change that may have cost the lab links, until `signal`; resolves 0. */
export async function watchLab(lab: Lab, opts: WatchOptions): Promise<number> {
  const stop = new AbortController();
  const outer = opts.signal;
  const onAbort = (): void => stop.abort();
  outer?.addEventListener('abort', onAbort, { once: true });
  const containers = new Set<string>();
  for (const n of Object.values(lab.nodes)) if (n.place.type === 'docker') containers.add(n.place.container);
  const netnsNames = new Set<string>();
  for (const n of Object.values(lab.nodes)) if (n.place.type === 'netns') netnsNames.add(n.place.name);

  let running: Promise<void> | undefined;
  let lastEngineProblem: string | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const applyOnce = async (first: boolean): Promise<void> => {
    try {
      // Not given the watch's signal: a Ctrl-C during a re-apply lets it finish (or undo) whole.
      const r = await applyLab(lab, { client: opts.client, prune: opts.prune, host: opts.host, partial: true });
      if (first || r.changed) opts.report(r);
    } catch (e) {
      opts.problem(e as Error);
    }
  };
  const trigger = (): void => {
    if (stop.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) { again = true; return; }
      running = applyOnce(false).finally(() => {
        running = undefined;
        if (again) { again = false; trigger(); }
      });
    }, SETTLE_MS);
  };

  await applyOnce(true);
  const watchers: FSWatcher[] = [];
  if (netnsNames.size) {
    try {
      const w = watch(NETNS_RUN_DIR, (_event, name) => { if (name && netnsNames.has(String(name))) trigger(); });
      watchers.push(w);
    } catch { /* no /run/netns yet: the timer covers it */ }
  }
  const follow = containers.size
    ? (await import('../docker/index.js')).followContainerStarts((c) => {
      lastEngineProblem = undefined;
      if (containers.has(c.name) || [...containers].some((x) => c.id.startsWith(x))) trigger();
    }, stop.signal, (why) => {
      // Said once per outage, not on every retry.
      if (why !== lastEngineProblem) opts.problem(new Error(why));
      lastEngineProblem = why;
    })
    : Promise.resolve();
  const every = setInterval(trigger, opts.everyMs ?? 30_000);
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    else stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(every);
  clearTimeout(timer);
  for (const w of watchers) w.close();
  await follow;
  await running;
  outer?.removeEventListener('abort', onAbort);
  return 0;
}
