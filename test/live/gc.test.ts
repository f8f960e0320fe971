// gc() (`vethcon gc`): every incomplete pair of ours on the machine whose
// maker has ended is removed, by ifindex, and reported with where it was;
// pairs still being made, complete pairs and links that are not ours stay.
// The pairs are made here with ip and a hand-written mark, as a killed run
// would have left them.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { gc, open, type GcResult, type Vethcon } from '../../src/index.js';
import { LiveNamespaces, closeAndCleanup, ip, ipJson, requireRoot } from './live-helpers.js';
import { anonymousNamespace } from './trust-helpers.js';

const pidns = (): number => statSync('/proc/self/ns/pid').ino;
const startOf = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!;
/** The pid of a process that has ended (a child that already exited). */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}
const linksIn = (ns: string): string[] => ipJson<any[]>('-n', ns, 'link', 'show').map((l) => l.ifname).sort();
const hex16 = (n: number): string => n.toString(16).padStart(16, '0');
const ofPair = (r: GcResult, id: string) => ({ removed: r.removed.find((p) => p.id === id), skipped: r.skipped.find((p) => p.id === id) });

describe('gc() removes the incomplete pairs that ended runs left (live, root)', function () {
  this.timeout(120000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let A: string;
  let B: string;
  const base = Math.floor(Math.random() * 0xfffff) * 16;

  before(function () {
    requireRoot(this);
    A = spaces.add();
    B = spaces.add();
    vc = open();
  });

  after(() => closeAndCleanup(vc, spaces));

  /** A veth a (in A) <-> b (in B), each end with its mark. */
  function pair(a: string, b: string, markA: string, markB = markA): void {
    ip('-n', A, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', B);
    ip('-n', A, 'link', 'set', a, 'alias', markA);
    ip('-n', B, 'link', 'set', b, 'alias', markB);
  }

  it('a pair left pending by a process that has ended is removed, both ends named with where they were', async () => {
    const id = hex16(base + 1);
    pair('g1a', 'g1b', `vethcon:v1:${id}:pending:pid=${deadPid()}:start=1:pidns=${pidns()}`);
    const r = await gc({ client: vc, docker: false });
    const { removed } = ofPair(r, id);
    assert.ok(removed, JSON.stringify(r));
    assert.deepEqual(removed.ends.map((e) => `${e.ifname} in ${e.endpoint}`).sort(), [`g1a in netns ${A}`, `g1b in netns ${B}`]);
    assert.match(removed.reason, /left incomplete by pid \d+, which has ended/);
    assert.deepEqual(linksIn(A), ['lo']);
    assert.deepEqual(linksIn(B), ['lo']);
  });

  it('half complete (the peer done, our end still pending) is incomplete too', async () => {
    const id = hex16(base + 2);
    pair('g2a', 'g2b', `vethcon:v1:${id}:pending:pid=${deadPid()}:start=1:pidns=${pidns()}`, `vethcon:v1:${id}`);
    assert.ok(ofPair(await gc({ client: vc, docker: false }), id).removed);
    assert.deepEqual(linksIn(A), ['lo']);
  });

  it('a pid reused by another process (another start time) counts as ended', async () => {
    const id = hex16(base + 3);
    pair('g3a', 'g3b', `vethcon:v1:${id}:pending:pid=${process.pid}:start=${Number(startOf(process.pid)) + 1}:pidns=${pidns()}`);
    assert.ok(ofPair(await gc({ client: vc, docker: false }), id).removed);
    assert.deepEqual(linksIn(B), ['lo']);
  });

  it('leaves alone: a pair whose maker still runs, one made in another PID namespace, complete pairs, other aliases', async () => {
    const alive = hex16(base + 4);
    const elsewhere = hex16(base + 5);
    pair('g4a', 'g4b', `vethcon:v1:${alive}:pending:pid=${process.pid}:start=${startOf(process.pid)}:pidns=${pidns()}`);
    pair('g5a', 'g5b', `vethcon:v1:${elsewhere}:pending:pid=${deadPid()}:start=1:pidns=1`);
    pair('g6a', 'g6b', `vethcon:v1:${hex16(base + 6)}`);
    pair('g7a', 'g7b', 'vethcon:v2:future-format', 'uplink to the lab');
    const r = await gc({ client: vc, docker: false });
    assert.match(ofPair(r, alive).skipped?.reason ?? '', new RegExp(`pid ${process.pid} is still running`));
    assert.match(ofPair(r, elsewhere).skipped?.reason ?? '', /another PID namespace/);
    assert.deepEqual(linksIn(A), ['g4a', 'g5a', 'g6a', 'g7a', 'lo']);
    for (const l of ['g4a', 'g5a', 'g6a', 'g7a']) ip('-n', A, 'link', 'del', l);
  });

  it('dryRun lists what it would remove and removes nothing', async () => {
    const id = hex16(base + 8);
    pair('g8a', 'g8b', `vethcon:v1:${id}:pending:pid=${deadPid()}:start=1:pidns=${pidns()}`);
    const r = await gc({ client: vc, docker: false, dryRun: true });
    assert.equal(r.dryRun, true);
    assert.ok(ofPair(r, id).removed);
    assert.deepEqual(linksIn(A), ['g8a', 'lo']);
    assert.ok(ofPair(await gc({ client: vc, docker: false }), id).removed);
    assert.deepEqual(linksIn(A), ['lo']);
  });

  it('finds a pair in a namespace only a process holds (/proc/PID/ns/net), and names it by the pid', async () => {
    const holder = await anonymousNamespace();
    try {
      const id = hex16(base + 9);
      const inIt = (...args: string[]) => execFileSync('nsenter', ['-t', String(holder.pid), '-n', 'ip', ...args], { encoding: 'utf8' });
      inIt('link', 'add', 'g9a', 'type', 'veth', 'peer', 'name', 'g9b');
      const mark = `vethcon:v1:${id}:pending:pid=${deadPid()}:start=1:pidns=${pidns()}`;
      inIt('link', 'set', 'g9a', 'alias', mark);
      inIt('link', 'set', 'g9b', 'alias', mark);
      const { removed } = ofPair(await gc({ client: vc, docker: false }), id);
      assert.deepEqual(removed?.ends.map((e) => `${e.ifname} in ${e.endpoint}`).sort(), [`g9a in pid ${holder.pid}`, `g9b in pid ${holder.pid}`]);
      assert.deepEqual(JSON.parse(inIt('-j', 'link', 'show')).map((l: any) => l.ifname), ['lo']);
    } finally {
      await holder.kill();
    }
  });
});
