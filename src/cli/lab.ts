// `vethcon apply LAB`, `vethcon destroy LAB`, `vethcon schema`: a lab file
// made true, taken down, or its JSON Schema for editors. Progress goes to a
// terminal's stderr for a run over a second, nowhere when piped.

import type { LabCommand } from './lab-args.js';
import { jsonText, printable } from './printable.js';
import type { NamespaceThreads } from '../ns/index.js';
import type { ApplyResult, LinkOutcome } from '../lab/index.js';

export interface LabRunOptions {
  threads?: NamespaceThreads;
  close: boolean;
  signal?: AbortSignal;
  /** Set once something may have been changed: a failure then exits 1, not 2. */
  progress: { changed: boolean };
}

/**
 * `done/total links` on the terminal, shown only once the run has taken a
 * second; nothing when stderr is not a terminal (piped, a file).
 */
export function progressLine(what: string, out: { isTTY?: boolean; write(s: string): unknown } = process.stderr, now: () => number = () => performance.now()): { update: (done: number, total: number) => void; end: () => void } {
  const tty = out.isTTY === true;
  const start = now();
  let shown = false;
  return {
    update: (done, total) => {
      if (!tty || now() - start < 1000) return;
      shown = true;
      out.write(`\r${what}: ${done}/${total} links`);
    },
    end: () => { if (shown) out.write('\r\x1b[K'); },
  };
}

const ORDER: Record<LinkOutcome['action'], number> = { created: 0, updated: 1, removed: 2, waiting: 3, kept: 4, unchanged: 5 };

const WOULD: Partial<Record<LinkOutcome['action'], string>> = { created: 'would create', updated: 'would update', removed: 'would remove' };

export function labReport(r: ApplyResult): string {
  const counts = new Map<string, number>();
  for (const l of r.links) counts.set(l.action, (counts.get(l.action) ?? 0) + 1);
  const would = r.dryRun ? 'would be ' : '';
  const summary = [...counts].sort((a, b) => ORDER[a[0] as LinkOutcome['action']] - ORDER[b[0] as LinkOutcome['action']]).map(([a, n]) => `${n} ${a === 'unchanged' || a === 'kept' || a === 'waiting' ? a : would + a}`).join(', ');
  const lines: string[] = [];
  if (!r.changed) lines.push(`lab ${r.lab}: nothing to change${r.links.length ? ` (${summary})` : ' (no links of the lab found)'}`);
  else lines.push(`lab ${r.lab}${r.dryRun ? ' (dry run: nothing was changed)' : ''}: ${summary}`);
  for (const l of [...r.links].sort((a, b) => ORDER[a.action] - ORDER[b.action])) {
    if (l.action === 'unchanged') continue;
    const verb = r.dryRun && l.action in WOULD ? WOULD[l.action]! : l.action;
    lines.push(`  ${verb.padEnd(8)} ${l.link}${l.changes.length && l.changes[0] !== 'create' ? ` (${l.changes.join('; ')})` : ''}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.map(printable).join('\n') + '\n';
}

export async function runLab(cmd: LabCommand, opts: LabRunOptions): Promise<number> {
  if (cmd.action === 'schema') {
    const lab = await import('../lab/index.js');
    process.stdout.write(JSON.stringify(lab.labJsonSchema(), null, 2) + '\n');
    return 0;
  }
  const { readLabJson, netnsNamesIn } = await import('../lab/file.js');
  const value = readLabJson(cmd.file);
  const { Vethcon } = await import('../api/client.js');
  const client = new Vethcon({ threads: opts.threads });
  try {
    // The namespace worker opens the sockets of the namespaces the file names
    // while the lab code loads and checks it (nothing is changed by that).
    void client.prefetch(netnsNamesIn(value));
    const lab = await import('../lab/index.js');
    const file = lab.parseLab(value, cmd.file);
    if (cmd.action === 'apply' && cmd.watch) {
      const { watchLab } = await import('../lab/watch.js');
      return await watchLab(file, { client, prune: cmd.prune, host: cmd.host, signal: opts.signal, report: (r) => {
        process.stdout.write(cmd.json ? jsonText({ ok: true, ...r }) + '\n' : labReport(r));
      }, problem: (e) => process.stderr.write(`vethcon: ${printable(e.message)}\n`) });
    }
    const line = progressLine(`${cmd.action} ${file.name}`);
    const onProgress = (done: number, total: number): void => {
      opts.progress.changed = true;
      line.update(done, total);
    };
    const run = cmd.action === 'apply' ? lab.applyLab(file, { client, prune: cmd.prune, dryRun: cmd.dryRun, host: cmd.host, onProgress, signal: opts.signal })
      : lab.destroyLab(file, { client, dryRun: cmd.dryRun, host: cmd.host, onProgress, signal: opts.signal });
    const result = await run.finally(line.end);
    process.stdout.write(cmd.json ? jsonText({ ok: true, ...result }) + '\n' : labReport(result));
    return 0;
  } finally {
    if (opts.close) await client.close();
  }
}
