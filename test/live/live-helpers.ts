// Shared by the live library tests (api-*, concurrency, event-loop): root
// check, `ip` as the independent oracle, and vclive-* namespaces that are
// always removed. Not a test file itself.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

/** Root or bust: under CI a test that cannot run fails instead of skipping. */
export function requireRoot(context: Mocha.Context): void {
  if (process.getuid?.() === 0) return;
  if (process.env.CI === 'true') throw new Error('live api tests need root (CI=true: failing instead of skipping)');
  context.skip();
}

/** Run `ip ARGS...`, its stdout; throws (with ip's stderr) if it fails. */
export function ip(...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** `ip -j ARGS...`, parsed. */
export function ipJson<T = any>(...args: string[]): T {
  const out = ip('-j', ...args).trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

/** A fresh namespace name: vclive-<8 hex>. */
export const liveName = (): string => `vclive-${randomBytes(4).toString('hex')}`;

/**
 * Namespaces made by one test file, all removed by cleanup() whatever
 * happened (also the ones the library made, if the test registers them).
 */
export class LiveNamespaces {
  readonly names = new Set<string>();

  /** `ip netns add` a new vclive-* namespace, lo up. */
  add(): string {
    const name = liveName();
    this.names.add(name);
    ip('netns', 'add', name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** A name for a namespace something else will create; removed at cleanup. */
  reserve(): string {
    const name = liveName();
    this.names.add(name);
    return name;
  }

  cleanup(): void {
    for (const name of this.names) {
      if (ipNetnsList().includes(name)) spawnSync('ip', ['netns', 'del', name]);
    }
    this.names.clear();
  }
}

/** `ip netns list`, names only. */
export function ipNetnsList(): string[] {
  return ip('netns', 'list').split('\n').map((line) => line.split(' ')[0]).filter(Boolean);
}

/** The network namespace of the calling thread (for the main thread: the process's). */
export const threadNetnsInode = (): number => statSync('/proc/thread-self/ns/net').ino;

export const countEntries = (dir: string): number => readdirSync(dir).length;

/** Until `cond` holds or `ms` pass (threads are reaped a little after they report exit). */
export async function settle(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** ip's route destination in our form: `default`, or always `prefix/len`. */
export function ipDst(dst: string, family: 'inet' | 'inet6'): string {
  if (dst === 'default' || dst.includes('/')) return dst;
  return `${dst}/${family === 'inet6' ? 128 : 32}`;
}

/** An after() body: close the library, then remove the namespaces, even if closing failed. */
export async function closeAndCleanup(vc: { close(): Promise<void> } | undefined, spaces: LiveNamespaces, also: () => void = () => {}): Promise<void> {
  try {
    await vc?.close();
  } finally {
    spaces.cleanup();
    also();
  }
}

/** No IPv6 DAD in these namespaces: addresses are final at once, so two views of them cannot race it. */
export function withoutDad(...namespaces: string[]): void {
  for (const ns of namespaces) {
    ip('netns', 'exec', ns, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad');
  }
}

/**
 * setsockopt(fd, SOL_SOCKET, SO_RCVBUF, bytes) through ffi-rs (src/ offers no
 * such knob): the kernel doubles it, with a floor of ~2 KiB. ffi-rs is loaded
 * and 'libc' open already, by the src/ modules the calling test imports.
 */
export function shrinkReceiveBuffer(fd: number, bytes: number): void {
  const ffi = createRequire(import.meta.url)('ffi-rs') as typeof import('ffi-rs');
  const value = Buffer.alloc(4);
  value.writeInt32LE(bytes);
  const rc = ffi.load({
    library: 'libc', funcName: 'setsockopt', retType: ffi.DataType.I32,
    paramsType: [ffi.DataType.I32, ffi.DataType.I32, ffi.DataType.I32, ffi.DataType.U8Array, ffi.DataType.I32],
    paramsValue: [fd, 1 /* SOL_SOCKET */, 8 /* SO_RCVBUF */, value, 4],
  }) as number;
  assert.equal(rc, 0, 'setsockopt(SO_RCVBUF) failed');
}
