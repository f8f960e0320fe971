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
//   dist/vethcon-rest.cache  V8's code cache of it (below);
//   dist/vethcon-worker.cjs  the namespace worker (src/ns/worker.ts), split the same way:
//   dist/vethcon-worker-rest.js, dist/vethcon-worker-rest.cache.
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
// mostly go. The build writes the main one by running a dry run of the CLI
// (no root needed); a run that finds a cache missing or rejected (another
// Node version), or that loaded more modules than the run that wrote it,
// writes it again, on exit (the worker: once it has handled its first
// request, before it answers, as the command may end the process then), if it may
// write dist/. Caches live only in dist/, which only whoever may change the
// code itself can write.

import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
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

/** The module as CommonJS, and its imports: static ones, and dynamic ones apart. */
function load(file) {
  let code = readFileSync(file, 'utf8');
  const found = ts.preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
  const dynamic = new Set([...code.matchAll(/\bimport\(\s*(['"])([^'"]+)\1\s*\)/g)].map((m) => m[2]));
  const specs = { static: found.filter((s) => !dynamic.has(s)), dynamic: [...dynamic] };
  if (file.endsWith('.cjs')) return { code, specs, usesMeta: false };
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
function collect(entry) {
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
  const reach = (dynamicToo) => {
    const seen = new Set();
    const stack = [join(DIST, entry)];
    while (stack.length) {
      const m = get(stack.pop());
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      for (const spec of dynamicToo ? [...m.specs.static, ...m.specs.dynamic] : m.specs.static) if (m.files[spec]) stack.push(m.files[spec]);
    }
    return seen;
  };
  const head = reach(false);
  const all = reach(true);
  return { modules: [...modules.values()].filter((m) => all.has(m.id)), head };
}

/** `"id": [function (exports, require, module, meta) {...}, deps, its path from dist/ if it uses import.meta.url],` */
function moduleEntry(m) {
  const metaPath = m.usesMeta ? JSON.stringify(relative(DIST, m.file).split(sep).join('/')) : 'null';
  return `${JSON.stringify(m.id)}: [function (exports, require, module, ${META_URL}) {\n${m.code}\n}, ${JSON.stringify(m.deps)}, ${metaPath}],`;
}

// The bundle's require. Ids in the map load (once) from it; anything else is
// the real require of the bundle file (in dist/). An id not in the map yet
// loads the rest (`restFile`) first.
const runtime = (restFile, saveCache) => `
const __vcCache = new Map();
let __vcRestLoaded = ${restFile ? 'false' : 'true'};
function __vcLoad(id) {
  const cached = __vcCache.get(id);
  if (cached) return cached.exports;
  if (!(id in __vcModules) && !__vcRestLoaded) __vcLoadRest();
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
${restFile ? `
// The rest of the modules, compiled with V8's code cache when there is a good one.
// The cache file: 'VCC1', the number of modules the run that wrote it had
// loaded (u32 LE), then V8's data.
function __vcLoadRest() {
  __vcRestLoaded = true;
  const fs = require('node:fs');
  const file = require('node:path').join(__dirname, ${JSON.stringify(restFile)});
  const cacheFile = file.replace(/\.js$/, '.cache');
  if (process.env.VETHCON_NO_CODE_CACHE) return void Object.assign(__vcModules, __vcCompile(fs, file).runInThisContext());
  let cachedData;
  let loadedThen = 0;
  try {
    const data = fs.readFileSync(cacheFile);
    if (data.toString('latin1', 0, 4) === 'VCC1') {
      loadedThen = data.readUInt32LE(4);
      cachedData = data.subarray(8);
    }
  } catch {}
  const script = __vcCompile(fs, file, cachedData);
  Object.assign(__vcModules, script.runInThisContext());
  const stale = cachedData === undefined || script.cachedDataRejected;
  // A run that loaded more modules than the one that wrote the cache (a real
  // connect after the build's dry run) compiled more functions: keep those.
  const save = () => {
    if (stale || __vcCache.size > loadedThen) __vcSaveCache(script, cacheFile, __vcCache.size);
  };
  ${saveCache === 'exit' ? `process.once('exit', save);` : `// A worker gets no 'exit' (it is terminated, or the process ends): it calls this itself (hopper.ts).
  globalThis[Symbol.for('vethcon.saveCodeCache')] = save;`}
}

function __vcCompile(fs, file, cachedData) {
  // All ASCII (the build escapes the rest): latin1 reads it as utf8 would, ~0.5 ms sooner.
  return new (require('node:vm').Script)(fs.readFileSync(file, 'latin1'), { filename: file, cachedData });
}

// On exit, so it holds every function this run compiled. Written aside and
// renamed, so no reader ever sees half a file; not at all where dist/ is not ours.
function __vcSaveCache(script, cacheFile, loaded) {
  const fs = require('node:fs');
  const tmp = \`\${cacheFile}.\${process.pid}.tmp\`;
  let fd;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    const head = Buffer.alloc(8);
    head.write('VCC1', 'latin1');
    head.writeUInt32LE(loaded, 4);
    fs.writeSync(fd, head);
    fs.writeSync(fd, script.createCachedData());
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, cacheFile);
  } catch {
    if (fd !== undefined) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    }
  }
}` : ''}`;

/**
 * Any non-ASCII character as a \uXXXX escape, which means the same in
 * comments, strings, regular expressions and names (only a template's raw
 * text would differ; there is none), so the file can be read as latin1.
 */
const ascii = (text) => text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const HEADER = (entry) => `'use strict';\n// Generated by scripts/bundle.mjs from dist/${entry} and what it imports; do not edit.`;

function bundle({ entry, out, rest, saveCache = 'exit', shebang = false, tail }) {
  const { modules, head } = collect(entry);
  const inHead = rest ? modules.filter((m) => head.has(m.id)) : modules;
  const parts = [...(shebang ? ['#!/usr/bin/env node'] : []), HEADER(entry), 'const __vcModules = {', ...inHead.map(moduleEntry), '};', runtime(rest, saveCache), tail(JSON.stringify(entry)), ''];
  const text = parts.join('\n');
  new vm.Script(text, { filename: out }); // a syntax error fails the build, not the first run
  writeFileSync(join(DIST, out), text);
  if (shebang) chmodSync(join(DIST, out), 0o755);
  const built = [`dist/${out}: ${inHead.length} modules, ${(text.length / 1024).toFixed(0)} KiB`];
  if (rest) {
    // An expression: running the script gives the map of the remaining modules.
    const restText = ascii([`// Generated by scripts/bundle.mjs: the rest of dist/${out}, loaded by it; do not edit.`, '({', ...modules.filter((m) => !head.has(m.id)).map(moduleEntry), '})', ''].join('\n'));
    new vm.Script(restText, { filename: rest });
    writeFileSync(join(DIST, rest), restText);
    rmSync(join(DIST, rest.replace(/\.js$/, '.cache')), { force: true });
    built.push(`dist/${rest}: ${modules.length - inHead.length} modules, ${(restText.length / 1024).toFixed(0)} KiB`);
  }
  return built;
}

// A save cut short (a process killed while it wrote) leaves its file aside: not in a fresh build.
for (const f of readdirSync(DIST)) if (/^vethcon.*\.cache\.\d+\.tmp$/.test(f)) rmSync(join(DIST, f), { force: true });

const built = [
  ...bundle({ entry: 'src/ns/worker.js', out: 'vethcon-worker.cjs', rest: 'vethcon-worker-rest.js', saveCache: 'hook', tail: (entry) => `__vcLoad(${entry});` }),
  ...bundle({
    entry: 'src/bundle.js',
    out: 'vethcon.cjs',
    rest: 'vethcon-rest.js',
    shebang: true,
    tail: (entry) => `module.exports = __vcLoad(${entry});\nif (require.main === module) module.exports.runCli(process.argv.slice(2));`,
  }),
];
for (const line of built) console.log(`bundle: ${line}`);

// Write the code cache: a dry run goes through parsing, validation (zod) and
// the request encoders, and needs neither root nor a namespace.
execFileSync(process.execPath, [join(DIST, 'vethcon.cjs'), '--dry-run', '-n', 'a:x:10.0.0.1/24', '-n', 'b:y:10.0.0.2/24'], { stdio: 'ignore' });
if (!existsSync(join(DIST, 'vethcon-rest.cache'))) throw new Error('the dry run wrote no code cache');
console.log('bundle: dist/vethcon-rest.cache (V8 code cache, from a dry run)');
