// The README's TypeScript examples compile, as a user's code would: every
// ```ts block of README.md is written to a file in a scratch folder inside
// this package (under dist/), where 'vethcon' and 'vethcon/netlink' resolve through
// package.json "exports" (a package may import itself by name) to the
// declarations in dist/, and is type-checked under `strict` with NodeNext
// modules. The codec example ("The codec alone, without root") also runs:
// compiled to JavaScript there and run with node, without root.
//
// A block that is not meant to compile on its own should be fenced as
// something else than ```ts (```text, ```sh).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../support/fixtures.js';
import { addLink, requestBytes, RTNETLINK } from '../../src/netlink/index.js';

interface Block { heading: string; line: number; code: string }

/** The ```ts blocks of a markdown text, with the heading each sits under and the line it starts on. */
export function tsBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    if (/^#{1,6} /.test(lines[i])) heading = lines[i].replace(/^#+ /, '');
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    blocks.push({ heading, line: start + 1, code: lines.slice(start, end).join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ['node'],
  skipLibCheck: true,
};

/** Type-check files as a user's project would; the diagnostics, formatted (empty: it compiles). */
function check(files: string[], options: ts.CompilerOptions = { ...OPTIONS, noEmit: true }): string {
  const program = ts.createProgram(files, options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => repoRoot,
    getNewLine: () => '\n',
  });
}

describe('README examples', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const blocks = tsBlocks(readme);
  let dir: string;
  const file = (i: number): string => join(dir, `readme-block-${i + 1}.ts`);

  before(() => {
    // Inside the package, so that it may import itself by name (the nearest package.json is ours), and under dist/, which git ignores.
    dir = mkdtempSync(join(repoRoot, 'dist', '.readme-examples-'));
    blocks.forEach((b, i) => writeFileSync(file(i), b.code));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has the library and the codec examples as ```ts blocks', () => {
    assert.ok(blocks.some((b) => b.heading === 'The library' && b.code.includes("from 'vethcon'")), 'no ```ts block under "The library"');
    assert.ok(blocks.some((b) => b.heading.startsWith('The codec alone') && b.code.includes("from 'vethcon/netlink'")), 'no ```ts block under "The codec alone"');
  });

  it("resolves 'vethcon' and 'vethcon/netlink' to this package's declarations (package.json exports, by its own name)", () => {
    const from = join(dir, 'resolve.ts');
    for (const [spec, to] of [['vethcon', 'dist/src/index.d.ts'], ['vethcon/netlink', 'dist/src/netlink/index.d.ts']]) {
      const r = ts.resolveModuleName(spec, from, OPTIONS, ts.sys).resolvedModule;
      assert.ok(r, `${spec} does not resolve from ${relative(repoRoot, dir)}`);
      assert.equal(relative(repoRoot, r.resolvedFileName), to);
    }
  });

  it('every ```ts block compiles under strict', function () {
    this.timeout(120_000);
    const failures = blocks.map((b, i) => {
      const out = check([file(i)]);
      return out ? `README.md line ${b.line} (under "${b.heading}"):\n${out}` : '';
    }).filter(Boolean);
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  it('the codec example runs with node, without root, and prints what it says', function () {
    this.timeout(120_000);
    const i = blocks.findIndex((b) => b.heading.startsWith('The codec alone'));
    assert.ok(i >= 0);
    const out = check([file(i)], { ...OPTIONS, outDir: dir, rootDir: dir, noEmit: false });
    assert.equal(out, '');
    const program = ts.createProgram([file(i)], { ...OPTIONS, outDir: dir, rootDir: dir });
    const emitted = program.emit();
    assert.equal(emitted.emitSkipped, false);
    const js = file(i).replace(/\.ts$/, '.js');
    const r = spawnSync(process.execPath, [js], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const expectedHex = Buffer.from(requestBytes(addLink({ ifname: 'va0', kind: 'veth', peer: { ifname: 'vb0', netNsFd: 4 } }), RTNETLINK, 1, 0)).toString('hex');
    assert.equal(lines[0], expectedHex);
    assert.equal(lines[1], 'true va0 veth');
    assert.match(r.stdout, /peer: \{[\s\S]*netNsFd: 4, ifname: 'vb0'/);
    assert.equal(lines[lines.length - 1], 'true');
  });
});

// LinkAddOptions is a union keyed by kind (from the link kinds' registry):
// a veth takes no vxlan options, so the call below must not compile.
describe('link options are checked by kind at compile time', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(repoRoot, 'dist', '.readme-examples-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const program = (call: string): string => `import { open } from 'vethcon';
const vc = open();
await vc.links.add(${call});
await vc.close();
`;

  it('a veth with its peer compiles', function () {
    this.timeout(120_000);
    const f = join(dir, 'veth.ts');
    writeFileSync(f, program("{ kind: 'veth', ifname: 'a', peer: { ifname: 'b' } }"));
    assert.equal(check([f]), '');
  });

  it('a veth with vxlan options does not compile', function () {
    this.timeout(120_000);
    const f = join(dir, 'veth-vxlan.ts');
    writeFileSync(f, program("{ kind: 'veth', ifname: 'a', peer: { ifname: 'b' }, vxlan: { id: 1 } }"));
    const out = check([f]);
    assert.notEqual(out, '', "vc.links.add({ kind: 'veth', ..., vxlan: { id: 1 } }) compiles: LinkAddOptions does not yet depend on the kind");
    assert.match(out, /veth-vxlan\.ts\(3,/, out);
  });
});
