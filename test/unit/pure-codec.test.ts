// `vethcon/netlink` is pure: importing it loads neither ffi-rs nor our FFI
// module, so users can unit-test their message packing anywhere, without root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.js';

describe('vethcon/netlink is pure', () => {
  it('imports by its package name without loading ffi-rs, sys.js, worker threads or dockerode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vethcon-pure-'));
    // A resolve hook that refuses anything impure; the import must not need it.
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(hooks, `export async function resolve(spec, ctx, next) {
  if (/^ffi-rs|@yuuang|dockerode|node:worker_threads|worker_threads/.test(spec) || /\\/sys\\//.test(spec)) throw new Error('impure import: ' + spec);
  return next(spec, ctx);
}`);
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify('file://' + hooks)});`);
    const script = `const nl = await import('vethcon/netlink');
const bytes = nl.requestBytes(nl.addLink({ ifname: 'a', kind: 'veth', peer: { ifname: 'b' } }), nl.RTNETLINK, 1, 0);
const [m] = nl.decodeMessages(bytes, nl.RTNETLINK);
if (m.attrs.linkinfo.data.peer.attrs.ifname !== 'b') throw new Error('round trip failed');
console.log('pure ok', bytes.length);`;
    const r = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /pure ok \d+/);
  });

  it('the same hook does catch an impure import (the check itself works)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vethcon-pure-'));
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(hooks, `export async function resolve(spec, ctx, next) {
  if (/^ffi-rs|@yuuang/.test(spec) || /\\/sys\\//.test(spec)) throw new Error('impure import: ' + spec);
  return next(spec, ctx);
}`);
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify('file://' + hooks)});`);
    const r = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', "await import('vethcon')"], { cwd: repoRoot, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /impure import/);
  });
});
