// The kill loop behind sigkill-gc.test.ts and trust-bench.ts: real runs of
// the CLI SIGKILLed at random moments (or right after their pair was made),
// then one `vethcon gc`, after which no link of ours may remain. Not a test
// file itself.

import { execFileSync } from 'node:child_process';
import { ipJ, marked, runCli, type Exit } from './trust-loops.js';

export interface KillTarget {
  /** The flag and target of an end: ['-n', 'ns'] or ['-d', 'container']. */
  ends: [[string, string], [string, string]];
  /** Where to look for marks: the namespace files of both ends. */
  files: [string, string];
}

export interface KillStats {
  kills: number;
  /** Of them, runs killed right after the pair was made (the paused build): each leaves a pending pair. */
  midWiring: number;
  /** Runs that finished before their kill (their pairs are deleted by hand, as a user would). */
  finished: number;
  /** Killed runs. */
  killed: number;
  /** Killed after its pair was complete (both ends marked so), before it could say so: a pair in use, deleted by hand. */
  killedWhenComplete: number;
  /** Links of ours left in the runs' namespaces after one `vethcon gc`: must be 0. */
  left: string[];
  gc: Exit;
  /** Pairs gc reported removed. */
  removed: number;
}

/**
 * `kills` runs of the CLI over `targets` in turn, each SIGKILLed at a random
 * moment in [0, maxMs), except every `midWiringEvery`-th, killed right after
 * its pair was made (a random moment rarely lands in the few ms of
 * wiring); then one `vethcon gc --json`, after which no link of ours may
 * remain in any of the targets' namespaces or the host.
 */
export async function killThenGc(targets: KillTarget[], kills: number, maxMs: number, midWiringEvery: number, log?: (line: string) => void): Promise<KillStats> {
  const stats: KillStats = { kills, midWiring: 0, finished: 0, killed: 0, killedWhenComplete: 0, left: [], gc: undefined as unknown as Exit, removed: 0 };
  for (let i = 0; i < kills; i++) {
    const t = targets[i % targets.length]!;
    const mid = midWiringEvery > 0 && i % midWiringEvery === midWiringEvery - 1;
    const at = mid ? undefined : Math.random() * maxMs;
    if (mid) stats.midWiring++;
    const [[fa, ta], [fb, tb]] = t.ends;
    const r = await runCli([fa, `${ta},k${i}a,10.64.${i % 250}.1/24`, fb, `${tb},k${i}b,10.64.${i % 250}.2/24`], at, mid);
    if (r.signal === 'SIGKILL') {
      stats.killed++;
      // Killed in the last moments, once both ends were complete: the pair is done and in use, not gc's business.
      const ends = [ipJ(t.files[0], '-d', 'link', 'show').find((l) => l.ifname === `k${i}a`), ipJ(t.files[1], '-d', 'link', 'show').find((l) => l.ifname === `k${i}b`)];
      if (ends.every((l) => /^vethcon:v1:[0-9a-f]{16}$/.test(l?.ifalias ?? '')) && ends[0].ifalias === ends[1].ifalias) {
        stats.killedWhenComplete++;
        execFileSync('nsenter', [`--net=${t.files[0]}`, 'ip', 'link', 'del', `k${i}a`]);
      }
    } else {
      stats.finished++;
      // Done before the kill: a pair in use (or a failure the CLI reported); not gc's business.
      if (r.code === 0) execFileSync('nsenter', [`--net=${t.files[0]}`, 'ip', 'link', 'del', `k${i}a`]);
    }
    log?.(`kill ${i + 1} ${mid ? 'once the pair was made' : `at ${at!.toFixed(0)} ms`}: ${r.signal ?? `exit ${r.code}`} after ${r.ms} ms`);
  }
  stats.gc = await runCli(['gc', '--json']);
  log?.(`vethcon gc --json: exit ${stats.gc.code}\n${stats.gc.stdout}${stats.gc.stderr}`);
  try {
    stats.removed = (JSON.parse(stats.gc.stdout).removed ?? []).length;
  } catch { /* the exit code says it failed */ }
  const files = [...new Set(targets.flatMap((t) => t.files))];
  for (const f of files) stats.left.push(...marked(f).map((x) => `${f}: ${x}`));
  stats.left.push(...marked(undefined).map((x) => `host: ${x}`));
  return stats;
}
