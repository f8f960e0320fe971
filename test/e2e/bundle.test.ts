// e2e: what only the one-file build (scripts/bundle.mjs) does. Its worker is
// CommonJS and booted before ffi-rs is loaded (bench/peer w5 creates named
// namespaces through it, which the CLI never does); its V8 code caches may be
// missing, corrupt or turned off, and every run must work the same. The
// oracle is `ip -j`. Needs root (no Docker).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ipJson, LiveNamespaces, requireRoot } from '../live/live-helpers.js';
import { show, vethcon } from './cli-helpers.js';

const DIST = new URL('../../', import.meta.url);
const PEER = fileURLToPath(new URL('bench/peer/cli.js', DIST));
const MAIN_CACHE = fileURLToPath(new URL('vethcon-rest.cache', DIST));
const WORKER_CACHE = fileURLToPath(new URL('vethcon-worker-rest.cache', DIST));

interface Link { ifname: string; flags: string[]; addr_info?: { local: string; prefixlen: number; scope: string }[] }

/** ifname -> its global addresses, as `ip -j -n NS addr` shows them. */
function addresses(ns: string): Map<string, { up: boolean; cidrs: string[] }> {
  return new Map(ipJson<Link[]>('-n', ns, 'addr', 'show').map((l) => [l.ifname, {
    up: l.flags.includes('UP'),
    cidrs: (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`),
  }]));
}

/** Run with `file` replaced by `bytes` (or removed), then put the original back. */
async function withFile<T>(file: string, bytes: Buffer | null, body: () => Promise<T>): Promise<T> {
  const saved = existsSync(file) ? readFileSync(file) : null;
  if (bytes) writeFileSync(file, bytes);
  else rmSync(file, { force: true });
  try {
    return await body();
  } finally {
    if (saved) writeFileSync(file, saved);
  }
}

describe('e2e: the one-file build (dist/vethcon.cjs)', function () {
  this.timeout(60_000);
  const namespaces = new LiveNamespaces();

  before(function () {
    requireRoot(this);
  });
  after(() => namespaces.cleanup());

  it('bench/peer w5 creates both namespaces and the pair, addressed and up', () => {
    const [a, b] = [namespaces.reserve(), namespaces.reserve()];
    const r = spawnSync(process.execPath, [PEER, 'w5', a, b], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(addresses(a).get('pb-w5-va'), { up: true, cidrs: ['10.10.1.2/24'] });
    assert.deepEqual(addresses(b).get('pb-w5-vb'), { up: true, cidrs: ['10.10.1.3/24'] });
    // A second run finds the names taken: exit 1, the namespaces untouched.
    const again = spawnSync(process.execPath, [PEER, 'w5', a, b], { encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, new RegExp(`netns ${a} already exists`));
    assert.deepEqual([...addresses(a).keys()].sort(), ['lo', 'pb-w5-va']);
  });

  for (const [what, bytes] of [['missing', null], ['corrupt', Buffer.from('VCC1\x05\0\0\0 not V8 code cache data at all')]] as const) {
    it(`works with its code caches ${what}, and writes good ones again`, async () => {
      const [a, b] = [namespaces.add(), namespaces.add()];
      await withFile(MAIN_CACHE, bytes, () => withFile(WORKER_CACHE, bytes, async () => {
        const r = await vethcon(['-n', `${a}:cc1:10.30.1.1/24`, '-n', `${b}:cc2:10.30.1.2/24`]);
        assert.equal(r.code, 0, show(r));
        assert.equal(r.stderr, '', show(r));
        // Both written before the process ended, the worker's too (it saves before it answers).
        for (const file of [MAIN_CACHE, WORKER_CACHE]) {
          const written = readFileSync(file);
          assert.equal(written.toString('latin1', 0, 4), 'VCC1', file);
          assert.ok(written.length > 1000, `${file}: ${written.length} bytes`);
        }
        assert.deepEqual(readdirSync(DIST).filter((f) => f.endsWith('.tmp')), [], 'no save was cut short');
      }));
      assert.deepEqual(addresses(a).get('cc1'), { up: true, cidrs: ['10.30.1.1/24'] });
      assert.deepEqual(addresses(b).get('cc2'), { up: true, cidrs: ['10.30.1.2/24'] });
    });
  }

  it('works with VETHCON_NO_CODE_CACHE=1, and leaves the caches alone', async () => {
    const [a, b] = [namespaces.add(), namespaces.add()];
    const before = readFileSync(MAIN_CACHE);
    const r = await vethcon(['-n', `${a}:nc1`, '-n', `${b}:nc2`, '--json'], { env: { VETHCON_NO_CODE_CACHE: '1' } });
    assert.equal(r.code, 0, show(r));
    assert.equal(JSON.parse(r.stdout).ok, true);
    assert.deepEqual(readFileSync(MAIN_CACHE), before);
  });
});
