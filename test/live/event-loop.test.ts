// A big dump must not freeze the event loop: 100,000 routes loaded with
// `ip -batch`, then streamed (routes.each, in a fresh process) and listed
// (routes.list) while a probe measures event-loop delay. The socket yields to
// the loop every 0.5 ms while it decodes; the streamed dump must never stall
// the loop over 5 ms. When it fails, the message says where the
// time went: garbage collection pauses (from PerformanceObserver 'gc'
// entries), and the longest stretch of our own code between two yields.
// Needs root; the namespace is vclive-* and removed afterwards.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Vethcon } from '../../src/index.js';
import { ROUTES, MAX_STALL_MS, dstOf, measuredDump, diagnose, type Measured } from './event-loop-measure.js';
import { LiveNamespaces, requireRoot, ip, ipJson, ipDst, closeAndCleanup } from './live-helpers.js';

describe('event loop: dumping 100,000 routes (live, root)', function () {
  this.timeout(180000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let netns: string;
  let dir: string;
  let vx0: number;
  let measured: Measured | undefined;

  before(function () {
    requireRoot(this);
    netns = spaces.add();
    ip('-n', netns, 'link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx0p');
    ip('-n', netns, 'addr', 'add', '10.200.0.1/24', 'dev', 'vx0');
    ip('-n', netns, 'link', 'set', 'vx0', 'up');
    ip('-n', netns, 'link', 'set', 'vx0p', 'up');
    vx0 = ipJson<any[]>('-n', netns, 'link', 'show', 'vx0')[0].ifindex;
    dir = mkdtempSync(join(tmpdir(), 'vclive-'));
    const lines = ['route add default via 10.200.0.2 dev vx0'];
    for (let i = 0; i < ROUTES; i++) lines.push(`route add ${dstOf(i)}/32 via 10.200.0.2 dev vx0`);
    writeFileSync(join(dir, 'routes'), lines.join('\n') + '\n');
    const started = Date.now();
    ip('-n', netns, '-batch', join(dir, 'routes'));
    console.log(`      (loaded ${ROUTES} routes with ip -batch in ${Date.now() - started} ms)`);
    vc = open();
  });

  after(() => closeAndCleanup(vc, spaces, () => dir && rmSync(dir, { recursive: true, force: true })));

  it(`keeps every event-loop stall to ${MAX_STALL_MS} ms or less while it streams them (routes.each)`, () => {
    // In a fresh process, as an application would run it: this test process
    // carries the heap and compiled code of hundreds of tests before this one.
    const probe = fileURLToPath(new URL('./event-loop-probe.js', import.meta.url));
    const r = JSON.parse(execFileSync(process.execPath, [probe, netns], { encoding: 'utf8', timeout: 120_000 }));
    assert.equal(r.count, ROUTES + 2);
    console.log(`      (${r.count} routes in ${r.ms.toFixed(0)} ms; longest event-loop delay ${r.maxDelay.toFixed(1)} ms)`);
    assert.ok(r.maxDelay <= MAX_STALL_MS, `the event loop stalled for ${r.maxDelay.toFixed(1)} ms (limit ${MAX_STALL_MS} ms)\n${r.diagnosis}`);
  });

  it('ip counts 100,002 routes in the main table', () => {
    const theirs = ipJson<any[]>('-n', netns, 'route', 'show');
    assert.equal(theirs.length, ROUTES + 2, 'the /32s, the default route and 10.200.0.0/24');
  });

  // Holding all 100,000 results is the caller's choice of memory: V8's young-generation
  // collector then copies them, in pauses our code cannot split (see README, "Large dumps").
  // This measures and prints those pauses; the bound above is for our own code's blocking.
  it('routes.list() holding all 100,002: our code still yields (at least every 10 ms, marking steps included)', async () => {
    const m = (measured = await measuredDump(vc, netns, false));
    const longestSlice = m.slices.reduce((t, [a, b]) => Math.max(t, b - a), 0);
    const gcMax = Math.max(0, ...m.gcs.map((g) => g.duration));
    console.log(`      (${m.routes.length} routes in ${m.ms.toFixed(0)} ms; longest event-loop delay ${m.maxDelay.toFixed(1)} ms, longest GC pause ${gcMax.toFixed(1)} ms, longest slice of ours ${longestSlice.toFixed(1)} ms)`);
    const ownMax = Math.max(...m.slices.map(([a, b]) => (b - a) - m.gcs.reduce((t, g) => t + Math.max(0, Math.min(b, g.startTime + g.duration) - Math.max(a, g.startTime)), 0)));
    // Holding the results makes V8 mark the old generation in steps taken inside
    // our slices (not reported as GC pauses), so the bound here is looser.
    assert.ok(ownMax <= 2 * MAX_STALL_MS, `our own code ran ${ownMax.toFixed(1)} ms without yielding (GC pauses excluded)\n${diagnose(m)}`);
  });
  it('routes.list() returns all 100,002 with the right fields, the same as ip', async () => {
    // The measured dump's result when that test ran, else a fresh one.
    const routes = measured?.routes ?? await vc.routes.list({ netns });
    assert.equal(routes.length, ROUTES + 2);
    const theirs = ipJson<any[]>('-n', netns, '-d', 'route', 'show');
    assert.deepEqual(routes.map((r) => r.dst).sort(), theirs.map((r) => ipDst(r.dst, 'inet')).sort(), 'the same destinations');
    const ours = new Map(routes.map((r) => [r.dst, r]));
    // Spot checks: a few hundred, spread over the range, against ip's view of each.
    const byDst = new Map(theirs.map((r) => [ipDst(r.dst, 'inet'), r]));
    for (let k = 0; k < 300; k++) {
      const i = k === 0 ? 0 : k === 1 ? ROUTES - 1 : Math.floor(Math.random() * ROUTES);
      const dst = `${dstOf(i)}/32`;
      const o = ours.get(dst);
      const t = byDst.get(dst);
      assert.ok(o && t, dst);
      assert.deepEqual(o, { family: 'inet', dst, table: 254, protocol: 'boot', scope: 'global', type: 'unicast', gateway: '10.200.0.2', oif: vx0 }, dst);
      assert.deepEqual([t.gateway, t.dev, t.protocol, t.scope, t.type], [o.gateway, 'vx0', o.protocol, o.scope, o.type], dst);
    }
    assert.equal(ours.get('default')?.gateway, '10.200.0.2');
    assert.equal(ours.get('10.200.0.0/24')?.protocol, 'kernel');
  });

});
