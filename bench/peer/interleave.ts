// Whole-process timing, interleaved: run each command once per round, in
// turn, so a noisy shared machine slows all of them alike (hyperfine runs
// one command's runs back to back). Reports median, quartiles and min per
// command, each median's difference from the first command's (the
// baseline, e.g. `node -e 0`), and the median of the per-round differences
// (each run minus the baseline's run of the same round), which a load that
// comes and goes disturbs least.
//
//   node dist/bench/peer/interleave.js [--runs 30] [--warmup 3] [--prepare 'sh cmd'] -- 'node -e 0' 'node x.js ...'
//
// A command is split on spaces (no shell); --prepare runs through sh before
// every run of every command, untimed (delete the W5 namespaces there).
// Output goes to /dev/null, as hyperfine's does by default (a process whose
// stderr is a pipe or a terminal pays to set it up; one on /dev/null does not).

import { spawnSync } from 'node:child_process';
import { ascending, median, quantile } from '../stats.cjs';

function parse(argv: string[]): { runs: number; warmup: number; prepare?: string; commands: string[][] } {
  let runs = 30;
  let warmup = 3;
  let prepare: string | undefined;
  let i = 0;
  for (; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--warmup') warmup = Number(argv[++i]);
    else if (argv[i] === '--prepare') prepare = argv[++i];
    else throw new Error(`unknown option ${argv[i]}`);
  }
  const commands = argv.slice(i + 1).map((c) => c.split(' ').filter(Boolean));
  if (!commands.length) throw new Error('no commands (give them after --)');
  return { runs, warmup, prepare, commands };
}

function once(cmd: string[], prepare?: string): number {
  if (prepare) spawnSync('sh', ['-c', prepare], { stdio: 'ignore' });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')}: exit ${r.status ?? r.signal}`);
  return ms;
}

const { runs, warmup, prepare, commands } = parse(process.argv.slice(2));
const times: number[][] = commands.map(() => []);
for (let r = -warmup; r < runs; r++) {
  commands.forEach((cmd, k) => {
    const ms = once(cmd, prepare);
    if (r >= 0) times[k].push(ms);
  });
}
if (prepare) spawnSync('sh', ['-c', prepare], { stdio: 'ignore' });
const medians = times.map(median);
commands.forEach((cmd, k) => {
  const s = ascending(times[k]);
  const paired = ascending(times[k].map((t, r) => t - times[0][r]));
  const diff = k === 0 ? '' : `  (+${(medians[k] - medians[0]).toFixed(1)} vs first; paired +${quantile(paired, 0.5).toFixed(1)})`;
  process.stdout.write(`median ${quantile(s, 0.5).toFixed(1)} ms  p25 ${quantile(s, 0.25).toFixed(1)}  p75 ${quantile(s, 0.75).toFixed(1)}  min ${s[0].toFixed(1)}${diff}  ${cmd.join(' ')}\n`);
});
