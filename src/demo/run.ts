// `npm run demo`: the README's main job, end to end, on a fresh machine.
// Makes two new named namespaces, wires them with a veth pair exactly like
// `vethcon -n a:nic1:10.10.1.2/24 -n b:nic2:10.10.1.3/24`, then PROVES the
// link carries traffic (./echo.ts): TCP sockets made inside B and inside A by
// the namespace worker, adopted here by node:net, echo a random payload. Prints each step with its time and
// removes both namespaces whatever happens (failure, Ctrl-C, SIGTERM, SIGHUP).
// Exit 0: it worked; 1: a step failed; 130/143/129: interrupted. Traffic goes
// only between 10.10.1.2 and 10.10.1.3, inside the two new namespaces.
//
// runDemo's hooks (for tests: test/live/demo-hooks.ts) fail on purpose after
// a step, or hold there until a signal. Steps: create, wire, listen, connect, echo.

import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Vethcon } from '../api/client.js';
import { NamespaceThreads } from '../ns/index.js';
import { connect } from '../wire/connect.js';
import { assertSocketIn, connectFrom, echoRoundTrip, listenIn, waitForAbort } from './echo.js';

const ADDRESS_A = '10.10.1.2';
const ADDRESS_B = '10.10.1.3';
const PREFIX = 24;
const IFNAME_A = 'nic1';
const IFNAME_B = 'nic2';
const PAYLOAD_BYTES = 64 * 1024;
const STEPS = ['create', 'wire', 'listen', 'connect', 'echo'] as const;
export type Step = (typeof STEPS)[number];

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const EXIT_SIGNAL: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

class Interrupted extends Error {
  override name = 'Interrupted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

// ------------------------------------------------------------------ output

const out = (line: string): void => void process.stdout.write(line + '\n');
const ms = (t: number): string => `${t < 10 ? t.toFixed(2) : t.toFixed(1)} ms`;

/** `  step      1.23 ms  what happened` (no time: a failure line). */
function report(step: string, what: string, elapsed?: number): void {
  out(`  ${step.padEnd(8)} ${(elapsed === undefined ? '' : ms(elapsed)).padStart(8)}  ${what}`);
}

function hintFor(error: unknown): string {
  const e = error as { code?: string; errnoCode?: string };
  const code = e.errnoCode ?? e.code;
  if (code === 'EPERM' || code === 'EACCES') return ' (the demo creates network namespaces: run it as root, e.g. `sudo npm run demo`)';
  return '';
}

// ------------------------------------------------------------------ the demo

interface State {
  vc: Vethcon;
  threads: NamespaceThreads;
  /** Namespaces this run created (only these are ever deleted). */
  created: string[];
  server?: net.Server;
  serverConnections: Set<net.Socket>;
  client?: net.Socket;
  /** fds from the worker not yet owned by a node:net object. */
  looseFds: Set<number>;
}

/** For tests: fail on purpose after a step, or hold there until a signal. */
export interface DemoHooks {
  failAfter?: Step;
  holdAfter?: Step;
}

function hook(hooks: DemoHooks, step: Step, signal: AbortSignal): Promise<void> | undefined {
  if (hooks.failAfter === step) throw new Error(`failing on purpose after step ${step} (failAfter)`);
  if (hooks.holdAfter === step) {
    out(`  (holding after step ${step} until a signal: holdAfter)`);
    return waitForAbort(signal);
  }
  return undefined;
}

async function runSteps(state: State, nameA: string, nameB: string, signal: AbortSignal, hooks: DemoHooks): Promise<void> {
  const { vc, threads } = state;
  let current: Step = 'create';
  const begin = (step: Step): number => {
    signal.throwIfAborted();
    current = step;
    return performance.now();
  };
  try {
    // 1. Two new, empty namespaces (like `ip netns add`), each with its netlink socket opened inside.
    let t = begin('create');
    for (const name of [nameA, nameB]) {
      await vc.namespaces.create(name);
      state.created.push(name);
    }
    report('create', `netns ${nameA} (a) and ${nameB} (b)`, performance.now() - t);
    await hook(hooks, 'create', signal);

    // 2. The veth pair, addressed and up: the library's connect(), as `vethcon -d ... -d ...` runs it.
    t = begin('wire');
    const { ends } = await connect(
      { ns: { type: 'netns', name: nameA }, ifname: IFNAME_A, addresses: [`${ADDRESS_A}/${PREFIX}`] },
      { ns: { type: 'netns', name: nameB }, ifname: IFNAME_B, addresses: [`${ADDRESS_B}/${PREFIX}`] },
      { client: vc },
    );
    const [endA, endB] = ends;
    report('wire', `veth ${endA.ifname} ${endA.addresses.join(',')} in a <-> ${endB.ifname} ${endB.addresses.join(',')} in b, both up`, performance.now() - t);
    await hook(hooks, 'wire', signal);

    // 3. A TCP socket made inside B by the namespace worker, listening through node:net here.
    t = begin('listen');
    const listenFd = await threads.openTcpSocket({ name: nameB });
    state.looseFds.add(listenFd);
    assertSocketIn(listenFd, nameB, { a: nameA });
    state.looseFds.delete(listenFd); // node:net owns it from here (server.close closes it)
    const server = await listenIn(listenFd, state.serverConnections);
    state.server = server;
    const { port } = server.address() as net.AddressInfo;
    report('listen', `TCP port ${port}, socket made in b (and the kernel agrees: SIOCGSKNS)`, performance.now() - t);
    await hook(hooks, 'listen', signal);

    // 4. A TCP connection made inside A; the handshake crosses the veth pair.
    t = begin('connect');
    const clientFd = await threads.openTcpSocket({ name: nameA });
    state.looseFds.add(clientFd);
    assertSocketIn(clientFd, nameA, { b: nameB });
    state.looseFds.delete(clientFd); // node:net owns it from here (destroy closes it)
    const client = await connectFrom(clientFd, ADDRESS_B, port, (socket) => { state.client = socket; });
    report('connect', `TCP ${client.localAddress}:${client.localPort} -> ${ADDRESS_B}:${port}, socket made in a (SIOCGSKNS agrees)`, performance.now() - t);
    await hook(hooks, 'connect', signal);

    // 5. Random bytes out from A, echoed by B, compared.
    t = begin('echo');
    const payload = randomBytes(PAYLOAD_BYTES);
    const roundTrip = await echoRoundTrip(client, payload, signal);
    const seen = [...state.serverConnections].map((c) => `${c.remoteAddress} -> ${c.localAddress}`);
    if (!seen.includes(`${ADDRESS_A} -> ${ADDRESS_B}`)) throw new Error(`the listener in b saw ${seen.join(', ') || 'no connection'}, not ${ADDRESS_A} -> ${ADDRESS_B}`);
    report('echo', `${PAYLOAD_BYTES / 1024} KiB of random bytes a -> b -> a came back identical, round trip ${ms(roundTrip)}`, performance.now() - t);
    await hook(hooks, 'echo', signal);
  } catch (error) {
    if (!(error instanceof Interrupted)) report(current, `FAILED: ${(error as Error).message}`);
    throw error;
  }
}

/** Undo everything this run made; never throws. Returns what could not be undone. */
async function cleanUp(state: State): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, action: () => unknown): Promise<void> => {
    try {
      await action();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  // Sockets first: an open socket would keep its namespace alive after its name is gone.
  state.client?.destroy();
  for (const connection of state.serverConnections) connection.destroy();
  if (state.server?.listening) await attempt('close the listener', () => new Promise<void>((resolve, reject) => state.server!.close((e) => (e ? reject(e) : resolve()))));
  for (const fd of state.looseFds) await attempt(`close fd ${fd}`, () => closeSync(fd));
  await attempt('stop the namespace worker', () => state.threads.close());
  // Then the namespaces (their veth pair goes with them), newest first.
  for (const name of [...state.created].reverse()) await attempt(`delete netns ${name}`, () => state.vc.namespaces.delete(name));
  const left = state.vc.namespaces.list().filter((name) => state.created.includes(name));
  if (left.length > 0) problems.push(`still there: ${left.map((n) => `netns ${n}`).join(', ')}`);
  await attempt('close the library', () => state.vc.close());
  return problems;
}

/** Run the demo; resolves with its exit status (0 ok, 1 failed, 128+n interrupted). */
export async function runDemo(hooks: DemoHooks = {}): Promise<number> {
  for (const step of [hooks.failAfter, hooks.holdAfter]) {
    if (step !== undefined && !(STEPS as readonly string[]).includes(step)) throw new RangeError(`no demo step ${JSON.stringify(step)} (${STEPS.join(', ')})`);
  }
  const started = performance.now();
  const nameA = `vethcon-demo-a-${process.pid}`;
  const nameB = `vethcon-demo-b-${process.pid}`;
  const abort = new AbortController();
  let signalsSeen = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalsSeen++ === 0) {
      out(`  ${signal}: stopping, cleaning up`);
      abort.abort(new Interrupted(signal));
    } else {
      out(`  ${signal}: still cleaning up, one moment`);
    }
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  // Node exits once nothing holds its event loop, even mid-await (the workers
  // are unref'd while idle): hold it until cleanup has run, whatever we await.
  const keepAlive = setInterval(() => {}, 1 << 30);

  out(`vethcon demo: two new namespaces, one veth pair, one TCP echo between them`);
  const state: State = { vc: new Vethcon(), threads: new NamespaceThreads(), created: [], serverConnections: new Set(), looseFds: new Set() };
  // Start the socket worker now, in parallel with the library's own (a worker
  // takes tens of ms to start): an empty request, entering only our own netns.
  state.threads.openSockets({ current: true }, 0).catch(() => {});
  let failure: unknown = null;
  try {
    await runSteps(state, nameA, nameB, abort.signal, hooks);
  } catch (error) {
    failure = error;
  }
  const t = performance.now();
  const problems = await cleanUp(state);
  if (problems.length === 0) {
    report('cleanup', state.created.length ? `deleted ${state.created.map((n) => `netns ${n}`).join(', ')}` : 'nothing to delete', performance.now() - t);
  } else {
    for (const problem of problems) report('cleanup', `FAILED: ${problem}`);
  }
  for (const signal of SIGNALS) process.off(signal, onSignal);
  clearInterval(keepAlive);

  const total = ms(performance.now() - started);
  if (failure instanceof Interrupted) {
    out(`interrupted after ${total}${problems.length ? '; cleanup incomplete, see above' : '; nothing left behind'}`);
    return EXIT_SIGNAL[failure.signal] ?? EXIT_FAILED;
  }
  if (failure !== null || problems.length > 0) {
    const why = failure !== null ? (failure as Error).message : 'cleanup failed';
    process.stderr.write(`vethcon demo: FAILED after ${total}: ${why}${hintFor(failure)}\n`);
    if (failure !== null && process.env.VETHCON_DEBUG) process.stderr.write(`${(failure as Error).stack}\n`);
    return EXIT_FAILED;
  }
  out(`ok: the veth pair carried TCP traffic from ${ADDRESS_A} (a) to ${ADDRESS_B} (b) and back; nothing left behind (${total} in all)`);
  return EXIT_OK;
}
