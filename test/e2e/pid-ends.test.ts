// e2e: `-p PID` where the process is the last holder of an anonymous
// namespace and ends mid-run. The namespace is pinned (held open) while the
// CLI works, so nothing vanishes under it; before success the pid must
// still lead there, so the run fails and removes the pair. (Before: exit 0,
// and the pair gone a second later with the namespace.)

import assert from 'node:assert/strict';
import { PAUSE_AFTER_CREATE, show, vethconWithFault } from './cli-helpers.js';
import { anonymousNamespace } from '../live/trust-helpers.js';
import { addName, dropName, ipJ, marked } from './trust-loops.js';
import { requireTrustE2E } from './trust-e2e-helpers.js';

const A = `vctrust-${process.pid.toString(36)}-pa`;

describe('e2e: a -p PID end whose process ends mid-run', function () {
  this.timeout(60_000);

  before(async function () {
    await requireTrustE2E(this);
    addName(A);
  });

  after(() => dropName(A));

  it('killed once the pair exists (paused there): exit 1, says the pid is gone, the pair removed, still nothing a second later', async () => {
    const holder = await anonymousNamespace();
    try {
      const r = await vethconWithFault(['-n', `${A},p0,10.63.0.1/24`, '-p', `${holder.pid},p1,10.63.0.2/24`], 3000, holder.kill, PAUSE_AFTER_CREATE);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, new RegExp(`pid ${holder.pid} changed while it was being wired: it is not found any more`), show(r));
      assert.match(r.stderr, /the pair was removed again/, show(r));
      for (const wait of [0, 1000]) {
        await new Promise((res) => setTimeout(res, wait));
        assert.deepEqual(ipJ(`/run/netns/${A}`, 'link', 'show').map((l) => l.ifname), ['lo'], show(r));
        assert.deepEqual(marked(`/run/netns/${A}`), [], show(r));
      }
    } finally {
      await holder.kill();
    }
  });
});
