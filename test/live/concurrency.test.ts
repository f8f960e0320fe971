// Many namespaces, many operations at once: 50 namespaces and 200 concurrent
// link adds/sets/lists and address adds give the right results (checked with
// `ip -j`), leak no fd or thread once the instance is closed, never move the
// main thread out of its namespace, and do not keep the process alive after
// close(). Needs root; every namespace is vclive-* and removed afterwards.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { open, type Link } from '../../src/index.js';
import { LiveNamespaces, requireRoot, ipJson, ipNetnsList, liveName, threadNetnsInode, countEntries, settle } from './live-helpers.js';

const NAMESPACES = 50;
const OPERATIONS = 200;

/** Fisher-Yates, so the operations start in no particular order. */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

describe('concurrency: 50 namespaces, 200 operations at once (live, root)', function () {
  this.timeout(180000);
  const spaces = new LiveNamespaces();

  before(function () {
    requireRoot(this);
  });

  after(() => spaces.cleanup());

  it('gives correct results, leaks nothing, keeps the main thread home', async () => {
    // Warm up first: the first namespace worker makes Node start libuv's
    // thread pool (UV_THREADPOOL_SIZE threads, 4 by default), once per
    // process and never stopped. That is not ours to count as a leak.
    const warm = open();
    await warm.links.list({ netns: spaces.add() });
    await warm.close();
    await settle(() => false, 100);

    const home = threadNetnsInode();
    const fdsBefore = countEntries('/proc/self/fd');
    const tasksBefore = countEntries('/proc/self/task');
    const strays: number[] = [];
    const probe = () => {
      const now = threadNetnsInode();
      if (now !== home) strays.push(now);
    };
    const sampler = setInterval(probe, 1);

    const names = Array.from({ length: NAMESPACES }, () => spaces.reserve());
    const vc = open();
    try {
      // The namespaces themselves, all asked for at once.
      await Promise.all(names.map((name) => vc.namespaces.create(name).then((ns) => (probe(), ns))));
      const listed = ipNetnsList();
      for (const name of names) assert.ok(listed.includes(name), `ip netns list shows ${name}`);

      // Per namespace k: one link add (veth or bridge), one set of lo, one
      // address add, one list: 4 × 50 = 200 operations, in random order.
      type Op = { k: number; what: string; run: () => Promise<unknown> };
      const ops: Op[] = [];
      names.forEach((netns, k) => {
        ops.push({
          k, what: 'add link',
          run: () => (k % 2
            ? vc.links.add({ netns, ifname: `br-${k}`, kind: 'bridge', mtu: 1400 + k })
            : vc.links.add({ netns, ifname: `ve-${k}`, kind: 'veth', mtu: 1400 + k, up: true, peer: { ifname: `vp-${k}` } })),
        });
        ops.push({ k, what: 'set lo', run: () => vc.links.set('lo', { up: true, alias: `lo of ${k}`, mtu: 60000 + k }, { netns }) });
        ops.push({ k, what: 'add address', run: () => vc.addresses.add('lo', `10.40.${k}.1/32`, { netns }) });
        ops.push({ k, what: 'list links', run: () => vc.links.list({ netns }) });
      });
      assert.equal(ops.length, OPERATIONS);
      const results = await Promise.all(shuffle(ops).map((op) => op.run().then((value) => (probe(), { op, value }))));

      for (const { op, value } of results) {
        const k = op.k;
        if (op.what === 'add link') {
          const link = value as Link;
          assert.equal(link.ifname, k % 2 ? `br-${k}` : `ve-${k}`);
          assert.equal(link.mtu, 1400 + k);
        }
        if (op.what === 'list links') {
          // Whatever it caught mid-flight, all of it is from namespace k.
          const own = new Set(['lo', `br-${k}`, `ve-${k}`, `vp-${k}`]);
          for (const link of value as Link[]) assert.ok(own.has(link.ifname), `namespace ${k} lists ${link.ifname}`);
          assert.ok((value as Link[]).some((l) => l.ifname === 'lo'));
        }
      }
      // What ip sees in every namespace.
      names.forEach((netns, k) => {
        const links = ipJson<any[]>('-n', netns, 'link', 'show');
        const lo = links.find((l) => l.ifname === 'lo');
        assert.equal(lo.mtu, 60000 + k, `lo mtu in ${netns}`);
        assert.equal(lo.ifalias, `lo of ${k}`);
        assert.ok(lo.flags.includes('UP'));
        const added = links.find((l) => l.ifname === (k % 2 ? `br-${k}` : `ve-${k}`));
        assert.ok(added, `the new link in ${netns}`);
        assert.equal(added.mtu, 1400 + k);
        if (k % 2 === 0) {
          assert.ok(added.flags.includes('UP'));
          assert.ok(links.some((l) => l.ifname === `vp-${k}`));
        }
        assert.deepEqual(links.map((l) => l.ifname).sort(), (k % 2 ? ['br-' + k, 'lo'] : ['lo', 've-' + k, 'vp-' + k]).sort());
        const addrs = ipJson<any[]>('-n', netns, '-4', 'addr', 'show', 'dev', 'lo')[0].addr_info.map((a: any) => `${a.local}/${a.prefixlen}`);
        assert.deepEqual(addrs.sort(), [`10.40.${k}.1/32`, '127.0.0.1/8'], 'ours, and the one lo gets when it comes up');
      });

      await Promise.all(names.map((name) => vc.namespaces.delete(name)));
      const after = ipNetnsList();
      for (const name of names) assert.ok(!after.includes(name), `${name} deleted`);
    } finally {
      await vc.close();
      clearInterval(sampler);
    }
    await settle(() => countEntries('/proc/self/task') <= tasksBefore);
    assert.deepEqual(strays, [], 'the main thread never left its netns');
    assert.equal(threadNetnsInode(), home);
    assert.equal(countEntries('/proc/self/fd'), fdsBefore, 'fds after close()');
    assert.equal(countEntries('/proc/self/task'), tasksBefore, 'threads after close()');
  });

  it('the process exits promptly after close(), having used many namespaces', function () {
    const names = Array.from({ length: 5 }, () => spaces.reserve());
    const indexUrl = new URL('../../src/index.js', import.meta.url).href;
    const script = `
      const { open } = await import(${JSON.stringify(indexUrl)});
      const names = ${JSON.stringify(names)};
      const vc = open();
      await Promise.all(names.map((n) => vc.namespaces.create(n)));
      await Promise.all(names.flatMap((netns, k) => [
        vc.links.add({ netns, ifname: 'x' + k, kind: 'veth', peer: { ifname: 'y' + k } }),
        vc.links.list({ netns }),
        vc.addresses.add('lo', '10.41.' + k + '.1/32', { netns }),
      ]));
      await vc.close();
      console.log('closed');`;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
    const ms = Date.now() - started;
    assert.equal(result.signal, null, `killed after ${ms} ms: it hung`);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'closed');
    assert.ok(ms < 10000, `took ${ms} ms`);
    for (const name of names) assert.ok(ipNetnsList().includes(name) && ipJson<any[]>('-n', name, 'link', 'show').length === 3);
    assert.ok(!ipNetnsList().includes(liveName()));
  });
});
