// Where each pod of a lab lives, as its runtime told us on ADD: the peer of
// a link is known only on its own ADD, so every ADD leaves its binding here
// for the next one, and DEL (or GC) takes it away. One file per node:
//
//   STATE_DIR/NETWORK/LAB/NODE.json   {"containerId", "netns", "ifname"}
//
// Written whole (a temporary file renamed over), so a reader sees the old
// binding or the new one. Each ADD writes its own binding before it reads the
// others: of two ADDs at once, the later reader sees both, and the lab's
// apply (serialised per lab) makes the link once.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod/v4';

export interface Binding {
  node: string;
  containerId: string;
  netns: string;
  ifname: string;
}

const bindingFile = z.object({ containerId: z.string().min(1), netns: z.string().startsWith('/'), ifname: z.string() });

export class BindingStore {
  /** The lab's folder. */
  readonly dir: string;

  constructor(stateDir: string, network: string, lab: string) {
    this.dir = join(stateDir, network, lab);
  }

  private file(node: string): string {
    return join(this.dir, `${node}.json`);
  }

  /** Every binding readable in the folder (a file that is not one is skipped and named in `skipped`). */
  list(skipped: string[] = []): Binding[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: Binding[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const b = this.read(name.slice(0, -'.json'.length));
      if (b) out.push(b);
      else skipped.push(name);
    }
    return out;
  }

  read(node: string): Binding | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(node), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const r = bindingFile.safeParse(JSON.parse(text));
      return r.success ? { node, ...r.data } : undefined;
    } catch {
      return undefined;
    }
  }

  write(b: Binding): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(b.node)}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ containerId: b.containerId, netns: b.netns, ifname: b.ifname })}\n`, { mode: 0o600 });
    renameSync(tmp, this.file(b.node));
  }

  /** Put back what was there before (a failed ADD undoes its binding). */
  restore(node: string, before: Binding | undefined): void {
    if (before) this.write(before);
    else this.remove(node);
  }

  remove(node: string): void {
    rmSync(this.file(node), { force: true });
  }

  /** The bindings of a container (normally one). */
  ofContainer(containerId: string): Binding[] {
    return this.list().filter((b) => b.containerId === containerId);
  }
}
