// e2e: the CLI SIGKILLed at random moments 0-450 ms into its runs (every
// 5th right after its pair was made, which a random moment rarely hits),
// over named namespaces and (when Docker is up; under CI it must be)
// containers, then one `vethcon gc`: no link carrying our mark may remain anywhere the
// runs touched, nor in the host, and no stray file may appear (a *.tmp in
// dist/, say). The bench (trust-bench.ts kill 50) is the long version.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { containerPid, inCI } from './cli-helpers.js';
import { dockerAvailable, removeContainer, startContainer } from './docker-helpers.js';
import { addName, dropName } from './trust-loops.js';
import { killThenGc, type KillTarget } from './kill-loop.js';
import { requireTrustE2E } from './trust-e2e-helpers.js';

const TAG = `vctrust-${process.pid.toString(36)}`;
const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));
const ours = (): string[] => readdirSync('/run/netns').filter((n) => n.startsWith(TAG)).sort();

describe('e2e: SIGKILL at random moments, then one vethcon gc', function () {
  this.timeout(300_000);
  const [A, B] = [`${TAG}-ka`, `${TAG}-kb`];
  const containers = [`${TAG}-c1`, `${TAG}-c2`];
  let docker = false;

  before(async function () {
    await requireTrustE2E(this, { docker: inCI });
    docker = await dockerAvailable();
    addName(A);
    addName(B);
    if (docker) await Promise.all(containers.map((c) => startContainer(c)));
  });

  after(async () => {
    dropName(A);
    dropName(B);
    if (docker) await Promise.all(containers.map((c) => removeContainer(c).catch(() => {})));
  });

  it('15 kills (named netns, and containers when Docker is up; 3 of them mid-wiring), one gc: no link of ours left anywhere, no stray file', async () => {
    const distBefore = readdirSync(DIST).sort();
    const targets: KillTarget[] = [{ ends: [['-n', A], ['-n', B]], files: [`/run/netns/${A}`, `/run/netns/${B}`] }];
    if (docker) {
      const [p1, p2] = await Promise.all(containers.map((c) => containerPid(c)));
      targets.push({ ends: [['-d', containers[0]!], ['-d', containers[1]!]], files: [`/proc/${p1}/ns/net`, `/proc/${p2}/ns/net`] });
    }
    const lines: string[] = [];
    const s = await killThenGc(targets, 15, 450, 5, (l) => lines.push(l));
    const log = lines.join('\n');
    assert.equal(s.gc.code, 0, log);
    assert.deepEqual(s.left, [], log);
    assert.ok(s.removed >= s.midWiring, `gc removed the ${s.midWiring} pairs left mid-wiring, at least:\n${log}`);
    assert.deepEqual(readdirSync(DIST).sort(), distBefore, 'no stray files in dist/');
    assert.deepEqual(readdirSync(DIST).filter((f) => f.endsWith('.tmp')), []);
    assert.deepEqual(ours(), [A, B].sort(), 'no stray namespace files');
  });
});
