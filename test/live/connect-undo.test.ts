// When connect() undoes a pair, it deletes it by the ifindexes the kernel
// reported, through the pinned namespaces, never by name; it confirms each
// end gone before it says "nothing is left behind", and says what remains,
// and where, when it cannot. (Before, a failure before the ifindex was read
// undid by name, and an ENODEV from the undo was taken for success.)

import assert from 'node:assert/strict';
import { connect, open, WiringError, type EndInput, type Vethcon } from '../../src/index.js';
import { LiveNamespaces, closeAndCleanup, ip, ipJson, requireRoot } from './live-helpers.js';

const linksIn = (ns: string): string[] => ipJson<any[]>('-n', ns, 'link', 'show').map((l) => l.ifname).sort();
const injected = new Error('injected fault');

describe('connect() undoes by ifindex, and says so only when the kernel confirms it (live, root)', function () {
  this.timeout(60000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let A: string;
  let B: string;

  before(function () {
    requireRoot(this);
    A = spaces.add();
    B = spaces.add();
    vc = open();
  });

  after(() => closeAndCleanup(vc, spaces));

  const ends = (n: number): [EndInput, EndInput] => [
    { ns: { type: 'netns', name: A }, ifname: `u${n}a`, addresses: [`10.61.${n}.1/24`] },
    { ns: { type: 'netns', name: B }, ifname: `u${n}b`, addresses: [`10.61.${n}.2/24`] },
  ];

  it('our end renamed and its name taken by another link: the undo removes our pair, not the other link', async () => {
    const [ea, eb] = ends(1);
    await assert.rejects(connect(ea, eb, {
      client: vc,
      afterCreate: async () => {
        ip('-n', A, 'link', 'set', 'u1a', 'name', 'u1r');
        ip('-n', A, 'link', 'add', 'u1a', 'type', 'veth', 'peer', 'name', 'u1x');
        throw injected;
      },
    }), (e: unknown) => e instanceof WiringError && /injected fault; the pair was removed again/.test(e.message));
    assert.deepEqual(linksIn(A), ['lo', 'u1a', 'u1x'], 'the other link stays, our renamed end is gone');
    assert.deepEqual(linksIn(B), ['lo']);
    ip('-n', A, 'link', 'del', 'u1a');
  });

  it('our end moved to another namespace: the undo removes the pair through its peer, and confirms it', async () => {
    const X = spaces.add();
    const [ea, eb] = ends(2);
    await assert.rejects(connect(ea, eb, {
      client: vc,
      afterCreate: async () => {
        ip('-n', A, 'link', 'set', 'u2a', 'netns', X);
        throw injected;
      },
    }), (e: unknown) => e instanceof WiringError && /the pair was removed again \(the kernel confirmed .* gone\), nothing is left behind/.test(e.message));
    assert.deepEqual(linksIn(X), ['lo'], 'the moved end went with its peer');
    assert.deepEqual(linksIn(B), ['lo']);
  });

  it('both ends moved away: the undo fails, says so and where it looked, never "nothing is left behind"', async () => {
    const X = spaces.add();
    const Y = spaces.add();
    const [ea, eb] = ends(3);
    await assert.rejects(connect(ea, eb, {
      client: vc,
      afterCreate: async () => {
        ip('-n', A, 'link', 'set', 'u3a', 'netns', X);
        ip('-n', B, 'link', 'set', 'u3b', 'netns', Y);
        throw injected;
      },
    }), (e: unknown) => {
      assert.ok(e instanceof WiringError, String(e));
      assert.doesNotMatch(e.message, /nothing is left behind/);
      assert.match(e.message, new RegExp(`injected fault; undoing failed too: the pair was no longer where it was made \\(u3a \\(ifindex \\d+\\) in netns ${A}, u3b \\(ifindex \\d+\\) in netns ${B}\\)`));
      assert.ok(e.undoFailed);
      return true;
    });
    assert.deepEqual(linksIn(X), ['lo', 'u3a'], 'it really is still there');
  });
});
