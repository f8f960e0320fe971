/**
 * Helpers for the CLI end-to-end tests (cli.test.ts): run `vethcon` exactly as
 * a user would (a child process, argv, exit code, stdout, stderr), and look
 * at the result through iproute2's `ip -j`, the independent oracle (never
 * through our own library). Containers are entered with `nsenter -t PID -n`
 * because busybox's `ip` has no -j.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DOCKER_UNAVAILABLE, docker, dockerAvailable } from './docker-helpers.js';

const run = promisify(execFile);

/** CI=true (or any value but false/0): a test that cannot run fails instead of skipping. */
export const inCI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

const PKG = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));

/** The built executable, the package's `vethcon` bin (the one-file build, dist/vethcon.cjs). */
export const CLI = fileURLToPath(new URL(`../../../${PKG.bin.vethcon}`, import.meta.url));

/** The same command as ES modules, as tsc builds it (what the one-file build is made from). */
export const CLI_ESM = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
/** The command with a pause before wiring (VETHCON_TEST_PAUSE_BEFORE_WIRING_MS), for fault tests. */
export const CLI_PAUSED = fileURLToPath(new URL('./paused-vethcon.js', import.meta.url));

export const PKG_VERSION: string = PKG.version;

/**
 * What the CLI tests need: root, iproute2 with -j, nsenter, a Docker engine
 * with the test image, and the built CLI. Returns the problems, empty if none.
 */
export async function e2eProblems(): Promise<string[]> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push(`not root (uid ${process.getuid?.()}): creating links in other namespaces needs CAP_NET_ADMIN and CAP_SYS_ADMIN`);
  const ipj = spawnSync('ip', ['-j', 'link', 'show', 'lo'], { encoding: 'utf8' });
  if (ipj.status !== 0 || !ipj.stdout.trim().startsWith('[')) problems.push(`\`ip -j link show lo\` does not work (${(ipj.error?.message ?? ipj.stderr ?? '').trim()}); install iproute2`);
  const ns = spawnSync('nsenter', ['--version'], { encoding: 'utf8' });
  if (ns.status !== 0) problems.push('nsenter is missing (util-linux)');
  if (spawnSync('setpriv', ['--version']).status !== 0) problems.push('setpriv is missing (util-linux)');
  if (!existsSync(CLI)) problems.push(`${CLI} is missing: build with npm run build`);
  if (!(await dockerAvailable())) problems.push(DOCKER_UNAVAILABLE);
  return problems;
}

/** In a `before` hook: fail under CI, skip elsewhere, when the tests cannot run. */
export async function requireE2E(context: Mocha.Context): Promise<void> {
  const problems = await e2eProblems();
  if (problems.length === 0) return;
  if (inCI) throw new Error(`CI=true, so failing instead of skipping: the vethcon CLI e2e tests cannot run: ${problems.join('; ')}`);
  context.skip();
}

// ------------------------------------------------------------------- the CLI

export interface CliResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** For assertion messages: the command line and everything it said. */
export function show(r: CliResult): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return `vethcon ${r.args.map(quote).join(' ')} -> exit ${r.code}${r.signal ? ` (${r.signal})` : ''} in ${r.ms} ms\n--- stdout:\n${r.stdout}--- stderr:\n${r.stderr}---`;
}

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const pause of PAUSES) if (!(pause in extra)) delete env[pause];
  delete env.VETHCON_DEBUG;
  return env;
}

/**
 * Run `vethcon ARGS...` as a separate process and wait for it to exit.
 * `onStderr` sees stderr as it arrives (the fault tests use it); `cli`: another
 * build of the command (CLI_ESM).
 */
export function vethcon(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; onStderr?: (all: string, child: ChildProcess) => void; cli?: string; wrap?: string[] } = {},
): Promise<CliResult> {
  const t0 = Date.now();
  // `wrap`: a command that runs ours, e.g. setpriv dropping capabilities.
  const cli = opts.cli ?? (PAUSES.some((p) => opts.env?.[p]) ? CLI_PAUSED : CLI);
  const argv = [...(opts.wrap ?? []), process.execPath, cli, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: cliEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ args, code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

export const PAUSE_ANNOUNCEMENT = 'VETHCON_TEST_PAUSE_BEFORE_WIRING_MS';
/** The pause once the pair exists (marked pending), before it is configured. */
export const PAUSE_AFTER_CREATE = 'VETHCON_TEST_PAUSE_AFTER_CREATE_MS';
/** The pauses paused-vethcon.ts knows, by their variables (which its announcements name). */
const PAUSES = [PAUSE_ANNOUNCEMENT, PAUSE_AFTER_CREATE];

/**
 * Run the CLI with VETHCON_TEST_PAUSE_BEFORE_WIRING_MS=pauseMs (or `at`, the
 * other pause) and, as soon as it says on stderr that it is pausing there,
 * run `fault` (which must finish well within the pause). Resolves when both
 * are done.
 */
export async function vethconWithFault(
  args: string[], pauseMs: number, fault: () => Promise<void>, at: string = PAUSE_ANNOUNCEMENT,
): Promise<CliResult & { faultMs: number }> {
  let started: Promise<number> | undefined;
  let faultError: unknown;
  const r = await vethcon(args, {
    env: { [at]: String(pauseMs) },
    onStderr: (all) => {
      if (started || !all.includes(`${at}:`)) return;
      const t0 = Date.now();
      started = fault().then(() => Date.now() - t0, (e) => { faultError = e; return -1; });
    },
  });
  if (!started) throw new Error(`the CLI never announced its pause (${at}), so no fault was injected:\n${show(r)}`);
  const faultMs = await started;
  if (faultError) throw new Error(`injecting the fault failed: ${(faultError as Error).message}\n${show(r)}`, { cause: faultError });
  if (faultMs >= pauseMs) throw new Error(`injecting the fault took ${faultMs} ms, longer than the CLI's ${pauseMs} ms pause; the test proves nothing:\n${show(r)}`);
  return { ...r, faultMs };
}

// ---------------------------------------------------------------- namespaces

/** A namespace the oracle can look into. */
export type Ns =
  | { kind: 'host'; label: string }
  | { kind: 'netns'; name: string; label: string }
  | { kind: 'pid'; pid: number; label: string };

export const HOST: Ns = { kind: 'host', label: 'host' };
export const netnsNs = (name: string): Ns => ({ kind: 'netns', name, label: `netns ${name}` });
export const pidNs = (pid: number, label: string): Ns => ({ kind: 'pid', pid, label });

function ipArgv(ns: Ns, args: string[]): [string, string[]] {
  switch (ns.kind) {
    case 'host': return ['ip', args];
    case 'netns': return ['ip', ['-n', ns.name, ...args]];
    case 'pid': return ['nsenter', ['-t', String(ns.pid), '-n', 'ip', ...args]];
  }
}

/** `ip ARGS` inside `ns`; stdout. Rejects with ip's stderr. */
export async function ipIn(ns: Ns, ...args: string[]): Promise<string> {
  const [cmd, argv] = ipArgv(ns, args);
  try {
    const { stdout } = await run(cmd, argv, { maxBuffer: 1 << 26, timeout: 30_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`${cmd} ${argv.join(' ')} (in ${ns.label}): ${(e.stderr || e.message || String(err)).trim()}`, { cause: err });
  }
}

/** `ip -j ARGS` inside `ns`, parsed. */
export async function ipJson<T = any[]>(ns: Ns, ...args: string[]): Promise<T> {
  const out = (await ipIn(ns, '-j', ...args)).trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

/** One link as `ip -j -d addr show` describes it. */
export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  address: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
  [k: string]: unknown;
}

/** `ip -j link show` in `ns`. */
export const links = (ns: Ns): Promise<IpLink[]> => ipJson<IpLink[]>(ns, 'link', 'show');

/** `ip -j -d addr show dev NAME` in `ns`, or undefined when there is no such link. */
export async function linkInfo(ns: Ns, name: string): Promise<IpLink | undefined> {
  const all = await ipJson<IpLink[]>(ns, '-d', 'addr', 'show');
  return all.find((l) => l.ifname === name);
}

/** The link lists of several namespaces, keyed by label, for before/after comparison. */
export async function snapshot(nss: Ns[]): Promise<Record<string, IpLink[]>> {
  const lists = await Promise.all(nss.map((ns) => links(ns)));
  return Object.fromEntries(nss.map((ns, i) => [ns.label, lists[i]]));
}

/** Names per namespace, short, for messages. */
export function namesOf(s: Record<string, IpLink[]>): string {
  return Object.entries(s).map(([label, ls]) => `${label}: ${ls.map((l) => l.ifname).join(' ')}`).join('; ');
}

/** Wait until `check` returns true (polling), or give up after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 5000, stepMs = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** `ip netns add NAME` (a stale one is removed first) with lo up. */
export async function netnsAdd(name: string): Promise<void> {
  await netnsDel(name);
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** `ip netns del NAME`; a missing namespace is not an error. */
export async function netnsDel(name: string): Promise<void> {
  if (!existsSync(`/run/netns/${name}`)) return;
  try {
    await run('ip', ['netns', 'del', name]);
  } catch (err) {
    if (existsSync(`/run/netns/${name}`)) throw err;
  }
}

/** A running container's init PID (from `docker inspect`). */
export async function containerPid(name: string): Promise<number> {
  const pid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', name]));
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`container ${name} has no running process (pid ${pid})`);
  return pid;
}

/** A PID that no process has right now (a child that already exited). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  if (!existsSync(`/proc/${pid}`)) return pid;
  // Reused already (very unlikely): pick one above pid_max.
  return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
}
