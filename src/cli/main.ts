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
    const err = e as Error & { code?: string; errnoCode?: string };
    const usage = USAGE_ERRORS.has(err.name) || (err.name === 'NetnsError' && NETNS_USAGE_CODES.has(err.code ?? ''));
    const caught = signals?.caught();
    const code = caught ? SIGNAL_EXIT[caught]! : usage ? EXIT_USAGE : EXIT_FAILED;
    if (json) process.stdout.write(JSON.stringify({ ok: false, error: { kind: err.name, code: err.code, message: err.message } }) + '\n');
    process.stderr.write(`vethcon: ${err.message}\n`);
    if (err.name === 'UsageError') process.stderr.write("Try 'vethcon --help' for the syntax and examples.\n");
    if (err.code === 'EPERM' || err.errnoCode === 'EPERM') process.stderr.write('vethcon needs root (CAP_SYS_ADMIN to enter namespaces, CAP_NET_ADMIN to change links).\n');
    if (!usage && process.env.VETHCON_DEBUG) process.stderr.write(`${err.stack}\n`);
    return code;
  } finally {
    signals?.release();
  }
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
      const pause = Number(process.env.VETHCON_TEST_PAUSE_BEFORE_WIRING_MS ?? 0);
      const client = new Vethcon({ threads });
      const result = await connect(cmd.ends[0], cmd.ends[1], {
        client,
        // A test hook: lets fault tests change the world between validation and wiring.
        // It says on stderr when the pause starts, so a test knows validation is done.
        beforeWiring: pause > 0 ? () => {
          process.stderr.write(`vethcon: VETHCON_TEST_PAUSE_BEFORE_WIRING_MS: validated; pausing ${pause} ms before wiring\n`);
          return new Promise((r) => {
            const timer = setTimeout(r, pause);
            signal?.addEventListener('abort', () => { clearTimeout(timer); r(undefined); }, { once: true });
          });
        } : undefined,
        signal,
      }).finally(() => (options.exitWhenDone ? undefined : client.close()));
      if (cmd.json) process.stdout.write(JSON.stringify({ ok: true, ...result }) + '\n');
      else {
        const [a, b] = result.ends;
        const side = (e: typeof a) => `${e.endpoint} ${e.ifname}${e.addresses.length ? ` (${e.addresses.join(', ')})` : ''}`;
        process.stdout.write(`connected ${side(a)} <-> ${side(b)}\n`);
      }
      return EXIT_OK;
    }
    case 'delete': {
      if (cmd.dryRun) {
        for (const e of cmd.ends) process.stdout.write(`would delete ${e.ifname} in ${(await import('../wire/endpoint.js')).describeEndpoint(e.ns)}\n`);
        return EXIT_OK;
      }
      const { disconnect, reasonOf, stoppedBeforeAnyChange } = await import('../wire/connect.js');
      const { Vethcon } = await import('../api/client.js');
      const client = new Vethcon({ threads });
      const done: { endpoint: string; ifname: string; note?: string }[] = [];
      try {
        // Every link is checked before the first is deleted, so a typo in the
        // second one changes nothing (exit 2 means exactly that).
        for (const e of cmd.ends) await disconnect(e.ns, e.ifname, { client, checkOnly: true });
        for (const e of cmd.ends) {
          if (signal?.aborted) {
            if (!done.length) throw stoppedBeforeAnyChange(signal);
            throw Object.assign(new Error(`${reasonOf(signal)}; already deleted: ${done.map((d) => `${d.ifname} in ${d.endpoint}`).join(', ')}`), { name: 'DeleteError' });
          }
          try {
            done.push(await disconnect(e.ns, e.ifname, { client }));
          } catch (err) {
            // Deleting one end of a veth takes its peer: `-D c1,eth1 -D c2,eth1` is fine.
            if ((err as Error).name === 'NotFoundError' && done.length) {
              done.push({ endpoint: (await import('../wire/endpoint.js')).describeEndpoint(e.ns), ifname: e.ifname, note: 'already gone (deleted with its peer)' });
              continue;
            }
            if (!done.length) throw err;
            const e2 = new Error(`${(err as Error).message}; already deleted: ${done.map((d) => `${d.ifname} in ${d.endpoint}`).join(', ')}`);
            e2.name = 'DeleteError';
            throw e2;
          }
        }
      } finally {
        await client.close();
      }
      if (cmd.json) process.stdout.write(JSON.stringify({ ok: true, deleted: done }) + '\n');
      else for (const d of done) process.stdout.write(`deleted ${d.ifname} in ${d.endpoint}${d.note ? `: ${d.note}` : ''}\n`);
      return EXIT_OK;
    }
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
