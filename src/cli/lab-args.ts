// The lab commands' words: `apply LAB [--prune] [--dry-run] [--watch]
// [--json] [--host H]`, `destroy LAB [--dry-run] [--json] [--host H]`,
// `schema`. Pure.

import { quote } from '../rules/problems.js';

export type LabCommand =
  | { action: 'apply'; file: string; prune: boolean; dryRun: boolean; watch: boolean; json: boolean; host?: string }
  | { action: 'destroy'; file: string; dryRun: boolean; json: boolean; host?: string }
  | { action: 'schema' };

export const LAB_ACTIONS = new Set(['apply', 'destroy', 'schema']);

/** Errors are plain messages: args.ts turns them into UsageErrors. */
export function parseLabArgs(argv: string[]): LabCommand | 'help' | string {
  const [action, ...args] = argv;
  if (action === 'schema') return args.length === 0 ? { action } : args.includes('--help') || args.includes('-h') ? 'help' : `schema takes no arguments, not ${quote(args[0])}`;
  const allowed = action === 'apply' ? ['--prune', '--dry-run', '--watch', '--json', '--host'] : ['--dry-run', '--json', '--host'];
  const flags = new Set<string>();
  const files: string[] = [];
  let host: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--host' || a.startsWith('--host=')) {
      const v = a === '--host' ? args[++i] : a.slice(7);
      if (v === undefined || v === '' || v.startsWith('-')) return `${action}: --host needs the name of a host of the lab`;
      if (host !== undefined) return `${action}: give --host once`;
      host = v;
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      if (!allowed.includes(a)) return `${action}: unknown option ${a.length <= 64 ? a : quote(a)} (it takes ${allowed.join(', ')})`;
      flags.add(a);
    } else files.push(a);
  }
  if (files.length !== 1) return files.length ? `${action} takes one lab file; got ${files.length}` : `${action}: which lab? give the lab file: vethcon ${action} LAB.json`;
  if (flags.has('--watch') && flags.has('--dry-run')) return 'apply: --watch and --dry-run do not go together';
  const file = files[0]!;
  const json = flags.has('--json');
  const dryRun = flags.has('--dry-run');
  const where = host !== undefined ? { host } : {};
  if (action === 'apply') return { action, file, prune: flags.has('--prune'), dryRun, watch: flags.has('--watch'), json, ...where };
  return { action: 'destroy', file, dryRun, json, ...where };
}
