// The vethcon command: parse, run, print, exit. Exit 0 on success, 2 for a
// usage or validation error (nothing changed), 1 for a failure at run time
// (everything done was undone).

import { readFileSync } from 'node:fs';
import { parseArgs, type Command } from './args.js';
import { HELP } from './help.js';
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
const NETNS_USAGE_CODES = new Set(['ENONETNS', 'EBADNAME', 'EEXIST']);

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
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  let json = argv.includes('--json');
  let signals: ReturnType<typeof catchSignals> | undefined;
  try {
    const cmd = parseArgs(argv);
    json = 'json' in cmd && cmd.json;
    if ((cmd.action === 'connect' || cmd.action === 'delete') && !cmd.dryRun) signals = catchSignals();
    return await run(cmd, options, signals?.signal);
  } catch (e) {
    return reportFailure(e, json, signals?.caught());
  } finally {
    signals?.release();
  }
}

/**
 * Print why the command failed (`vethcon: ...` on stderr, and the error as
 * JSON on stdout with --json); its exit status. Also for failures before
 * main() runs, like ffi-rs not loading while the namespace threads start.
 */
export function reportFailure(e: unknown, json: boolean, caught?: NodeJS.Signals): number {
  const err = (e instanceof Error ? e : new Error(String(e))) as Error & { code?: string; errnoCode?: string };
  const usage = USAGE_ERRORS.has(err.name) || (err.name === 'NetnsError' && NETNS_USAGE_CODES.has(err.code ?? ''));
  const code = caught ? SIGNAL_EXIT[caught]! : usage ? EXIT_USAGE : EXIT_FAILED;
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: { kind: err.name, code: err.code, message: err.message } }) + '\n');
  process.stderr.write(`vethcon: ${err.message}\n`);
  if (err.name === 'UsageError') process.stderr.write("Try 'vethcon --help' for the syntax and examples.\n");
  if (err.code === 'EPERM' || err.errnoCode === 'EPERM') process.stderr.write('vethcon needs root (CAP_SYS_ADMIN to enter namespaces, CAP_NET_ADMIN to change links).\n');
  if (!usage && process.env.VETHCON_DEBUG) process.stderr.write(`${err.stack}\n`);
  return code;
}

async function run(cmd: Command, options: MainOptions, signal?: AbortSignal): Promise<number> {
  const threads = options.threads;
  switch (cmd.action) {
    case 'help':
      process.stdout.write(HELP);
      return EXIT_OK;
    case 'version':
      process.stdout.write(version() + '\n');
      return EXIT_OK;
    case 'connect': {
      if (cmd.dryRun) return dryRun(cmd);
      const { connect } = await import('../wire/connect.js');
      const { Vethcon } = await import('../api/client.js');
      const client = new Vethcon({ threads });
      const result = await connect(cmd.ends[0], cmd.ends[1], { client, beforeWiring: options.beforeWiring, signal })
        .finally(() => (options.exitWhenDone ? undefined : client.close()));
      if (cmd.json) process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
      else {
        const [a, b] = result.ends;
        const side = (e: typeof a) => `${e.endpoint} ${e.ifname}${e.addresses.length ? ` (${e.addresses.join(', ')})` : ''}`;
        process.stdout.write(`connected ${side(a)} <-> ${side(b)}\n`);
      }
      return EXIT_OK;
    }
    case 'delete': {
      const { describeEndpoint } = await import('../wire/endpoint.js');
      if (cmd.dryRun) {
        const planned = cmd.ends.map((e) => ({ endpoint: describeEndpoint(e.ns), ifname: e.ifname }));
        if (cmd.json) process.stdout.write(JSON.stringify({ ok: true, dryRun: true, delete: planned }) + '\n');
        else for (const d of planned) process.stdout.write(`would delete ${d.ifname} in ${d.endpoint}\n`);
        return EXIT_OK;
      }
      const { disconnectAll } = await import('../wire/disconnect.js');
      const { Vethcon } = await import('../api/client.js');
      const client = new Vethcon({ threads });
      const done = await disconnectAll(cmd.ends, { client, signal }).finally(() => client.close());
      if (cmd.json) process.stdout.write(JSON.stringify({ ok: true, deleted: done }) + '\n');
      else for (const d of done) process.stdout.write(`deleted ${d.ifname} in ${d.endpoint}${d.note ? `: ${d.note}` : ''}\n`);
      return EXIT_OK;
    }
    case 'monitor':
      return (await import('./monitor.js')).runMonitor(cmd, { threads, close: !options.exitWhenDone });
  }
}

/** Print the plan and the netlink requests it would send; send nothing. */
async function dryRun(cmd: Extract<Command, { action: 'connect' }>): Promise<number> {
  const { planConnect } = await import('../wire/plan.js');
  const { requestBytes, RTNETLINK } = await import('../netlink/index.js');
  const steps = planConnect(cmd.ends[0], cmd.ends[1]).map((s) => ({
    netns: s.netns,
    action: s.action,
    request: { type: s.request.type, flags: s.request.flags, header: s.request.header, attrs: s.request.attrs },
    hex: Buffer.from(requestBytes(s.request, RTNETLINK)).toString('hex'),
  }));
  if (cmd.json) {
    process.stdout.write(JSON.stringify({ ok: true, dryRun: true, steps }, null, 2) + '\n');
    return EXIT_OK;
  }
  process.stdout.write('dry run: nothing is sent. ifindex and the peer netns fd show as 0; they are only known when it runs.\n');
  steps.forEach((s, i) => {
    process.stdout.write(`\n${i + 1}. in ${s.netns}: ${s.action}\n   ${JSON.stringify(s.request)}\n   ${s.hex}\n`);
  });
  return EXIT_OK;
}
