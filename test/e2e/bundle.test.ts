// e2e: what only the one-file build (scripts/bundle.mjs) does. Its worker is
// CommonJS and booted before ffi-rs is loaded (bench/peer w5 creates named
// namespaces through it, which the CLI never does); its V8 code caches are
// made by the build and only read at run time: they may be missing, corrupt,
// from another Node version or turned off, every run must work the same, and
// no run writes anything under dist/ (the installed package). The oracle is
// `ip -j`. Needs root (no Docker).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { ipJson, LiveNamespaces, requireRoot } from '../live/live-helpers.js';
import { show, vethcon } from './cli-helpers.js';

const DIST = new URL('../../', import.meta.url);
const DIST_DIR = fileURLToPath(DIST);
const PEER = fileURLToPath(new URL('bench/peer/cli.js', DIST));
const MAIN_CACHE = fileURLToPath(new URL('vethcon-rest.cache', DIST));
const WORKER_CACHE = fileURLToPath(new URL('vethcon-worker-rest.cache', DIST));
const LAB_PART = fileURLToPath(new URL('vethcon-lab.js', DIST));
const LAB_CACHE = fileURLToPath(new URL('vethcon-lab.cache', DIST));

/** Every file and folder under dist/: its path, and for a file its size, mtime and sha256. */
function snapshot(dir = DIST_DIR, into = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) {
      into.set(path, 'dir');
      snapshot(path, into);
    } else {
      into.set(path, `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  }
  return into;
}

/** What differs between two snapshots, one line each. */
function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [path, was] of before) if (after.get(path) !== was) out.push(`${path}: ${was} -> ${after.get(path) ?? 'gone'}`);
  for (const [path, now] of after) if (!before.has(path)) out.push(`${path}: new (${now})`);
  return out;
}

/** The cache's V8 data, if V8 accepts it for its script. */
function accepted(cacheFile: string): boolean {
  const data = readFileSync(cacheFile);
  assert.equal(data.toString('latin1', 0, 4), 'VCC2', cacheFile);
  assert.equal(data.readUInt32LE(4), data.length - 8, cacheFile);
  const file = cacheFile.replace(/\.cache$/, '.js');
  return !new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData: data.subarray(8) }).cachedDataRejected;
}

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

  it('the build made the code caches, and this Node accepts them', () => {
    for (const file of [MAIN_CACHE, LAB_CACHE, WORKER_CACHE]) {
      assert.ok(statSync(file).size > 10_000, file);
      assert.ok(accepted(file), `${file} is rejected by this Node`);
    }
  });

  it('a real connect and delete change nothing under dist/ (no cache is written at run time)', async () => {
    const [a, b] = [namespaces.add(), namespaces.add()];
    const before = snapshot();
    const r = await vethcon(['-n', `${a}:nw1:10.30.2.1/24`, '-n', `${b}:nw2:10.30.2.2/24`]);
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stderr, '', show(r));
    const d = await vethcon(['-N', `${a},nw1`]);
    assert.equal(d.code, 0, show(d));
    const dry = await vethcon(['--dry-run', '-n', `${a}:nw1`, '-n', `${b}:nw2`]);
    assert.equal(dry.code, 0, show(dry));
    assert.deepEqual(changes(before, snapshot()), []);
  });

  // A cache from another Node version: V8's version hash (the 4 bytes after its magic) differs.
  const otherVersion = (cache: Buffer): Buffer => {
    const copy = Buffer.from(cache);
    copy.writeUInt32LE(copy.readUInt32LE(12) ^ 0x5a5a5a5a, 12);
    return copy;
  };
  const variants: [string, (cache: Buffer) => Buffer | null][] = [
    ['missing', () => null],
    ['from an older build (VCC1)', (cache) => Buffer.concat([Buffer.from('VCC1\x05\0\0\0', 'latin1'), cache.subarray(8)])],
    ['corrupt', () => {
      const junk = Buffer.from('not V8 code cache data at all, not at all');
      const head = Buffer.from('VCC2\0\0\0\0', 'latin1');
      head.writeUInt32LE(junk.length, 4);
      return Buffer.concat([head, junk]);
    }],
    ['cut short', (cache) => cache.subarray(0, cache.length >> 1)],
    ['from another Node version', otherVersion],
  ];
  for (const [what, make] of variants) {
    it(`works with its code caches ${what}, and writes nothing`, async () => {
      const [a, b] = [namespaces.add(), namespaces.add()];
      const bad = (file: string): Buffer | null => make(readFileSync(file));
      await withFile(MAIN_CACHE, bad(MAIN_CACHE), () => withFile(WORKER_CACHE, bad(WORKER_CACHE), async () => {
        if (what === 'from another Node version') for (const file of [MAIN_CACHE, WORKER_CACHE]) assert.equal(accepted(file), false, `${file} still accepted`);
        const before = snapshot();
        const r = await vethcon(['-n', `${a}:cc1:10.30.1.1/24`, '-n', `${b}:cc2:10.30.1.2/24`]);
        assert.equal(r.code, 0, show(r));
        assert.equal(r.stderr, '', show(r));
        assert.deepEqual(changes(before, snapshot()), [], 'a run wrote under dist/');
      }));
      assert.deepEqual(addresses(a).get('cc1'), { up: true, cidrs: ['10.30.1.1/24'] });
      assert.deepEqual(addresses(b).get('cc2'), { up: true, cidrs: ['10.30.1.2/24'] });
    });
  }

  it('a connect, a show and a delete never load the lab part (dist/vethcon-lab.js)', async () => {
    const [a, b] = [namespaces.add(), namespaces.add()];
    await withFile(LAB_PART, null, async () => {
      const r = await vethcon(['-n', `${a}:lp1:10.30.3.1/24`, '-n', `${b}:lp2:10.30.3.2/24`]);
      assert.equal(r.code, 0, show(r));
      const s = await vethcon(['show', '--json', '--netns', a]);
      assert.equal(s.code, 0, show(s));
      const d = await vethcon(['-N', `${a},lp1`]);
      assert.equal(d.code, 0, show(d));
    });
    assert.ok(existsSync(LAB_PART));
    assert.deepEqual([...addresses(a).keys()].sort(), ['lo']);
  });

  it('has zod 4\'s locales load only when asked for (zod loads English itself)', () => {
    const text = readFileSync(LAB_PART, 'latin1');
    const at = text.indexOf('"zod/v4/locales/index.cjs": [function');
    assert.ok(at >= 0, 'no zod locales index in the lab part');
    const body = text.slice(at, text.indexOf('\n}, {', at));
    assert.doesNotMatch(body, /^var \w+ = require\(/m);
    assert.match(body, /get: function \(\) \{ return __importDefault\(require\("\.\/fr\.cjs"\)\)\.default; \}/);
  });

  it('applies a lab with the lab part\'s code cache from another Node version, and writes nothing', async () => {
    const [a, b] = [namespaces.add(), namespaces.add()];
    const dir = mkdtempSync(join(tmpdir(), 'vcls-lab-'));
    const file = join(dir, 'lab.json');
    writeFileSync(file, JSON.stringify({ name: `vcls${process.pid}`, nodes: { a: { netns: a }, b: { netns: b } }, links: [{ endpoints: ['a:lc1:10.30.4.1/30', 'b:lc2:10.30.4.2/30'] }] }));
    try {
      await withFile(LAB_CACHE, otherVersion(readFileSync(LAB_CACHE)), async () => {
        assert.equal(accepted(LAB_CACHE), false);
        const before = snapshot();
        const r = await vethcon(['apply', file]);
        assert.equal(r.code, 0, show(r));
        assert.deepEqual(changes(before, snapshot()), []);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(addresses(a).get('lc1'), { up: true, cidrs: ['10.30.4.1/30'] });
    assert.deepEqual(addresses(b).get('lc2'), { up: true, cidrs: ['10.30.4.2/30'] });
  });

  it('works with VETHCON_NO_CODE_CACHE=1, and leaves the caches alone', async () => {
    const [a, b] = [namespaces.add(), namespaces.add()];
    const before = snapshot();
    const r = await vethcon(['-n', `${a}:nc1`, '-n', `${b}:nc2`, '--json'], { env: { VETHCON_NO_CODE_CACHE: '1' } });
    assert.equal(r.code, 0, show(r));
    assert.equal(JSON.parse(r.stdout).ok, true);
    assert.deepEqual(changes(before, snapshot()), []);
  });
});
