#!/usr/bin/env node
// scripts/bundle.mjs: the one-file CommonJS build of the CLI path, run by
// `npm run build` after tsc. Why: Node loads ES modules one by one (~0.65 ms
// each, ~60 of them) and an ES module worker boots slower than a CommonJS
// one. It makes
//
//   dist/vethcon.cjs         the `vethcon` bin, and the API for bench/peer w5 (src/bundle.ts):
//                            only that entry and its static imports (a few KiB), so the
//                            namespace worker starts before the big compile;
//   dist/vethcon-rest.js     everything else it imports, compiled when first needed, with
//   dist/vethcon-rest.cache  V8's code cache of it (below), but for
//   dist/vethcon-lab.js      the lab code and zod 4, which only labs use (reached only
//   dist/vethcon-lab.cache   through src/lab/index.js and src/lab/watch.js), loaded after
//                            the rest the first time one of them is;
//   dist/vethcon-worker.cjs  the namespace worker (src/ns/worker.ts), split the same way:
//   dist/vethcon-worker-rest.js, dist/vethcon-worker-rest.cache;
//   dist/vethcon-cni.cjs     the `vethcon-cni` bin, the CNI plugin (src/bundle-cni.ts): all its
//                            modules in one file, with the worker above.
//
// How: take tsc's output (dist/src/**.js), follow its imports (static, and
// `import('...')` with a literal), turn each module into CommonJS with the
// typescript package's transpileModule, and write them as a map of module
// functions with a tiny require (browserify-style). zod's CommonJS build goes
// in too; node: builtins, ffi-rs and dockerode stay real requires (dockerode
// is required only when a container is named). `import.meta.url` becomes the
// URL of the module's own file in dist/src, so what is found from it
// (package.json, ffi-rs, the worker) is found as before. The ES module
// package (`exports` . and ./netlink) is untouched.
//
// Code cache: compiling the rest takes ~8 ms and the first calls compile
// their functions lazily; with V8's cached data (vm.Script cachedData) both
// mostly go. The caches are made here, once, and never written at run time:
// the build runs scripts/code-cache-pass.cjs, which loads the bundle as a real
// connect does (the namespace worker and ffi-rs, the API, connect, the client,
// a read-only netlink dump of its own namespace, one worker request, a connect
// that fails on a namespace that does not exist, and a dry run), with
// VETHCON_BUILD_CODE_CACHE=DIR, which makes the runtime write each cache into
// DIR (the main one on exit, the worker's once it has handled its first
// request); then they are moved into dist/ and checked to be accepted by a
// fresh process. At run time a cache that is missing, corrupt or rejected by
// V8 (another Node version) is just not used: the code compiles as without
// one, and nothing is written (the installed package is never changed).

import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import ts from 'typescript';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(ROOT, 'dist');
/** Packages copied into the bundle (their CommonJS files); every other package stays a real require. */
const INLINE = new Set(['zod']);
const META_URL = '__vc_meta_url';

const builtins = new Set(builtinModules);
const isBuiltin = (spec) => spec.startsWith('node:') || builtins.has(spec);
const packageName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** An id names a module in the bundle: its path from dist/ ('src/cli/main.js') or from node_modules ('zod/v3/types.cjs'). */
function idOf(file) {
  const nm = `${sep}node_modules${sep}`;
  const at = file.lastIndexOf(nm);
  return (at >= 0 ? file.slice(at + nm.length) : relative(DIST, file)).split(sep).join('/');
}

/**
 * Modules of packages whose requires are made lazy here: zod 4's index of its
 * 40 locales, which zod's classic API loads whole for `z.locales` though
 * nothing of ours uses any locale but English (which zod loads itself). Each
 * locale then runs the first time it is asked for, not at start-up.
 */
const LAZY_REQUIRES = new Set(['zod/v4/locales/index.cjs']);

/**
 * `var X = require("F");` whose X is read only as `__importDefault(X)` in a
 * getter: the require moved into the getter. The build fails if the file
 * is not of that shape (a new zod), rather than bundle it half changed.
 */
function requiredWhenUsed(code, file) {
  const requires = [...code.matchAll(/^var (\w+) = require\(("[^"]+")\);\n/gm)];
  if (!requires.length) throw new Error(`${file}: no \`var X = require("...")\` to make lazy`);
  let out = code;
  for (const [line, name, spec] of requires) {
    const use = `__importDefault(${name})`;
    if (out.split(use).length !== 2) throw new Error(`${file}: ${name} is not read once, as ${use}`);
    out = out.replace(line, '').replace(use, `__importDefault(require(${spec}))`);
  }
  return out;
}

/** The module as CommonJS, and its imports: static ones, and dynamic ones apart. */
function load(file) {
  let code = readFileSync(file, 'utf8');
  const found = ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
  const dynamic = new Set([...code.matchAll(/\bimport\(\s*(['"])([^'"]+)\1\s*\)/g)].map((m) => m[2]));
  const specs = { static: found.filter((s) => !dynamic.has(s)), dynamic: [...dynamic] };
  if (file.endsWith('.cjs')) return { code: LAZY_REQUIRES.has(idOf(file)) ? requiredWhenUsed(code, file) : code, specs, usesMeta: false };
  const usesMeta = code.includes('import.meta.url');
  code = code.replaceAll('import.meta.url', META_URL);
  if (code.includes('import.meta')) throw new Error(`${file}: import.meta other than import.meta.url`);
  const out = ts.transpileModule(code, {
    fileName: file,
    reportDiagnostics: true,
    // No comments: a smaller file reads, compiles and caches faster.
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false, removeComments: true },
  });
  if (out.diagnostics?.length) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, '\n')}`);
  return { code: out.outputText.replace(/^#!.*\n/, ''), specs, usesMeta };
}

/** A relative CommonJS require may leave out the extension; an ES module import may not. */
function resolveFile(path) {
  for (const p of [path, `${path}.js`, `${path}.cjs`]) if (existsSync(p) && !p.endsWith(sep)) return p;
  throw new Error(`cannot find ${path}`);
}

/** Where a specifier leads: a file to bundle, or null for a real require. */
function target(from, spec) {
  if (isBuiltin(spec)) return null;
  if (spec.startsWith('.')) return resolveFile(resolve(dirname(from), spec));
  if (INLINE.has(packageName(spec))) return realpathSync(createRequire(from).resolve(spec));
  return null;
}

/**
 * Every module reachable from `entry`, each with `deps`: where its specifiers
 * lead (an id, or null for a real require); and `head`, the ids reachable
 * through static imports alone (what must run before any dynamic import).
 */
function collect(entry, splitAt = []) {
  const modules = new Map();
  const get = (file) => {
    const id = idOf(file);
    if (!modules.has(id)) {
      const m = { id, file, ...load(file), deps: {}, files: {} };
      for (const spec of [...m.specs.static, ...m.specs.dynamic]) {
        m.files[spec] = target(file, spec);
        m.deps[spec] = m.files[spec] && idOf(m.files[spec]);
      }
      modules.set(id, m);
    }
    return modules.get(id);
  };
  const reach = (dynamicToo, stop = new Set()) => {
    const seen = new Set();
    const stack = [join(DIST, entry)];
    while (stack.length) {
      const m = get(stack.pop());
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      for (const spec of dynamicToo ? [...m.specs.static, ...m.specs.dynamic] : m.specs.static) {
        if (m.files[spec] && !stop.has(m.deps[spec])) stack.push(m.files[spec]);
      }
    }
    return seen;
  };
  const head = reach(false);
  const all = reach(true);
  // What is reached without going through a split point: the rest; what only through one: the chunk.
  const main = reach(true, new Set(splitAt));
  return { modules: [...modules.values()].filter((m) => all.has(m.id)), head, main };
}

/** `"id": [function (exports, require, module, meta) {...}, deps, its path from dist/ if it uses import.meta.url],` */
function moduleEntry(m) {
  const metaPath = m.usesMeta ? JSON.stringify(relative(DIST, m.file).split(sep).join('/')) : 'null';
  return `${JSON.stringify(m.id)}: [function (exports, require, module, ${META_URL}) {\n${m.code}\n}, ${JSON.stringify(m.deps)}, ${metaPath}],`;
}

// The bundle's require. Ids in the map load (once) from it; anything else is
// the real require of the bundle file (in dist/). An id not in the map yet
// loads the next part (`partFiles`: the rest, then any chunk split off it) until it is there.
const runtime = (partFiles, saveCache) => `
const __vcCache = new Map();
const __vcParts = ${JSON.stringify(partFiles)};
let __vcPartsLoaded = 0;
function __vcLoad(id) {
  const cached = __vcCache.get(id);
  if (cached) return cached.exports;
  while (!(id in __vcModules) && __vcPartsLoaded < __vcParts.length) __vcLoadPart(__vcParts[__vcPartsLoaded++]);
  const [fn, deps, metaPath] = __vcModules[id];
  const module = { exports: {} };
  __vcCache.set(id, module);
  const req = (spec) => {
    const to = deps[spec];
    if (to === undefined) throw new Error(\`\${id}: import \${JSON.stringify(spec)} was not bundled (not a literal?)\`);
    return to === null ? require(spec) : __vcLoad(to);
  };
  const metaUrl = metaPath && require('node:url').pathToFileURL(require('node:path').join(__dirname, metaPath)).href;
  fn.call(module.exports, module.exports, req, module, metaUrl);
  return module.exports;
}
${partFiles.length ? `
// A part of the modules, compiled with V8's code cache when there is a good
// one. The cache file: 'VCC2', the length of V8's data (u32 LE), V8's data.
// Only read here: a cache that is missing, cut short or rejected (another Node
// version) is not used, and nothing is written into the package. The build
// alone sets VETHCON_BUILD_CODE_CACHE (a directory) to have it written there.
function __vcLoadPart(partFile) {
  const fs = require('node:fs');
  const path = require('node:path');
  const file = path.join(__dirname, partFile);
  const cacheName = partFile.replace(/\\.js$/, '.cache');
  let cachedData;
  if (!process.env.VETHCON_NO_CODE_CACHE) {
    try {
      const data = fs.readFileSync(path.join(__dirname, cacheName));
      if (data.length > 8 && data.toString('latin1', 0, 4) === 'VCC2' && data.readUInt32LE(4) === data.length - 8) cachedData = data.subarray(8);
    } catch {}
  }
  // All ASCII (the build escapes the rest): latin1 reads it as utf8 would, ~0.5 ms sooner.
  const script = new (require('node:vm').Script)(fs.readFileSync(file, 'latin1'), { filename: file, cachedData });
  Object.assign(__vcModules, script.runInThisContext());
  const buildDir = process.env.VETHCON_BUILD_CODE_CACHE;
  if (!buildDir) return;
  const save = () => __vcSaveCache(script, path.join(buildDir, cacheName));
  ${saveCache === 'exit' ? `process.once('exit', save);` : `// A worker gets no 'exit' (it is terminated, or the process ends): it calls this itself (hopper.ts).
  globalThis[Symbol.for('vethcon.saveCodeCache')] = save;`}
}

// The build's pass only: V8's data for every function compiled so far,
// written aside and renamed (no reader ever sees half a file).
function __vcSaveCache(script, cacheFile) {
  const fs = require('node:fs');
  const tmp = \`\${cacheFile}.\${process.pid}.tmp\`;
  const data = script.createCachedData();
  const head = Buffer.alloc(8);
  head.write('VCC2', 'latin1');
  head.writeUInt32LE(data.length, 4);
  fs.writeFileSync(tmp, Buffer.concat([head, data]), { mode: 0o644, flag: 'wx' });
  fs.renameSync(tmp, cacheFile);
}` : ''}`;

/**
 * Any non-ASCII character as a \uXXXX escape, which means the same in
 * comments, strings, regular expressions and names (only a template's raw
 * text would differ; there is none), so the file can be read as latin1.
 */
const ascii = (text) => text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const HEADER = (entry) => `'use strict';\n// Generated by scripts/bundle.mjs from dist/${entry} and what it imports; do not edit.`;

/**
 * `rest`: the file for what the entry does not import statically; `chunk`:
 * `{ file, at }`, a further file for the modules reached only through the
 * modules `at` (ids), loaded the first time one of them is.
 */
function bundle({ entry, out, rest, chunk, saveCache = 'exit', shebang = false, tail }) {
  if (chunk && (!rest || saveCache !== 'exit')) throw new Error(`${out}: a chunk needs a rest, and caches saved on exit`);
  const { modules, head, main } = collect(entry, chunk?.at);
  const inHead = rest ? modules.filter((m) => head.has(m.id)) : modules;
  const partFiles = [...(rest ? [rest] : []), ...(chunk ? [chunk.file] : [])];
  const parts = [...(shebang ? ['#!/usr/bin/env node'] : []), HEADER(entry), 'const __vcModules = {', ...inHead.map(moduleEntry), '};', runtime(partFiles, saveCache), tail(JSON.stringify(entry)), ''];
  const text = parts.join('\n');
  new vm.Script(text, { filename: out }); // a syntax error fails the build, not the first run
  writeFileSync(join(DIST, out), text);
  if (shebang) chmodSync(join(DIST, out), 0o755);
  const built = [`dist/${out}: ${inHead.length} modules, ${(text.length / 1024).toFixed(0)} KiB`];
  const writePart = (file, list, what) => {
    // An expression: running the script gives the map of its modules.
    const partText = ascii([`// Generated by scripts/bundle.mjs: ${what} of dist/${out}, loaded by it; do not edit.`, '({', ...list.map(moduleEntry), '})', ''].join('\n'));
    new vm.Script(partText, { filename: file });
    writeFileSync(join(DIST, file), partText);
    rmSync(join(DIST, file.replace(/\.js$/, '.cache')), { force: true });
    built.push(`dist/${file}: ${list.length} modules, ${(partText.length / 1024).toFixed(0)} KiB`);
  };
  if (rest) writePart(rest, modules.filter((m) => !head.has(m.id) && (!chunk || main.has(m.id))), 'the rest');
  if (chunk) {
    for (const id of chunk.at) if (main.has(id) || !modules.some((m) => m.id === id)) throw new Error(`${out}: ${id} would not start a chunk (not bundled, or reached without it)`);
    writePart(chunk.file, modules.filter((m) => !main.has(m.id)), `the modules reached through ${chunk.at.join(', ')}`);
  }
  return built;
}

// Left by a build killed in its cache pass (.code-cache-*), or by a run of an
// older build that was killed while it saved a cache (*.tmp): not in a fresh build.
for (const f of readdirSync(DIST)) {
  if (/^vethcon.*\.cache\.\d+\.tmp$/.test(f) || f.startsWith('.code-cache-')) rmSync(join(DIST, f), { recursive: true, force: true });
}

const built = [
  ...bundle({ entry: 'src/ns/worker.js', out: 'vethcon-worker.cjs', rest: 'vethcon-worker-rest.js', saveCache: 'hook', tail: (entry) => `__vcLoad(${entry});` }),
  ...bundle({
    entry: 'src/bundle.js',
    out: 'vethcon.cjs',
    rest: 'vethcon-rest.js',
    // Labs (and zod 4 with them) in a file of their own, so a connect neither reads nor compiles them.
    chunk: { file: 'vethcon-lab.js', at: ['src/lab/index.js', 'src/lab/watch.js'] },
    shebang: true,
    tail: (entry) => `module.exports = __vcLoad(${entry});\nif (require.main === module) module.exports.runCli(process.argv.slice(2));`,
  }),
  // The CNI plugin: every module in the one file (a plugin runs once per
  // pod, and a second file to install would be one more thing to get wrong);
  // it shares the worker above.
  ...bundle({
    entry: 'src/bundle-cni.js',
    out: 'vethcon-cni.cjs',
    shebang: true,
    tail: (entry) => `module.exports = __vcLoad(${entry});\nif (require.main === module) void module.exports.runPlugin();`,
  }),
];
// Progress goes to stderr: stdout stays clean for whatever runs the build
// (`npm pack --json` prints its JSON there, after running prepare).
for (const line of built) console.error(`bundle: ${line}`);

// The code caches, once, here (see the header): scripts/code-cache-pass.cjs
// runs the bundle as a real connect does, needing neither root nor a
// namespace, and the runtime writes each cache into a directory of ours; then
// each is moved into dist/ and a fresh process must accept it. NODE_OPTIONS
// is left out of both: V8 rejects a cache made under other flags, and the
// command runs without them.
const CACHES = ['vethcon-rest.cache', 'vethcon-lab.cache', 'vethcon-worker-rest.cache'];
const env = { ...process.env, NODE_OPTIONS: '' };
delete env.VETHCON_NO_CODE_CACHE;
const passDir = mkdtempSync(join(DIST, '.code-cache-'));
try {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'code-cache-pass.cjs'), DIST], {
    env: { ...env, VETHCON_BUILD_CODE_CACHE: passDir },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 120_000,
  });
  for (const name of CACHES) {
    if (!existsSync(join(passDir, name))) throw new Error(`the code cache pass wrote no ${name}`);
    renameSync(join(passDir, name), join(DIST, name));
  }
} finally {
  rmSync(passDir, { recursive: true, force: true });
}
const CHECK = `
const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path');
for (const name of ${JSON.stringify(CACHES)}) {
  const file = path.join(process.argv[1], name.replace('.cache', '.js'));
  const data = fs.readFileSync(path.join(process.argv[1], name));
  const script = new vm.Script(fs.readFileSync(file, 'latin1'), { filename: file, cachedData: data.subarray(8) });
  if (data.toString('latin1', 0, 4) !== 'VCC2' || data.readUInt32LE(4) !== data.length - 8 || script.cachedDataRejected) {
    throw new Error(name + ': not accepted');
  }
  console.log(name + ': ' + (data.length / 1024).toFixed(0) + ' KiB');
}`;
const accepted = execFileSync(process.execPath, ['-e', CHECK, DIST], { env, encoding: 'utf8' });
for (const line of accepted.trim().split('\n')) console.error(`bundle: dist/${line} (V8 code cache, accepted by a fresh process)`);
