// e2e: the CLI wiring `-n a,t0,... -n V,t1,...` while `mount --bind
// /run/netns/NEW /run/netns/V` re-points V. Each end is pinned once; a name
// that leads elsewhere before success is reported makes the run fail with
// the pair removed from where it really is. Before pinning, such a run
// could exit 0 with t1 down and unaddressed in NEW and its address on an
// unrelated link of the old V. Oracle: ip -j (through nsenter for the old V).

import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { PAUSE_AFTER_CREATE, PAUSE_ANNOUNCEMENT, show, vethconWithFault } from './cli-helpers.js';
import { addName, dropName, ipJ, marked } from './trust-loops.js';
import { remountRace } from './race-loop.js';
import { requireTrustE2E } from './trust-e2e-helpers.js';

const TAG = `vctrust-${process.pid.toString(36)}`;
const A = `${TAG}-a`;
const V = `${TAG}-v`;
const NEW = `${TAG}-new`;
const file = (n: string): string => `/run/netns/${n}`;
const names = (f: string | undefined): string[] => ipJ(f, 'link', 'show').map((l) => l.ifname).sort();

describe('e2e: a namespace name re-pointed (mount --bind) while the CLI wires it', function () {
  this.timeout(180_000);
  let oldFd = -1;
  let OLD = '';

  before(async function () {
    await requireTrustE2E(this);
    addName(A);
  });

  beforeEach(() => {
    addName(V);
    addName(NEW);
    // Links in the old V at the ifindexes the peer gets in NEW: where the old bug put t1's address.
    execFileSync('ip', ['-n', V, 'link', 'add', 'pad0', 'type', 'veth', 'peer', 'name', 'pad1']);
    oldFd = openSync(file(V), 'r');
    OLD = `/proc/${process.pid}/fd/${oldFd}`;
  });

  afterEach(() => {
    if (oldFd >= 0) closeSync(oldFd);
    oldFd = -1;
    dropName(V);
    dropName(NEW);
  });

  after(() => [A, V, NEW].forEach(dropName));

  /** Nothing of ours in a, the old V, the new V or the host; the old V holds what it held, NEW only lo. */
  function nothingLeft(why: string): void {
    assert.deepEqual([...marked(file(A)), ...marked(OLD), ...marked(file(NEW)), ...marked(undefined)], [], why);
    assert.deepEqual(names(OLD), ['lo', 'pad0', 'pad1'], why);
    assert.deepEqual(ipJ(OLD, 'addr', 'show').flatMap((l) => l.addr_info ?? []).filter((x: any) => x.family === 'inet'), [], why);
    assert.deepEqual(names(file(NEW)), ['lo'], why);
    assert.ok(!names(file(A)).includes('t0'), why);
  }

  const mount = async (): Promise<void> => { execFileSync('mount', ['--bind', file(NEW), file(V)]); };
  const args = (): string[] => ['-n', `${A},t0,10.60.0.1/24`, '-n', `${V},t1,10.60.0.2/24`];

  it('re-pointed once the pair exists (paused there): exit 1, the pair removed from the old V where it really was, nothing of ours anywhere', async () => {
    const r = await vethconWithFault(args(), 3000, mount, PAUSE_AFTER_CREATE);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, new RegExp(`netns ${V} changed while it was being wired: it is another namespace now`), show(r));
    assert.match(r.stderr, /the pair was removed again \(the kernel confirmed t0 \(ifindex \d+\) in netns \S+ and t1 \(ifindex \d+\) in netns \S+ gone\)/, show(r));
    nothingLeft(show(r));
  });

  it('re-pointed between validation and wiring (paused there): exit 1, nothing was changed', async () => {
    const r = await vethconWithFault(args(), 3000, mount, PAUSE_ANNOUNCEMENT);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /changed while it was being wired: it is another namespace now; nothing was changed/, show(r));
    nothingLeft(show(r));
  });

  it('40 real runs racing a mount --bind at random moments: no exit 0 with wrong wiring, no failed run leaves anything of ours', async function () {
    this.timeout(600_000);
    const s = await remountRace(`${TAG}-race`, 40);
    assert.deepEqual(s.wrongWiring, [], 'exits 0 with wrong wiring');
    assert.deepEqual(s.leftovers, [], 'failed runs that left something');
    assert.equal(s.ok + s.failed, 40);
  });
});
