// Shared by the live tests of pinning, marks, undo and gc: re-pointing a
// namespace name at another namespace (`mount --bind`, as `ip netns` names
// are bind mounts), a process holding an anonymous namespace, and our mark
// as `ip -j -d link` shows it. Not a test file itself.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { ipJson } from './live-helpers.js';

/** `mount --bind /run/netns/FROM /run/netns/ONTO`: the name ONTO now leads to FROM's namespace. */
export function rebind(from: string, onto: string): void {
  execFileSync('mount', ['--bind', `/run/netns/${from}`, `/run/netns/${onto}`]);
}

/**
 * What `name` leads to now, held open by this process, to look into that
 * namespace after a rebind (a second bind mount would not do: /run/netns is
 * a shared mount, so a rebind of the name propagates to it too). `ip` runs
 * there through `nsenter --net=/proc/PID/fd/N`.
 */
export function holdOpen(name: string): { fd: number; ip: (...args: string[]) => string; ipJson: <T = any[]>(...args: string[]) => T; close: () => void } {
  const fd = openSync(`/run/netns/${name}`, 'r');
  const file = `/proc/${process.pid}/fd/${fd}`;
  const run = (...args: string[]): string => execFileSync('nsenter', [`--net=${file}`, 'ip', ...args], { encoding: 'utf8' });
  return {
    fd,
    ip: run,
    ipJson: <T>(...args: string[]) => { const out = run('-j', ...args).trim(); return (out ? JSON.parse(out) : []) as T; },
    close: () => closeSync(fd),
  };
}

/** Unmount every layer at /run/netns/NAME and remove it (ip netns del removes one layer). */
export function removeName(name: string): void {
  const path = `/run/netns/${name}`;
  for (let i = 0; i < 10 && spawnSync('mountpoint', ['-q', path]).status === 0; i++) spawnSync('umount', ['-l', path]);
  spawnSync('rm', ['-f', path]);
}

/** A process (`unshare -n sleep 60`) whose new namespace no name or other process holds. */
export async function anonymousNamespace(): Promise<{ pid: number; child: ChildProcess; kill: () => Promise<void> }> {
  const child = spawn('unshare', ['-n', 'sleep', '60'], { stdio: 'ignore' });
  const pid = child.pid!;
  const ours = statSync('/proc/self/ns/net').ino;
  for (let i = 0; i < 200; i++) {
    try {
      if (statSync(`/proc/${pid}/ns/net`).ino !== ours) break;
    } catch { /* not started yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    // Reaped: /proc/PID is gone with it.
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 10));
  };
  return { pid, child, kill };
}

/** Links carrying a mark of ours: an alias starting `vethcon:`, or a link group of ours (0x76 in the top byte). */
export function markedLinks(...ipArgs: string[]): { ifname: string; ifindex: number; ifalias?: string; group?: unknown }[] {
  return ipJson<any[]>(...ipArgs, '-d', 'link', 'show').filter((l) => String(l.ifalias ?? '').startsWith('vethcon:') || isOurGroup(l.group));
}

function isOurGroup(group: unknown): boolean {
  const n = typeof group === 'number' ? group : Number(group);
  return Number.isInteger(n) && n >>> 24 === 0x76;
}

/** Addresses on any link of a namespace, as CIDRs with their link's name. */
export function addressesIn(ns: string): string[] {
  return ipJson<any[]>('-n', ns, 'addr', 'show').flatMap((l) => (l.addr_info ?? []).map((a: any) => `${l.ifname}:${a.local}/${a.prefixlen}`));
}
