// How long a big dump, or a big batch, blocks the event loop: 100,000 routes
// loaded with `ip -batch` into a fresh namespace, then dumped with
// routes.each (streamed: each route visited and dropped) and routes.list
// (every route held); then 5,000 address adds in one batch and 5,000
// deletes in another; while a 1 ms interval, monitorEventLoopDelay and a GC
// observer watch the loop.
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
import { open, type Vethcon } from '../../src/index.js';
import { addAddress, deleteAddress } from '../../src/netlink/index.js';
import { ROUTES, dstOf, measured, measuredDump, collectGarbage, diagnose, type Measured } from './measure.js';
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

/** One line per run, then medians. */
function report(label: string, runs: Measured[]): void {
  runs.forEach((m, i) => console.log(`${label} run ${i + 1}: ${m.ms.toFixed(0)} ms, longest event-loop delay ${m.maxDelay.toFixed(1)} ms, longest slice of ours ${longestSlice(m).toFixed(1)} ms, longest GC pause ${longestGc(m).toFixed(1)} ms`));
  console.log(`${label} median: ${median(runs.map((m) => m.ms)).toFixed(0)} ms, longest delay ${median(runs.map((m) => m.maxDelay)).toFixed(1)} ms (max ${Math.max(...runs.map((m) => m.maxDelay)).toFixed(1)}), longest slice ${median(runs.map(longestSlice)).toFixed(1)} ms, longest GC ${median(runs.map(longestGc)).toFixed(1)} ms`);
  if (process.env.VERBOSE) console.log(diagnose(runs[runs.length - 1]));
}

/** 5,000 /32 address adds on vx0 in one batch, then 5,000 deletes in another (W4's shape). */
async function addressBatches(vc: Vethcon, netns: string): Promise<[Measured, Measured]> {
  const h = await vc.netns(netns);
  const index = await h.ifindex('vx0');
  const cidrs = Array.from({ length: 5000 }, (_, i) => `10.201.${i >> 8}.${i & 255}/32`);
  const adds = cidrs.map((cidr) => addAddress({ index, cidr }));
  const dels = cidrs.map((cidr) => deleteAddress({ index, cidr }));
  const failed = async (reqs: typeof adds) => (await h.batch(reqs)).filter((e) => e !== undefined);
  return [await measured(() => failed(adds)), await measured(() => failed(dels))];
}

async function main(): Promise<void> {
  const netns = `vcbench-el-${randomBytes(3).toString('hex')}`;
  loadRoutes(netns);
  const vc = open();
  try {
    for (const stream of [true, false]) {
      for (let i = 0; i < 3; i++) await measuredDump(vc, netns, stream); // V8 compiles the decoders
      const runs: Measured[] = [];
      for (let i = 0; i < RUNS; i++) {
        collectGarbage();
        const m = await measuredDump(vc, netns, stream);
        if (m.routes.length !== ROUTES + 2) throw new Error(`expected ${ROUTES + 2} routes, got ${m.routes.length}`);
        runs.push(m);
      }
      report(stream ? 'streamed (routes.each)' : 'held (routes.list)', runs);
    }
    await addressBatches(vc, netns); // V8 compiles the encoders
    const adds: Measured[] = [];
    const dels: Measured[] = [];
    for (let i = 0; i < RUNS; i++) {
      collectGarbage();
      const [add, del] = await addressBatches(vc, netns);
      for (const m of [add, del]) if (m.routes.length) throw m.routes[0];
      adds.push(add);
      dels.push(del);
    }
    report('batch of 5,000 address adds', adds);
    report('batch of 5,000 address deletes', dels);
  } finally {
    await vc.close();
    ip('netns', 'del', netns);
  }
}

await main();
