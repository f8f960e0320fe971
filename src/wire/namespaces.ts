// Every network namespace on the machine that we can name, once each (by
// device and inode): the current one, every named one (/run/netns), every
// running container's (when a Docker engine answers), and every process's
// (/proc/*/ns/net), each under the first and clearest of those names.

import { readdirSync } from 'node:fs';
import { NETNS_RUN_DIR, NetnsError, resolveNetns, type NetnsRef } from '../ns/index.js';

export interface NamedNamespace {
  ref: NetnsRef;
  label: string;
  dev: number;
  ino: number;
}

export interface Census {
  namespaces: NamedNamespace[];
  /** Said about the census: no Docker engine, a namespace that could not be looked at. */
  notes: string[];
  /** Namespaces that exist but could not be looked at (not a vanished process): a gc that skips them is not complete. */
  unreadable: string[];
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

const pids = (): number[] => names('/proc').filter((n) => /^\d+$/.test(n)).map(Number).sort((x, y) => x - y);

/** Every namespace, deduplicated; `docker: false` leaves the engine out (labels only: /proc finds containers anyway). */
export async function allNamespaces(opts: { docker?: boolean } = {}): Promise<Census> {
  const candidates: { ref: NetnsRef; label: string }[] = [{ ref: { current: true }, label: 'current netns' }];
  for (const name of new Set([...names(NETNS_RUN_DIR), ...names('/var/run/netns')])) candidates.push({ ref: { name }, label: `netns ${name}` });
  const notes: string[] = [];
  if (opts.docker !== false) {
    const { runningContainers } = await import('../docker/index.js');
    const { containers, unavailable } = await runningContainers();
    if (unavailable) notes.push(`no Docker engine answered (${unavailable}); containers are scanned as processes`);
    for (const c of containers) candidates.push({ ref: { path: `/proc/${c.pid}/ns/net` }, label: `container ${c.name}` });
  }
  for (const pid of pids()) candidates.push({ ref: { pid }, label: `pid ${pid}` });
  const seen = new Set<string>();
  const namespaces: NamedNamespace[] = [];
  const unreadable: string[] = [];
  const guarded: string[] = [];
  for (const { ref, label } of candidates) {
    try {
      const r = resolveNetns(ref);
      const key = `${r.dev}:${r.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      namespaces.push({ ref, label, dev: r.dev, ino: r.ino });
    } catch (error) {
      // A process that ended, a name being removed: nothing to look at.
      if (error instanceof NetnsError && (error.code === 'ENONETNS' || error.code === 'EBADNAME')) continue;
      // A process guarded even from root (an LSM, more capabilities than ours): said, not a failure.
      if ('pid' in ref && /EACCES|EPERM/.test((error as Error).message)) guarded.push(label);
      else unreadable.push(`${label}: ${(error as Error).message}`);
    }
  }
  if (guarded.length) notes.push(`the namespaces of ${guarded.length} process${guarded.length > 1 ? 'es' : ''} could not be looked at (permission denied): ${guarded.slice(0, 5).join(', ')}${guarded.length > 5 ? ', ...' : ''}`);
  return { namespaces, notes, unreadable };
}
