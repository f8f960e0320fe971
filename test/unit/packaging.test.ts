// The package as npm sees it: test scripts that run what their names say, a
// quick start that builds once (scripts/build-if-stale.mjs), the LICENSE,
// engines and exports. Fast, no root, no build (the e2e packaging tests run
// the build and the installed shapes).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/fixtures.js';

const PKG = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const scripts: Record<string, string> = PKG.scripts;

interface StaleModule {
  staleBecause(root: string, nodeVersion?: string): string | null;
  beginBuild(root: string): void;
  endBuild(root: string): void;
  STAMP: string;
}
const stale = (): Promise<StaleModule> => import(pathToFileURL(join(repoRoot, 'scripts', 'build-if-stale.mjs')).href);

/** Split a shell command line on spaces, keeping '...' together (all our scripts need). */
const words = (line: string): string[] => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);

/** The suites (unit, live, e2e) of the test files an npm script's mocha would run, as mocha --dry-run lists them. */
function suitesRunBy(script: string): string[] {
  const mocha = script.split('&&').map((s) => s.trim()).find((s) => s.startsWith('mocha'));
  assert.ok(mocha, `no mocha in ${JSON.stringify(script)}`);
  const args = [...words(mocha).slice(1), '--dry-run', '--reporter', 'json'];
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js'), ...args], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { tests: { file: string }[] };
  assert.ok(report.tests.length > 0, `${script}: no tests`);
  return [...new Set(report.tests.map((t) => /[\\/]dist[\\/]test[\\/]([^\\/]+)[\\/]/.exec(t.file)?.[1] ?? t.file))].sort();
}

describe('packaging: npm scripts, build stamp, license, engines, exports', function () {
  this.timeout(60_000);

  describe('test scripts run what their names say', () => {
    for (const [name, suites] of [['test', ['e2e', 'live', 'unit']], ['test:unit', ['unit']], ['test:live', ['live']], ['test:e2e', ['e2e']]] as const) {
      it(`npm run ${name} runs ${suites.join(', ')}`, () => {
        assert.ok(scripts[name], `no script ${name}`);
        assert.deepEqual(suitesRunBy(scripts[name]!), suites);
      });
    }

    it('.mocharc.json names no spec (it would be added to every script\'s)', () => {
      const rc = JSON.parse(readFileSync(join(repoRoot, '.mocharc.json'), 'utf8'));
      assert.equal(rc.spec, undefined);
    });
  });

  describe('the quick start (npm ci && npm run demo, then npm test) builds once', () => {
    it('npm ci builds (prepare); demo does not; the test scripts build only if stale', () => {
      assert.match(scripts.prepare!, /npm run build/);
      assert.doesNotMatch(scripts.demo!, /build/);
      for (const name of ['test', 'test:unit', 'test:live', 'test:e2e', 'fuzz']) {
        assert.match(scripts[name]!, /^node scripts\/build-if-stale\.mjs && /, name);
        assert.doesNotMatch(scripts[name]!, /npm run build/, name);
      }
      // The build stamps itself: marked when it begins, stamped when all of it succeeded.
      assert.match(scripts.build!, /^node scripts\/build-if-stale\.mjs --begin && .* && node scripts\/build-if-stale\.mjs --end$/);
    });

    describe('build-if-stale on a tree of its own', () => {
      let root: string;
      const at = (file: string, seconds: number): void => {
        mkdirSync(join(root, file, '..'), { recursive: true });
        if (!existsSync(join(root, file))) writeFileSync(join(root, file), '');
        utimesSync(join(root, file), seconds, seconds);
      };
      beforeEach(() => {
        root = mkdtempSync(join(tmpdir(), 'vethcon-stale-'));
        for (const f of ['src/a.ts', 'test/unit/b.ts', 'bench/c.ts', 'scripts/d.mjs', 'tsconfig.json', 'package.json', 'README.md']) at(f, 1_000);
      });
      afterEach(() => rmSync(root, { recursive: true, force: true }));

      it('stale with no stamp, fresh once built, stale again when an input is newer', async () => {
        const { staleBecause, beginBuild, endBuild } = await stale();
        assert.match(staleBecause(root) ?? '', /no build stamp/);
        beginBuild(root);
        assert.match(staleBecause(root) ?? '', /no build stamp/, 'a build begun is not a build done');
        endBuild(root);
        assert.equal(staleBecause(root), null);
        for (const input of ['src/a.ts', 'test/unit/b.ts', 'bench/c.ts', 'scripts/d.mjs', 'tsconfig.json', 'package.json', 'src/new/e.ts']) {
          at(input, Date.now() / 1000 + 60);
          assert.match(staleBecause(root) ?? '', new RegExp(`${input.replace(/\./g, '\\.')} is newer`), input);
          at(input, 1_000);
          assert.equal(staleBecause(root), null, input);
        }
        at('README.md', Date.now() / 1000 + 60); // not an input of the build
        at('dist/src/x.js', Date.now() / 1000 + 60);
        assert.equal(staleBecause(root), null);
      });

      it('a file saved while the build ran makes it stale (the stamp is when the build began)', async () => {
        const { staleBecause, beginBuild, endBuild, STAMP } = await stale();
        beginBuild(root);
        const begun = Date.now() / 1000;
        utimesSync(join(root, 'dist', '.build-begun'), begun - 10, begun - 10);
        at('src/a.ts', begun - 5); // saved during the build
        endBuild(root);
        assert.ok(existsSync(join(root, STAMP)));
        assert.match(staleBecause(root) ?? '', /src\/a\.ts is newer/);
      });

      it('stale when built with another Node version (the code caches are for one)', async () => {
        const { staleBecause, beginBuild, endBuild } = await stale();
        beginBuild(root);
        endBuild(root);
        assert.equal(staleBecause(root, process.version), null);
        assert.match(staleBecause(root, 'v99.0.0') ?? '', /built with Node v.*, this is v99\.0\.0/);
      });
    });
  });

  it('LICENSE is the Apache-2.0 text, and is in the package', () => {
    const text = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    assert.match(text, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
    const debian = '/usr/share/common-licenses/Apache-2.0';
    if (existsSync(debian)) assert.equal(text, readFileSync(debian, 'utf8'));
    assert.equal(PKG.license, 'Apache-2.0');
    assert.ok(PKG.files.includes('LICENSE'), `files: ${PKG.files}`);
  });

  it('engines: Node >= 20.19.0, where require() of ES modules works (the package is ES modules only)', () => {
    assert.equal(PKG.engines.node, '>=20.19.0');
    const [major, minor] = process.versions.node.split('.').map(Number);
    assert.ok(major! > 20 || (major === 20 && minor! >= 19), `this Node (${process.version}) is below engines`);
    // The lock file's root entry says the same.
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
    assert.deepEqual(lock.packages[''].engines, PKG.engines);
    assert.deepEqual(lock.packages[''].bin, PKG.bin);
  });

  it('exports: "." and "./netlink" each have types and code that exist; tsc targets what Node 20 runs', () => {
    for (const [entry, want] of [['.', 'dist/src/index'], ['./netlink', 'dist/src/netlink/index']] as const) {
      const e = PKG.exports[entry];
      assert.deepEqual(Object.keys(e), ['types', 'default'], `${entry}: types first`);
      assert.equal(e.types, `./${want}.d.ts`);
      assert.equal(e.default, `./${want}.js`);
      for (const file of [e.types, e.default]) assert.ok(existsSync(join(repoRoot, file)), `${entry}: ${file} is missing`);
    }
    assert.equal(PKG.types, 'dist/src/index.d.ts');
    assert.equal(PKG.main, 'dist/src/index.js');
    const tsconfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8'));
    assert.equal(tsconfig.compilerOptions.target, 'ES2022');
  });

  it("require('vethcon') and import('vethcon/netlink') work (a child process, by the package's own name)", () => {
    const code = `
      const m = require('vethcon');
      if (typeof m.Vethcon !== 'function' || typeof m.connect !== 'function') throw new Error('require: ' + Object.keys(m));
      import('vethcon/netlink').then((n) => {
        if (typeof n.requestBytes !== 'function') throw new Error('netlink: ' + Object.keys(n));
        console.log('ok');
      });`;
    const r = spawnSync(process.execPath, ['-e', code], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ok\n');
  });
});
