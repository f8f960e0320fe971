// e2e: the package as it is installed and built, in temporary trees of its
// own (never this checkout's dist/): the build says nothing on stdout (so
// `npm pack --json` prints only JSON), a missing ffi-rs binary is a clear
// error, and dockerode loads only when a container end is used. Needs no root
// but for the real runs (skipped without it, failing under CI=true).
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveNamespaces } from '../live/live-helpers.js';
import { repoRoot } from '../support/fixtures.js';
import { inCI } from './cli-helpers.js';

const DIST = join(repoRoot, 'dist');
const MODULES = join(repoRoot, 'node_modules');
/** ffi-rs's platform packages installed here (@yuuang/ffi-rs-linux-x64-gnu on x64 glibc). */
const PLATFORM_PACKAGES = existsSync(join(MODULES, '@yuuang')) ? readdirSync(join(MODULES, '@yuuang')) : [];

/** The package's shipped dist files (package.json "files"), copied into `to`. */
function copyDist(to: string): void {
  mkdirSync(join(to, 'dist'), { recursive: true });
  cpSync(join(DIST, 'src'), join(to, 'dist', 'src'), { recursive: true });
  for (const f of readdirSync(DIST)) if (f.startsWith('vethcon')) cpSync(join(DIST, f), join(to, 'dist', f));
  cpSync(join(repoRoot, 'package.json'), join(to, 'package.json'));
}

/**
 * An installed vethcon in a temp dir: its files, and node_modules with ffi-rs
 * copied (so its platform package is looked for here, not in this checkout),
 * the platform package linked unless `withoutBinary`, zod linked, and
 * dockerode linked or, with `dockerodeMark`, a stand-in that appends to that
 * file when loaded and then is the real one.
 */
function install(opts: { withoutBinary?: boolean; dockerodeMark?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'vethcon-install-'));
  copyDist(root);
  const nm = join(root, 'node_modules');
  mkdirSync(join(nm, '@yuuang'), { recursive: true });
  cpSync(realpathSync(join(MODULES, 'ffi-rs')), join(nm, 'ffi-rs'), { recursive: true });
  if (!opts.withoutBinary) for (const p of PLATFORM_PACKAGES) symlinkSync(realpathSync(join(MODULES, '@yuuang', p)), join(nm, '@yuuang', p));
  symlinkSync(realpathSync(join(MODULES, 'zod')), join(nm, 'zod'));
  if (opts.dockerodeMark) {
    mkdirSync(join(nm, 'dockerode'));
    writeFileSync(join(nm, 'dockerode', 'package.json'), JSON.stringify({ name: 'dockerode', version: '0.0.0-test', main: 'index.js' }));
    writeFileSync(
      join(nm, 'dockerode', 'index.js'),
      `require('node:fs').appendFileSync(${JSON.stringify(opts.dockerodeMark)}, 'loaded by ' + process.pid + '\\n');\n` +
        `module.exports = require(${JSON.stringify(realpathSync(join(MODULES, 'dockerode')))});\n`,
    );
  } else {
    symlinkSync(realpathSync(join(MODULES, 'dockerode')), join(nm, 'dockerode'));
  }
  return root;
}

const ENTRIES = [['the bin (dist/vethcon.cjs)', 'dist/vethcon.cjs'], ['the ES module entry (dist/src/cli/bin.js)', 'dist/src/cli/bin.js']] as const;

function run(root: string, entry: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete e.VETHCON_DEBUG;
  return spawnSync(process.execPath, [join(root, entry), ...args], { cwd: root, env: e, encoding: 'utf8', timeout: 60_000 });
}
const said = (r: SpawnSyncReturns<string>): string => `exit ${r.status}\n--- stdout:\n${r.stdout}--- stderr:\n${r.stderr}---`;

const isRoot = process.getuid?.() === 0;
function needRoot(context: Mocha.Context): void {
  if (isRoot) return;
  if (inCI) throw new Error('CI=true, so failing instead of skipping: this test needs root');
  context.skip();
}

describe('e2e: packaging (temporary installs)', function () {
  this.timeout(120_000);
  const temps: string[] = [];
  const namespaces = new LiveNamespaces();
  const temp = (root: string): string => (temps.push(root), root);
  after(() => {
    namespaces.cleanup();
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('the build prints nothing on stdout (so `npm pack --json` is JSON), and leaves no pass directory', () => {
    // A build tree of its own: scripts/, package.json, tsc's dist/src, this checkout's node_modules.
    const root = temp(mkdtempSync(join(tmpdir(), 'vethcon-build-')));
    cpSync(join(repoRoot, 'scripts'), join(root, 'scripts'), { recursive: true });
    copyDist(root);
    for (const f of readdirSync(join(root, 'dist'))) if (f.startsWith('vethcon')) rmSync(join(root, 'dist', f));
    symlinkSync(MODULES, join(root, 'node_modules'));
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, encoding: 'utf8', env: { ...process.env, VETHCON_DEBUG: '' }, timeout: 110_000 });
    assert.equal(r.status, 0, said(r));
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.match(r.stderr, /^bundle: dist\/vethcon\.cjs: /m);
    assert.match(r.stderr, /^bundle: dist\/vethcon-rest\.cache: \d+ KiB \(V8 code cache, accepted by a fresh process\)$/m);
    assert.match(r.stderr, /^bundle: dist\/vethcon-worker-rest\.cache: \d+ KiB /m);
    assert.deepEqual(readdirSync(join(root, 'dist')).filter((f) => f.startsWith('.code-cache-') || f.endsWith('.tmp')), []);
  });

  describe("without ffi-rs's native binary (npm install --omit=optional)", () => {
    let root: string;
    let missing: string;
    before(function () {
      if (PLATFORM_PACKAGES.length !== 1 || process.platform !== 'linux') this.skip(); // the test hides the one this machine uses
      missing = `@yuuang/${PLATFORM_PACKAGES[0]}`;
      root = temp(install({ withoutBinary: true }));
    });

    for (const [what, entry] of ENTRIES) {
      it(`${what}: one line, "vethcon: ..." naming the package and the fix, exit 1 (no stack trace)`, () => {
        const r = run(root, entry, ['-n', 'vc-nobin-a:x', '-n', 'vc-nobin-b:y']);
        assert.equal(r.status, 1, said(r));
        assert.equal(r.stdout, '');
        const lines = r.stderr.split('\n').filter(Boolean);
        assert.equal(lines.length, 1, said(r));
        assert.match(lines[0]!, /^vethcon: cannot load ffi-rs: /);
        assert.ok(lines[0]!.includes(`the package ${missing}, is not installed`), said(r));
        assert.match(lines[0]!, /install without --omit=optional .*`npm install`/);
        assert.match(lines[0]!, /ffi-rs does not support this platform/);
        const json = run(root, entry, ['-n', 'vc-nobin-a:x', '-n', 'vc-nobin-b:y', '--json']);
        assert.equal(json.status, 1, said(json));
        assert.deepEqual(JSON.parse(json.stdout).error.kind, 'FfiLoadError');
        assert.equal(JSON.parse(json.stdout).error.code, 'ENOFFI');
      });
    }

    it("the library: import('vethcon') rejects with the same FfiLoadError", () => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import('vethcon').then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message))"], { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, said(r));
      assert.match(r.stdout, new RegExp(`^FfiLoadError: cannot load ffi-rs: .*the package ${missing}, is not installed`));
    });
  });

  describe('dockerode loads only when a container end is used', () => {
    let root: string;
    let mark: string;
    before(() => {
      root = temp(install({ dockerodeMark: join(tmpdir(), `vethcon-dockerode-mark-${process.pid}`) }));
      mark = join(tmpdir(), `vethcon-dockerode-mark-${process.pid}`);
      temps.push(mark);
    });
    beforeEach(() => rmSync(mark, { force: true }));
    const loaded = (): boolean => existsSync(mark);

    for (const [what, entry] of ENTRIES) {
      // A dry run checks what a real run would (the namespaces there, the names free): ends in the current namespace need none made.
      it(`${what}: --help, --version and a dry run without containers do not load it`, () => {
        for (const args of [['--help'], ['--version'], ['--dry-run', '-c', 'vcpk-dry-x', '-c', 'vcpk-dry-y'], ['--dry-run', '--json', '-c', 'vcpk-dry-x,10.0.0.1/24', '-c', 'vcpk-dry-y,10.0.0.2/24']]) {
          const r = run(root, entry, args);
          assert.equal(r.status, 0, said(r));
          assert.equal(loaded(), false, `${args.join(' ')} loaded dockerode`);
        }
      });

      it(`${what}: a real connect and delete of named namespaces do not load it`, function () {
        needRoot(this);
        const [a, b] = [namespaces.add(), namespaces.add()];
        const r = run(root, entry, ['-n', `${a}:dl1:10.31.1.1/24`, '-n', `${b}:dl2:10.31.1.2/24`]);
        assert.equal(r.status, 0, said(r));
        const d = run(root, entry, ['-N', `${a},dl1`]);
        assert.equal(d.status, 0, said(d));
        assert.equal(loaded(), false, 'a named-netns command loaded dockerode');
      });

      it(`${what}: a container end does load it (the check works)`, () => {
        const r = run(root, entry, ['-d', 'vc-no-such-container-1:x', '-d', 'vc-no-such-container-2:y'], { DOCKER_HOST: 'unix:///nonexistent/vethcon-test/docker.sock' });
        assert.notEqual(r.status, 0, said(r));
        assert.equal(loaded(), true, `a container end did not load dockerode: ${said(r)}`);
      });
    }
  });
});
