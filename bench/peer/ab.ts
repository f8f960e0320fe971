// Old against new on a shared, noisy machine: runs the peer CLI of two (or
// more) builds in turn, round after round, and prints per build the median,
// quartiles and min of every timed dump, and the median and max of each
// process's peak RSS (measured as the harness does, with /usr/bin/time). Root.
//
//   node dist/bench/peer/ab.js w2|w3 NS ROUNDS REPS BUILD...
//
// A BUILD is a directory holding a built tree (dist/bench/peer/cli.js),
// optionally with environment for its runs: `VAR=value,VAR2=value@DIR`. The
// namespace is yours to make and fill (bench/README.md shows how) and is left
// alone. Builds run interleaved, so load from other work falls on all alike.
//
// Other people's work: each run first waits (up to a minute) for the CPUs to
// be AB_QUIET % idle over 300 ms (default 90; 0 = do not wait), and the share
// of the machine that OTHER processes used during each run is measured
// (/proc/stat busy time minus the run's own user+system time). Figures are
// printed for all runs and again for the runs where others used under
// AB_OTHERS % (default 10) of the machine.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { quantile } from '../stats.cjs';

const [workload, ns, roundsArg, repsArg, ...builds] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(workload === 'w2' || workload === 'w3') || !ns || !(rounds > 0) || !(Number(repsArg) > 0) || builds.length === 0) {
  process.stderr.write('usage: ab.js w2|w3 NS ROUNDS REPS BUILD...   (BUILD: DIR or VAR=value,...@DIR)\n');
  process.exit(2);
}
const quiet = Number(process.env.AB_QUIET ?? 90);
const othersLimit = Number(process.env.AB_OTHERS ?? 10);
const ticksPerSecond = 100; // USER_HZ, what /proc/stat counts in

interface Run { ms: number[]; rssKiB: number; others: number }
const runs = new Map<string, Run[]>(builds.map((b) => [b, []]));

/** Busy and total jiffies of all CPUs, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let waitedMs = 0;
function waitForQuiet(): void {
  if (!quiet) return;
  for (const until = Date.now() + 60_000; Date.now() < until; waitedMs += 300) {
    const a = cpuTimes();
    sleep(300);
    const b = cpuTimes();
    if (b.total > a.total && (100 * (b.total - a.total - (b.busy - a.busy))) / (b.total - a.total) >= quiet) return;
  }
}

function runOnce(build: string): Run {
  const at = build.lastIndexOf('@');
  const dir = at < 0 ? build : build.slice(at + 1);
  const env = { ...process.env };
  if (at >= 0) for (const kv of build.slice(0, at).split(',')) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const cli = join(dir, 'dist/bench/peer/cli.js');
  const before = cpuTimes();
  // time -f writes its line last on stderr: peak RSS (KiB), user and system seconds.
  const run = spawnSync('/usr/bin/time', ['-f', 'ab_time %M %U %S', process.execPath, cli, workload, ns, repsArg], { encoding: 'utf8', env });
  const after = cpuTimes();
  const t = /ab_time (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(run.stderr);
  if (run.status !== 0 || !t) throw new Error(`${cli} ${workload} failed (${run.status}): ${run.stderr}`);
  const ownTicks = (Number(t[2]) + Number(t[3])) * ticksPerSecond;
  const others = Math.max(0, (100 * (after.busy - before.busy - ownTicks)) / Math.max(1, after.total - before.total));
  const ms = run.stdout.split('\n').filter((l) => l.startsWith('dump_ms ')).map((l) => Number(l.slice(8)));
  return { ms, rssKiB: Number(t[1]), others };
}

const loadBefore = loadavg()[0].toFixed(2);
for (let r = 0; r < rounds; r++) {
  for (const build of builds) {
    waitForQuiet();
    runs.get(build)!.push(runOnce(build));
  }
}

const f1 = (n: number): string => n.toFixed(1).padStart(6);
function line(name: string, list: Run[]): string {
  if (list.length === 0) return `  ${name.padEnd(28)} no runs`;
  const ms = list.flatMap((r) => r.ms).sort((a, b) => a - b);
  const rss = list.map((r) => r.rssKiB / 1024).sort((a, b) => a - b);
  return `  ${name.padEnd(28)} runs ${String(list.length).padStart(3)} dumps ${String(ms.length).padStart(4)}  median ${f1(quantile(ms, 0.5))} ms  p25 ${f1(quantile(ms, 0.25))}  p75 ${f1(quantile(ms, 0.75))}  min ${f1(ms[0])}  | peak RSS median ${quantile(rss, 0.5).toFixed(0)} MiB, max ${rss[rss.length - 1].toFixed(0)} MiB`;
}
const label = (b: string): string => (b.includes('@') ? `${b.slice(0, b.lastIndexOf('@'))}@${basename(b.slice(b.lastIndexOf('@') + 1))}` : basename(b));
console.log(`${workload} in ${ns}: ${rounds} rounds x ${repsArg} dumps per build, ${cpus().length} CPUs; load ${loadBefore} -> ${loadavg()[0].toFixed(2)}; waited ${(waitedMs / 1000).toFixed(0)} s for ${quiet} % idle`);
console.log('all runs:');
for (const [b, list] of runs) console.log(line(label(b), list));
console.log(`runs where other processes used under ${othersLimit} % of the machine:`);
for (const [b, list] of runs) console.log(line(label(b), list.filter((r) => r.others < othersLimit)));
