// Live: sockets for many namespaces in one worker request
// (NamespaceThreads.openSocketsEach), and the library's prefetch of them
// (Vethcon.prefetch / netnsAll, SocketCache.prefetch). The kernel says where
// each socket lives (SIOCGSKNS), `ip` makes the namespaces. Every namespace
// here is vcls-<random>, removed after each test.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { Vethcon } from '../../src/api/client.js';
import { NamespaceThreads, NetnsError, pinNetns, resolveNetns, socketNetns, unpin, type NetnsRef } from '../../src/ns/index.js';
import * as sys from '../../src/sys/index.js';

function requireRoot(context: Mocha.Context): void {
  if (process.getuid?.() === 0) return;
  if (process.env.CI === 'true') throw new Error('live tests need root (CI=true: failing instead of skipping)');
  context.skip();
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const fdCount = (): number => readdirSync('/proc/self/fd').length;
const identity = (ref: NetnsRef): string => { const r = resolveNetns(ref); return `${r.dev}:${r.ino}`; };
const socketIdentity = (fd: number): string => { const s = socketNetns(fd); return `${s.dev}:${s.ino}`; };

describe('many namespaces in one worker request (live, root)', function () {
  this.timeout(60_000);
  let made: string[] = [];

  /** A fresh vcls-* namespace with one veth pair named after it, so a dump tells them apart. */
  function namespace(): string {
    const tag = randomBytes(3).toString('hex');
    const name = `vcls-${tag}`;
    ip('netns', 'add', name);
    made.push(name);
    ip('-n', name, 'link', 'add', `vcls${tag}a`, 'type', 'veth', 'peer', 'name', `vcls${tag}b`);
    return name;
  }
  const missing = (): string => `vcls-missing-${randomBytes(3).toString('hex')}`;

  before(function () {
    requireRoot(this);
  });
  afterEach(() => {
    for (const name of made) {
      try {
        ip('netns', 'del', name);
      } catch {
        // already gone
      }
    }
    made = [];
  });

  it('opens sockets in each namespace, each living where it should; a missing one fails alone, as openSockets would', async () => {
    const threads = new NamespaceThreads();
    const [a, b, c] = [namespace(), namespace(), namespace()];
    const gone = missing();
    const pin = pinNetns({ name: c });
    await threads.openSockets({ current: true }, 0); // the worker up, with its own fds, before counting
    const before = fdCount();
    try {
      const refs: NetnsRef[] = [{ name: a }, { name: gone }, { path: `/run/netns/${b}` }, pin.target, { pid: process.pid }];
      const out = await threads.openSocketsEach(refs, 2);
      assert.equal(out.length, refs.length);
      for (const [i, r] of out.entries()) {
        if (i === 1) continue;
        assert.ok(Array.isArray(r), `refs[${i}]: ${String(r)}`);
        assert.equal(r.length, 2);
        for (const fd of r) assert.equal(socketIdentity(fd), identity(refs[i]!), `refs[${i}]`);
      }
      const alone = await threads.openSockets({ name: gone }).then(() => undefined, (e: unknown) => e);
      assert.ok(out[1] instanceof NetnsError && alone instanceof NetnsError);
      assert.equal(out[1].code, 'ENONETNS');
      assert.equal(out[1].message, alone.message);
      for (const r of out) if (Array.isArray(r)) for (const fd of r) sys.closeFd(fd);
      assert.equal(fdCount(), before, 'every fd handed out, and only those');
    } finally {
      unpin(pin);
      await threads.close();
    }
  });

  it('Vethcon.prefetch opens them in one request; netns() then asks the worker nothing, even before the prefetch ends', async () => {
    const threads = new NamespaceThreads();
    const calls = { each: 0, one: 0 };
    const each = threads.openSocketsEach.bind(threads);
    const one = threads.openSockets.bind(threads);
    threads.openSocketsEach = (refs, count) => { calls.each++; return each(refs, count); };
    threads.openSockets = (ref, count) => { calls.one++; return one(ref, count); };
    const vc = new Vethcon({ threads });
    try {
      const [a, b] = [namespace(), namespace()];
      const gone = missing();
      const prefetched = vc.prefetch([a, { name: b }, gone, undefined, { path: `/run/netns/${a}` }]);
      const [na, nb] = await Promise.all([vc.netns(a), vc.netns({ path: `/run/netns/${b}` })]);
      await prefetched;
      assert.deepEqual(calls, { each: 1, one: 0 });
      const names = async (h: typeof na) => (await h.listLinks()).map((l) => l.ifname).sort();
      assert.deepEqual(await names(na), ['lo', `vcls${a.slice(5)}a`, `vcls${a.slice(5)}b`]);
      assert.deepEqual(await names(nb), ['lo', `vcls${b.slice(5)}a`, `vcls${b.slice(5)}b`]);
      // What the prefetch could not open is reported by the call that uses it, as without a prefetch.
      const fresh = new Vethcon();
      const expected = await fresh.netns(gone).then(() => undefined, (e: unknown) => e);
      await fresh.close();
      await assert.rejects(vc.netns(gone), (e: unknown) => e instanceof NetnsError && e.code === 'ENONETNS' && e.message === (expected as Error).message);
      // netnsAll: in order, one socket per namespace, nothing asked again.
      const all = await vc.netnsAll([b, a, { name: b }]);
      assert.deepEqual(all.map((h) => h.label), [`netns ${b}`, `netns ${a}`, `netns ${b}`]);
      // (A missing name fails before any worker request.)
      assert.deepEqual(calls, { each: 1, one: 0 });
      await assert.rejects(vc.netnsAll([a, gone]), (e: unknown) => e instanceof NetnsError && e.code === 'ENONETNS');
    } finally {
      await vc.close();
    }
  });

  it('a prefetch cut short by close() leaves no socket open', async () => {
    const names = [namespace(), namespace(), namespace(), namespace()];
    const before = fdCount();
    const vc = new Vethcon({ threads: new NamespaceThreads() });
    const prefetched = vc.prefetch(names);
    await vc.close();
    await prefetched;
    // The worker's own fd (its home namespace) is closed once it has exited.
    for (let i = 0; i < 50 && fdCount() > before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(fdCount(), before);
  });
});
