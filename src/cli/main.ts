// The vethcon command: parse, run, print, exit. Exit 0 on success; 2 when it
// stopped before changing anything: a usage or validation error, a container
// or engine problem, or a privilege it lacks (refused before any change, or
// at the first change, which then did not happen); 1 for a failure at run
// time after something was changed (everything done was undone).
// Everything written to the terminal from outside text goes through
// printable() (or jsonText() for --json).

import { readFileSync } from 'node:fs';
import { parseArgs, type Command } from './args.js';
import { HELP } from './help.js';
import { jsonText, printable } from './printable.js';
import type { NamespaceThreads } from '../ns/index.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** 128 + the signal's number, for a command stopped by one of these. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP while the command may change things: the
 * first one stops it at its next step, where what it did is undone, and the
 * exit code is 128 + the signal's number; a second one ends the process at
 * once (for a command stuck waiting, say on a Docker engine).
 */
function catchSignals(): { signal: AbortSignal; caught: () => NodeJS.Signals | undefined; release: () => void } {
  const controller = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const on = (sig: NodeJS.Signals): void => {
    if (caught) process.exit(SIGNAL_EXIT[sig]);
    caught = sig;
    controller.abort(new Error(`interrupted (${sig})`));
  };
  const signals = Object.keys(SIGNAL_EXIT) as NodeJS.Signals[];
  for (const sig of signals) process.on(sig, on);
  return { signal: controller.signal, caught: () => caught, release: () => signals.forEach((sig) => process.off(sig, on)) };
}

/** Errors that mean "nothing was changed because the request itself is wrong". */
const USAGE_ERRORS = new Set(['UsageError', 'ValidationError', 'ConflictError', 'NotFoundError', 'DockerError']);
const NETNS_USAGE_CODES = new Set(['ENONETNS', 'ENOTNETNS', 'EBADNAME', 'EEXIST']);
/** Errors that come only after something was changed. */
const AFTER_A_CHANGE = new Set(['DeleteError']);
const NEEDS_ROOT = 'vethcon needs root (CAP_SYS_ADMIN to enter namespaces, CAP_NET_ADMIN to change links).';

/** The Usage: block of the help, for stderr when the command line says nothing to do. */
function usageLines(): string {
  const start = HELP.indexOf('Usage:');
  const end = HELP.indexOf('\n\n', start);
  return HELP.slice(start, end < 0 ? undefined : end + 1);
}

/**
 * Was it refused for want of a privilege (EPERM, EACCES), here or in any
 * error it wraps (`cause`: a WiringError around the kernel's NetlinkError)?
 * Not a DockerError: the engine's socket is another matter, which its
 * message explains.
 */
function lacksPrivilege(e: unknown): boolean {
  for (let depth = 0; e instanceof Error && depth < 8; depth++, e = e.cause) {
    if (e.name === 'DockerError') return false;
    const { code, errnoCode } = e as { code?: unknown; errnoCode?: unknown };
    if (code === 'EPERM' || code === 'EACCES' || errnoCode === 'EPERM' || errnoCode === 'EACCES') return true;
  }
  return false;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  return `vethcon ${pkg.version}`;
}

export interface MainOptions {
  /** Namespace worker threads the caller already started (see bin.ts). */
  threads?: NamespaceThreads;
  /** The process exits right after: closing sockets and the worker would only delay it. */
  exitWhenDone?: boolean;
  /** Called after validation, before the first change (see connect()). */
  beforeWiring?: (signal?: AbortSignal) => Promise<void>;
  /** Called once the pair exists, before it is configured (see connect()). */
  afterCreate?: (signal?: AbortSignal) => Promise<void>;
}

/** What the command has done so far: whether anything was changed, for the exit status of a failure. */
export interface Progress {
  changed: boolean;
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  let json = argv.includes('--json');
  let signals: ReturnType<typeof catchSignals> | undefined;
  const progress: Progress = { changed: false };
  try {
    const cmd = parseArgs(argv);
    json = 'json' in cmd && cmd.json;
    if ((cmd.action === 'connect' || cmd.action === 'attach' || cmd.action === 'delete' || cmd.action === 'gc' || cmd.action === 'apply' || cmd.action === 'destroy') && !cmd.dryRun) signals = catchSignals();
    if ((cmd.action === 'connect' || cmd.action === 'attach' || cmd.action === 'delete') && cmd.dockerTimeoutMs !== undefined) {
      (await import('../docker/index.js')).setEngineLimits({ timeoutMs: cmd.dockerTimeoutMs });
    }
    return await run(cmd, options, progress, signals?.signal);
  } catch (e) {
    return reportFailure(e, json, signals?.caught(), progress.changed);
  } finally {
    signals?.release();
  }
}

/**
 * Print why the command failed (`vethcon: ...` on stderr, and the error as
 * JSON on stdout with --json); its exit status. Also for failures before
 * main() runs, like ffi-rs not loading while the namespace threads start.
 * `changed`: something was changed before the failure (then undone).
 * A privilege refused before any change (entering a namespace, or the first
 * change itself, which then did not happen) changed nothing: exit 2, as for
 * a usage error, with what vethcon needs.
 */
export function reportFailure(e: unknown, json: boolean, caught?: NodeJS.Signals, changed = false): number {
  const err = (e instanceof Error ? e : new Error(String(e))) as Error & { code?: string; errnoCode?: string };
  const privilege = lacksPrivilege(err);
  const nothingChanged = !changed && !AFTER_A_CHANGE.has(err.name);
  const usage = USAGE_ERRORS.has(err.name) || (err.name === 'NetnsError' && NETNS_USAGE_CODES.has(err.code ?? ''));
  const code = caught ? SIGNAL_EXIT[caught]! : usage || (privilege && nothingChanged) ? EXIT_USAGE : EXIT_FAILED;
  if (json) process.stdout.write(jsonText({ ok: false, error: { kind: err.name, code: err.code, message: err.message } }) + '\n');
  process.stderr.write(`vethcon: ${printable(err.message)}\n`);
  if (err.name === 'UsageError') {
    if ((err as { showUsage?: boolean }).showUsage) process.stderr.write(usageLines());
    process.stderr.write("Try 'vethcon --help' for the syntax and examples.\n");
  } else if (err.name === 'DockerError' && err.code === 'ETIMEDOUT') process.stderr.write('A slower engine may need more time: --docker-timeout SECONDS.\n');
  if (privilege) process.stderr.write(`${NEEDS_ROOT}\n`);
  if (!usage && process.env.VETHCON_DEBUG) process.stderr.write(`${(err.stack ?? '').split('\n').map(printable).join('\n')}\n`);
  return code;
}

async function run(cmd: Command, options: MainOptions, progress: Progress, signal?: AbortSignal): Promise<number> {
  const threads = options.threads;
  switch (cmd.action) {
    case 'help':
      process.stdout.write(HELP);
      return EXIT_OK;
    case 'version':
      process.stdout.write(version() + '\n');
      return EXIT_OK;
    case 'connect': {
      if (cmd.dryRun) return dryRun(cmd, options);
      const { connect } = await import('../wire/connect.js');
      const { Vethcon } = await import('../api/client.js');
      const client = new Vethcon({ threads });
      // afterCreate: from there on, a failure is one after a change (the pair is removed again).
      const afterCreate = async (s?: AbortSignal): Promise<void> => {
        progress.changed = true;
        await options.afterCreate?.(s);
      };
      const result = await connect(cmd.ends[0], cmd.ends[1], { client, beforeWiring: options.beforeWiring, afterCreate, signal })
        .finally(() => (options.exitWhenDone ? undefined : client.close()));
      if (cmd.json) process.stdout.write(jsonText({ ok: true, ...result }) + '\n');
      else {
        const [a, b] = result.ends;
        const side = (e: typeof a) => `${e.endpoint} ${e.ifname}${e.addresses.length ? ` (${e.addresses.join(', ')})` : ''}`;
        process.stdout.write(`connected ${printable(side(a))} <-> ${printable(side(b))}\n`);
      }
      return EXIT_OK;
    }
    case 'delete': {
      if (cmd.dryRun) return dryRun(cmd, options);
      const { disconnectAll } = await import('../wire/disconnect.js');
      const { Vethcon } = await import('../api/client.js');
      const client = new Vethcon({ threads });
      const done = await disconnectAll(cmd.ends, { client, signal }).finally(() => client.close());
      if (cmd.json) process.stdout.write(jsonText({ ok: true, deleted: done }) + '\n');
      else for (const d of done) process.stdout.write(printable(`deleted ${d.ifname} in ${d.endpoint}${d.note ? `: ${d.note}` : ''}`) + '\n');
      return EXIT_OK;
    }
    case 'attach':
      return runAttach(cmd, options, progress, signal);
    case 'gc':
      return runGc(cmd, options, signal);
    case 'monitor':
      return (await import('./monitor.js')).runMonitor(cmd, { threads, close: !options.exitWhenDone });
    case 'show':
      return (await import('./show.js')).runShow(cmd, { threads, close: !options.exitWhenDone });
    case 'apply':
    case 'destroy':
    case 'schema':
      return (await import('./lab.js')).runLab(cmd, { threads, close: !options.exitWhenDone, signal, progress });
  }
}

/** `vethcon gc`: remove (or list) the incomplete pairs of ours, say what and where. */
async function runGc(cmd: Extract<Command, { action: 'gc' }>, options: MainOptions, signal?: AbortSignal): Promise<number> {
  const { gc, describePair } = await import('../wire/gc.js');
  const { Vethcon } = await import('../api/client.js');
  const client = new Vethcon({ threads: options.threads });
  const result = await gc({ client, dryRun: cmd.dryRun, signal }).finally(() => (options.exitWhenDone ? undefined : client.close()));
  if (cmd.json) {
    process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
    return EXIT_OK;
  }
  for (const n of result.notes) process.stdout.write(`note: ${n}\n`);
  for (const p of result.removed) process.stdout.write(`${cmd.dryRun ? 'would remove' : 'removed'} ${describePair(p)}: ${p.reason}\n`);
  for (const p of result.skipped) process.stdout.write(`left ${describePair(p)}: ${p.reason}\n`);
  if (!result.removed.length) process.stdout.write(`nothing to clean up: no incomplete pair of vethcon's ${result.skipped.length ? 'whose maker has ended ' : ''}in ${result.scanned} namespaces\n`);
  return EXIT_OK;
}

/**
 * `vethcon attach`: the first end made of a link of its own kind (-x, -M, -V)
 * on a parent device in the current namespace.
 */
async function runAttach(cmd: Extract<Command, { action: 'attach' }>, options: MainOptions, progress: Progress, signal?: AbortSignal): Promise<number> {
  if (cmd.dryRun) return dryRun(cmd, options);
  const { attach } = await import('../wire/attach.js');
  const { Vethcon } = await import('../api/client.js');
  const client = new Vethcon({ threads: options.threads });
  const afterCreate = async (s?: AbortSignal): Promise<void> => {
    progress.changed = true;
    await options.afterCreate?.(s);
  };
  const result = await attach(cmd.end, cmd.link, { client, beforeWiring: options.beforeWiring, afterCreate, signal })
    .finally(() => (options.exitWhenDone ? undefined : client.close()));
  if (cmd.json) {
    process.stdout.write(jsonText({ ok: true, ...result }) + '\n');
    return EXIT_OK;
  }
  const e = result.end;
  const opts = Object.entries(result.options).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(printable(`made ${result.kind} ${e.ifname} in ${e.endpoint}${e.addresses.length ? ` (${e.addresses.join(', ')})` : ''} on ${result.parent.ifname} of ${result.parent.endpoint}${opts ? `: ${opts}` : ''}`) + '\n');
  return EXIT_OK;
}

type DryRunCommand = Extract<Command, { action: 'connect' | 'attach' | 'delete' }>;

/**
 * --dry-run: every check a real run makes before its first change (the
 * container running, the namespaces there, names free or links there, the
 * parent device there), failing as the run would (exit 2 and why); then
 * the plan, each request with its type, flags and attributes by name.
 * Nothing is changed.
 */
async function dryRun(cmd: DryRunCommand, options: MainOptions): Promise<number> {
  const { describeRequest, describeRequestText, requestBytes, RTNETLINK } = await import('../netlink/index.js');
  const { Vethcon } = await import('../api/client.js');
  const client = new Vethcon({ threads: options.threads });
  let planned: import('../wire/plan.js').PlanStep[];
  try {
    if (cmd.action === 'connect') planned = await (await import('../wire/connect.js')).checkConnect(cmd.ends[0], cmd.ends[1], { client });
    else if (cmd.action === 'attach') planned = await (await import('../wire/attach.js')).checkAttach(cmd.end, cmd.link, { client });
    else planned = await (await import('../wire/disconnect.js')).checkDisconnectAll(cmd.ends, { client });
  } finally {
    if (!options.exitWhenDone) await client.close();
  }
  const steps = planned.map((s) => ({
    netns: s.netns,
    action: s.action,
    request: describeRequest(s.request),
    hex: Buffer.from(requestBytes(s.request, RTNETLINK)).toString('hex'),
  }));
  if (cmd.json) {
    process.stdout.write(jsonText({ ok: true, dryRun: true, steps }, 2) + '\n');
    return EXIT_OK;
  }
  const made = cmd.action === 'delete' ? 'every link is there' : 'the names are free';
  process.stdout.write(`dry run: checked, ${made}; nothing is sent. Numbers known only when it runs (new ifindexes, the mark's id) show as 0.\n`);
  steps.forEach((s, i) => {
    process.stdout.write(`\n${i + 1}. in ${printable(s.netns)}: ${printable(s.action)}\n   ${printable(describeRequestText(s.request))}\n`);
  });
  return EXIT_OK;
}
