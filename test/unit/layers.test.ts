// The import graph of src/: each folder is one floor of the house and
// imports only from floors below it (or from its own folder), nothing runs
// back up, no file imports itself round a loop, and the two native edges
// (ffi-rs, dockerode) stay in their rooms. Read from the TypeScript sources,
// with TypeScript's own import scanner.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../support/fixtures.js';

const SRC = join(repoRoot, 'src');

/** The floors, lowest first: a folder may import from any lower floor. Files directly in src/ are the roof. */
export const FLOORS: Record<string, number> = {
  netlink: 0, // the pure codec
  sys: 1, // the FFI system layer: socket, setns, mount...
  rules: 1, // input rules (zod), below both api and wire
  docker: 1, // container -> pid -> netns
  transport: 2, // a netlink socket: send, receive, dump, ack matching
  ns: 2, // namespace handles and the worker threads that enter them
  api: 3, // the library's typed operations
  wire: 4, // endpoints, connect, disconnect
  lab: 5, // lab files: plan, apply, destroy, show
  cli: 6,
  demo: 6,
  cni: 6, // the CNI plugin
  '': 7, // src/index.ts, src/bundle.ts
};

interface Edge { from: string; to: string; spec: string }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

const rel = (file: string): string => relative(SRC, file).split('\\').join('/');
const folderOf = (file: string): string => (rel(file).includes('/') ? rel(file).split('/')[0] : '');

function graph(): { files: string[]; edges: Edge[]; packages: Edge[] } {
  const files = sourceFiles(SRC);
  const edges: Edge[] = [];
  const packages: Edge[] = [];
  for (const file of files) {
    const found = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
    for (const spec of found) {
      if (spec.startsWith('.')) edges.push({ from: rel(file), to: rel(resolve(dirname(file), spec.replace(/\.js$/, '.ts'))), spec });
      else packages.push({ from: rel(file), to: spec, spec });
    }
  }
  return { files: files.map(rel), edges, packages };
}

describe('layers: the import graph of src/', () => {
  const { files, edges, packages } = graph();
  const floor = (path: string): number => FLOORS[path.includes('/') ? path.split('/')[0] : ''];

  it('every folder of src/ has a floor', () => {
    const folders = [...new Set(files.map((f) => (f.includes('/') ? f.split('/')[0] : '')))];
    for (const f of folders) assert.ok(f in FLOORS, `src/${f} has no floor in this test: add it to FLOORS`);
  });

  it('every relative import names a file that exists', () => {
    const known = new Set(files);
    const missing = edges.filter((e) => !known.has(e.to));
    assert.deepEqual(missing, []);
  });

  it('nothing imports from its own floor in another folder, or from a floor above', () => {
    const bad = edges.filter((e) => folderOf(join(SRC, e.from)) !== folderOf(join(SRC, e.to)) && floor(e.to) >= floor(e.from));
    assert.deepEqual(bad.map((e) => `${e.from} -> ${e.to}`), []);
  });

  it('no loop: no file reaches itself through its imports', () => {
    const out = new Map<string, string[]>();
    for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
    const loops: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const to of out.get(f) ?? []) {
        if (state.get(to) === 'open') loops.push([...stack.slice(stack.indexOf(to)), to].join(' -> '));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    assert.deepEqual(loops, []);
  });

  it('src/netlink imports nothing outside itself, not even Node builtins', () => {
    const bad = [...edges, ...packages].filter((e) => e.from.startsWith('netlink/') && !e.to.startsWith('netlink/'));
    assert.deepEqual(bad.map((e) => `${e.from} -> ${e.spec}`), []);
  });

  it('ffi-rs is imported only by src/sys, and src/sys only by the transport and ns', () => {
    const ffi = packages.filter((e) => e.to === 'ffi-rs' || e.to.startsWith('ffi-rs/'));
    assert.deepEqual(ffi.filter((e) => !e.from.startsWith('sys/')).map((e) => e.from), []);
    assert.ok(ffi.length > 0, 'the system layer imports ffi-rs');
    const sysUsers = edges.filter((e) => e.to.startsWith('sys/') && !e.from.startsWith('sys/'));
    assert.deepEqual(sysUsers.filter((e) => !/^(transport|ns)\//.test(e.from)).map((e) => `${e.from} -> ${e.to}`), []);
  });

  it('dockerode is imported only by src/docker, and only lazily there', () => {
    const bad = packages.filter((e) => e.to === 'dockerode' && !e.from.startsWith('docker/'));
    assert.deepEqual(bad.map((e) => e.from), []);
    for (const f of files.filter((x) => x.startsWith('docker/'))) {
      const text = readFileSync(join(SRC, f), 'utf8');
      assert.doesNotMatch(text, /^import (?!type )[^;]*from 'dockerode'/m, `${f} loads dockerode eagerly`);
    }
  });

  it('the README draws the same floors', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    for (const folder of Object.keys(FLOORS).filter(Boolean)) assert.match(readme, new RegExp(`src/${folder}\\b`), `README does not name src/${folder}`);
  });
});
