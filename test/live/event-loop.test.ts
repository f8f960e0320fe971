// A big dump must not freeze the event loop, nor a big batch: 100,000 routes
// loaded with `ip -batch`, then streamed (routes.each) and listed
// (routes.list), then 5,000 addresses added and deleted in batches, while a
// 1 ms interval timer runs. The socket yields to the loop every 0.5 ms while
// it decodes, and between a batch's sends (each sized to ~1.5 ms of kernel
// work), so the timer keeps firing; work that never yields lets it fire at
// most once. How long the loop is blocked is measured
// by bench/event-loop (a bench, not a test: wall-clock figures on a shared VM
// depend on its load). Needs root; the namespace is vclive-* and removed afterwards.

import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Vethcon, type Route } from '../../src/index.js';
import { addAddress, deleteAddress } from '../../src/netlink/index.js';
import { LiveNamespaces, requireRoot, ip, ipJson, ipDst, closeAndCleanup } from './live-helpers.js';

const ROUTES = 100_000;
const dstOf = (i: number): string => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
/** At 1 ms, a dump of 100,000 routes (30 ms or more even for C) sees far more ticks than this when it yields, and at most one when it does not. */
const MIN_TICKS = 10;

/** Runs dump() under a 1 ms interval timer; returns its result and how often the timer fired during it. */
async function underTimer<T>(dump: () => Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    await new Promise((r) => setTimeout(r, 5)); // the timer is running
    ticks = 0;
    const result = await dump();
    return { result, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('event loop: dumping 100,000 routes (live, root)', function () {
  this.timeout(180000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let netns: string;
  let dir: string;
  let vx0: number;
  let listed: Route[] | undefined;

  before(async function () {
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
    await vc.links.list({ netns }); // the worker is started and the socket opened before any timing
  });

  after(() => closeAndCleanup(vc, spaces, () => dir && rmSync(dir, { recursive: true, force: true })));

  it('lets timers run while it streams them (routes.each)', async () => {
    let count = 0;
    const { ticks } = await underTimer(() => vc.routes.each(() => { count++; }, { netns }));
    assert.equal(count, ROUTES + 2);
    assert.ok(ticks >= MIN_TICKS, `a 1 ms timer fired only ${ticks} times during the dump`);
  });

  it('ip counts 100,002 routes in the main table', () => {
    const theirs = ipJson<any[]>('-n', netns, 'route', 'show');
    assert.equal(theirs.length, ROUTES + 2, 'the /32s, the default route and 10.200.0.0/24');
  });

  it('lets timers run while it lists them all (routes.list)', async () => {
    const { result, ticks } = await underTimer(() => vc.routes.list({ netns }));
    listed = result;
    assert.equal(result.length, ROUTES + 2);
    assert.ok(ticks >= MIN_TICKS, `a 1 ms timer fired only ${ticks} times during the dump`);
  });

  it('routes.list() returns all 100,002 with the right fields, the same as ip', async () => {
    // The listed dump's result when that test ran, else a fresh one.
    const routes = listed ?? await vc.routes.list({ netns });
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

  it('lets timers run while a batch of 5,000 address adds is sent, and while they are deleted', async () => {
    const h = await vc.netns(netns);
    const cidrs = Array.from({ length: 5000 }, (_, i) => `10.201.${i >> 8}.${i & 255}/32`);
    for (const [what, build] of [['add', addAddress], ['delete', deleteAddress]] as const) {
      const requests = cidrs.map((cidr) => build({ index: vx0, cidr }));
      const { result, ticks } = await underTimer(() => h.batch(requests, what));
      assert.deepEqual(result.filter((e) => e !== undefined), [], `every ${what} acked`);
      // The kernel handles a send's requests before send returns: one send of them all would let the timer fire at most once.
      assert.ok(ticks >= MIN_TICKS, `a 1 ms timer fired only ${ticks} times during the ${what}s`);
      const present = ipJson<any[]>('-n', netns, '-4', 'addr', 'show', 'dev', 'vx0')[0].addr_info.filter((a: any) => a.local.startsWith('10.201.')).length;
      assert.equal(present, what === 'add' ? 5000 : 0);
    }
  });
});
