#!/usr/bin/env node
// scripts/build-if-stale.mjs: build only when dist/ is out of date, so the
// quick start (`npm ci && npm run demo`, then `npm test`) builds once: npm ci
// builds through `prepare`, and the test scripts start with this.
//
//   node scripts/build-if-stale.mjs            run `npm run build` if stale
//   node scripts/build-if-stale.mjs --check    only say; exit 1 if stale
//   node scripts/build-if-stale.mjs --begin    (the build's first step) mark a build as begun
//   node scripts/build-if-stale.mjs --end      (the build's last step) stamp the build done
//
// The stamp, dist/.build-stamp, is the begin mark renamed once the whole build
// has succeeded, so its mtime is when that build began: a file saved while it
// ran is newer, and the next check builds again; a failed build leaves the
// old stamp. dist/ is stale when there is no stamp, when the stamp is of
// another Node version (the V8 code caches are made for one), or when any
// file under src/ test/ bench/ scripts/, or tsconfig.json or package.json, is
// newer than the stamp.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const INPUT_DIRS = ['src', 'test', 'bench', 'scripts'];
export const INPUT_FILES = ['tsconfig.json', 'package.json'];
export const STAMP = join('dist', '.build-stamp');
const BEGUN = join('dist', '.build-begun');

function newestUnder(path, than) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return null; // absent: nothing of it to build
  }
  if (!st.isDirectory()) return st.mtimeMs > than ? path : null;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const found = newestUnder(join(path, name), than);
    if (found) return found;
  }
  return null;
}

/** Why dist/ under `root` needs a build (a sentence), or null if it is up to date. */
export function staleBecause(root, nodeVersion = process.version) {
  const stampFile = join(root, STAMP);
  let stampTime;
  let stamp;
  try {
    stampTime = statSync(stampFile).mtimeMs;
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return `no build stamp (${STAMP})`;
  }
  if (stamp.node !== nodeVersion) return `built with Node ${stamp.node}, this is ${nodeVersion}`;
  for (const input of [...INPUT_DIRS, ...INPUT_FILES]) {
    const newer = newestUnder(join(root, input), stampTime);
    if (newer) return `${relative(root, newer)} is newer than the build`;
  }
  return null;
}

/** The build's first step: a mark whose mtime is now, to become the stamp. */
export function beginBuild(root) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, BEGUN), JSON.stringify({ node: process.version, begun: new Date().toISOString() }) + '\n');
}

/** The build's last step: the mark becomes the stamp (rename keeps its mtime). */
export function endBuild(root) {
  renameSync(join(root, BEGUN), join(root, STAMP));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const arg = process.argv[2];
  if (arg === '--begin') beginBuild(root);
  else if (arg === '--end') endBuild(root);
  else {
    const why = staleBecause(root);
    if (arg === '--check') {
      console.error(why ? `build-if-stale: stale: ${why}` : 'build-if-stale: dist/ is up to date');
      process.exitCode = why ? 1 : 0;
    } else if (why) {
      console.error(`build-if-stale: building: ${why}`);
      const npm = process.env.npm_execpath;
      // Under npm, its own CLI with this node; else npm from PATH.
      const r = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    } else {
      console.error('build-if-stale: dist/ is up to date, not building');
    }
  }
}
