// Every link connect() creates carries our mark (src/wire/mark.ts) from the
// moment it exists: pending, with its maker, while it is configured;
// complete, and out of the pair's link group, once both ends are.

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { connect, open, type Vethcon } from '../../src/index.js';
import { LiveNamespaces, closeAndCleanup, ipJson, requireRoot } from './live-helpers.js';

const show = (ns: string, dev: string): any => ipJson<any[]>('-n', ns, '-d', 'link', 'show', 'dev', dev)[0];

describe('the ownership mark on the links connect() makes (live, root)', function () {
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

  it('both ends are marked pending, with this process as maker, from the first moment the pair exists', async () => {
    const start = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19];
    const pidns = statSync('/proc/self/ns/pid').ino;
    const seen: any[] = [];
    await connect(
      { ns: { type: 'netns', name: A }, ifname: 'm1a', addresses: ['10.62.1.1/24'] },
      { ns: { type: 'netns', name: B }, ifname: 'm1b' },
      { client: vc, afterCreate: async () => { seen.push(show(A, 'm1a'), show(B, 'm1b')); } },
    );
    const pending = new RegExp(`^vethcon:v1:([0-9a-f]{16}):pending:pid=${process.pid}:start=${start}:pidns=${pidns}$`);
    const [a, b] = seen;
    assert.match(a.ifalias, pending);
    assert.equal(b.ifalias, a.ifalias, 'one mark, one id, for both ends');
    const id = pending.exec(a.ifalias)![1]!;
    // The pair's link group (0x76 over the id's first 24 bits), which rode in the creating request.
    assert.equal(a.group, String((0x76000000 | parseInt(id.slice(0, 6), 16)) >>> 0));
    assert.equal(b.group, a.group);
    assert.deepEqual(b.flags.includes('UP'), false, 'the peer is not up while it is pending');
  });

  it('once done, both ends carry the complete mark, back in the default group, and are up', async () => {
    await connect({ ns: { type: 'netns', name: A }, ifname: 'm2a' }, { ns: { type: 'netns', name: B }, ifname: 'm2b', addresses: ['10.62.2.2/24'] }, { client: vc });
    const a = show(A, 'm2a');
    const b = show(B, 'm2b');
    assert.match(a.ifalias, /^vethcon:v1:[0-9a-f]{16}$/);
    assert.equal(b.ifalias, a.ifalias);
    for (const l of [a, b]) {
      assert.equal(l.group, 'default');
      assert.ok(l.flags.includes('UP'), `${l.ifname} up`);
    }
  });

  it('in one namespace too (both ends marked by the one group request)', async () => {
    const seen: any[] = [];
    await connect({ ns: { type: 'netns', name: A }, ifname: 'm3a' }, { ns: { type: 'netns', name: A }, ifname: 'm3b' },
      { client: vc, afterCreate: async () => { seen.push(show(A, 'm3a'), show(A, 'm3b')); } });
    assert.match(seen[0].ifalias, /:pending:/);
    assert.equal(seen[1].ifalias, seen[0].ifalias);
    assert.match(show(A, 'm3b').ifalias, /^vethcon:v1:[0-9a-f]{16}$/);
  });
});
