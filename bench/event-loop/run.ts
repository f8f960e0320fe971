// How long a big dump blocks the event loop: 100,000 routes loaded with
// `ip -batch` into a fresh namespace, then dumped with routes.each (streamed:
// each route visited and dropped) and routes.list (every route held), while
// a 1 ms interval, monitorEventLoopDelay and a GC observer watch the loop.
// Prints, per run, the dump's time, the longest event-loop delay, the
// longest stretch of our own code between two yields and the longest GC
// pause; then medians. The target: no stall over 5 ms while streaming.
//
//   node dist/bench/event-loop/run.js        # root; RUNS=5 by default
//
// A bench, not a test: wall-clock stalls on a shared 2-vCPU VM depend on what
// else runs. The live test (test/live/event-loop.test.ts) checks that the
// dump yields at all; this measures how well.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open } from '../../src/index.js';
import { ROUTES, dstOf, measuredDump, collectGarbage, diagnose, type Measured } from './measure.js';
import { median } from '../stats.cjs';

const RUNS = Number(process.env.RUNS ?? 5);
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });

function loadRoutes(netns: string): void {
  ip('netns', 'add', netns);
  ip('-n', netns, 'link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx0p');
  ip('-n', netns, 'addr', 'add', '10.200.0.1/24', 'dev', 'vx0');
  ip('-n', netns, 'link', 'set', 'vx0', 'up');
  ip('-n', netns, 'link', 'set', 'vx0p', 'up');
  const dir = mkdtempSync(join(tmpdir(), 'vcbench-'));
  try {
    const lines = ['route add default via 10.200.0.2 dev vx0'];
    for (let i = 0; i < ROUTES; i++) lines.push(`route add ${dstOf(i)}/32 via 10.200.0.2 dev vx0`);
    writeFileSync(join(dir, 'routes'), lines.join('\n') + '\n');
    ip('-n', netns, '-batch', join(dir, 'routes'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const longestSlice = (m: Measured) => m.slices.reduce((t, [a, b]) => Math.max(t, b - a), 0);
const longestGc = (m: Measured) => Math.max(0, ...m.gcs.map((g) => g.duration));

async function main(): Promise<void> {
  const netns = `vcbench-el-${randomBytes(3).toString('hex')}`;
  loadRoutes(netns);
  const vc = open();
  try {
    for (const stream of [true, false]) {
      const label = stream ? 'streamed (routes.each)' : 'held (routes.list)';
      for (let i = 0; i < 3; i++) await measuredDump(vc, netns, stream); // V8 compiles the decoders
      const runs: Measured[] = [];
      for (let i = 0; i < RUNS; i++) {
        collectGarbage();
        const m = await measuredDump(vc, netns, stream);
        if (m.routes.length !== ROUTES + 2) throw new Error(`expected ${ROUTES + 2} routes, got ${m.routes.length}`);
        runs.push(m);
        console.log(`${label} run ${i + 1}: ${m.ms.toFixed(0)} ms, longest event-loop delay ${m.maxDelay.toFixed(1)} ms, longest slice of ours ${longestSlice(m).toFixed(1)} ms, longest GC pause ${longestGc(m).toFixed(1)} ms`);
      }
      console.log(`${label} median: ${median(runs.map((m) => m.ms)).toFixed(0)} ms, longest delay ${median(runs.map((m) => m.maxDelay)).toFixed(1)} ms (max ${Math.max(...runs.map((m) => m.maxDelay)).toFixed(1)}), longest slice ${median(runs.map(longestSlice)).toFixed(1)} ms, longest GC ${median(runs.map(longestGc)).toFixed(1)} ms`);
      if (process.env.VERBOSE) console.log(diagnose(runs[runs.length - 1]));
    }
  } finally {
    await vc.close();
    ip('netns', 'del', netns);
  }
}

await main();
