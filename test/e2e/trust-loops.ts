// The loops behind the trust e2e tests and their bench (trust-bench.ts):
// real runs of the shipped CLI racing a `mount --bind` that re-points one
// end's name, and real runs killed with SIGKILL at random moments. The
// oracle is `ip -j -d` (through nsenter for a namespace no name leads to any
// more) and `docker`, never our library. Not a test file itself.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { CLI, CLI_PAUSED, PAUSE_AFTER_CREATE } from './cli-helpers.js';

/** `ip -j ARGS` in the namespace at `nsFile` (a path or /proc/PID/fd/N), or in ours without it. */
export function ipJ(nsFile: string | undefined, ...args: string[]): any[] {
  const argv = nsFile ? ['nsenter', `--net=${nsFile}`, 'ip', '-j', ...args] : ['ip', '-j', ...args];
  const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
  return out ? JSON.parse(out) : [];
}

/** Links carrying a mark of ours there: an alias `vethcon:...`, or a link group of ours (0x76 in the top byte). */
export function marked(nsFile: string | undefined): string[] {
  return ipJ(nsFile, '-d', 'link', 'show')
    .filter((l) => String(l.ifalias ?? '').startsWith('vethcon:') || (Number(l.group) >>> 24 === 0x76 && Number.isInteger(Number(l.group))))
    .map((l) => `${l.ifname} (${l.ifalias ?? `group ${l.group}`})`);
}

const netnsFile = (name: string): string => `/run/netns/${name}`;
const sh = (cmd: string, ...args: string[]): void => { execFileSync(cmd, args, { stdio: 'ignore' }); };

/** Remove a name with every mount layered on it. */
export function dropName(name: string): void {
  const path = netnsFile(name);
  for (let i = 0; i < 10 && spawnSync('mountpoint', ['-q', path]).status === 0; i++) spawnSync('umount', ['-l', path]);
  spawnSync('rm', ['-f', path]);
}

export function addName(name: string): void {
  dropName(name);
  sh('ip', 'netns', 'add', name);
}

export interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/**
 * Run the shipped CLI; `killAfterMs`: SIGKILL it then. `killMidWiring`: run
 * the paused build instead and SIGKILL it as soon as the pair exists.
 */
export function runCli(args: string[], killAfterMs?: number, killMidWiring = false): Promise<Exit> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.VETHCON_DEBUG;
    if (killMidWiring) env[PAUSE_AFTER_CREATE] = '10000';
    // VETHCON_TRUST_CLI: another build of the command, to measure it the same way (an older commit's, say).
    const cli = killMidWiring ? CLI_PAUSED : process.env.VETHCON_TRUST_CLI || CLI;
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (killMidWiring && stderr.includes(`${PAUSE_AFTER_CREATE}:`)) child.kill('SIGKILL');
    });
    const killer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (killer) clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ the remount race

export interface RaceStats {
  runs: number;
  /** Exit 0 with the pair wired as asked, in the namespace the name led to when it was pinned. */
  ok: number;
  /** Exit 1 (or 2): the pair must be gone from everywhere. */
  failed: number;
  /** Exit 0 while the wiring is wrong: must be 0. */
  wrongWiring: string[];
  /** A failed run that left something of ours somewhere: must be 0. */
  leftovers: string[];
  /** Runs where the mount landed before the CLI was done (so the race was real). */
  mountedBeforeExit: number;
}

/** What is wrong with a pair reported connected: '' if nothing. */
function wiringProblem(a: string, oldFile: string, freshName: string): string {
  const end = (file: string | undefined, name: string) => ipJ(file, '-d', 'addr', 'show').find((l) => l.ifname === name);
  const t0 = end(netnsFile(a), 't0');
  const inOld = end(oldFile, 't1');
  const inNew = end(netnsFile(freshName), 't1');
  const t1 = inOld ?? inNew;
  const problems: string[] = [];
  if (!t0) problems.push('t0 missing in a');
  if (!t1) problems.push('t1 in neither the old nor the new namespace');
  if (inOld && inNew) problems.push('t1 in both namespaces');
  const v4 = (l: any) => (l?.addr_info ?? []).filter((x: any) => x.family === 'inet').map((x: any) => `${x.local}/${x.prefixlen}`);
  if (t0 && (!t0.flags.includes('UP') || v4(t0).join() !== '10.60.0.1/24')) problems.push(`t0 ${t0.flags} ${v4(t0)}`);
  if (t1 && (!t1.flags.includes('UP') || v4(t1).join() !== '10.60.0.2/24')) problems.push(`t1 ${t1.flags} ${v4(t1)}`);
  if (t0 && t1 && t0.link_index !== t1.ifindex) problems.push('t0 and t1 are not each other\'s peer');
  // Another build (VETHCON_TRUST_CLI, an older one) may not mark its links: only the wiring counts then.
  const marks = !process.env.VETHCON_TRUST_CLI;
  if (marks && t0 && t1 && (!/^vethcon:v1:[0-9a-f]{16}$/.test(t0.ifalias ?? '') || t1.ifalias !== t0.ifalias)) problems.push(`marks ${t0.ifalias} / ${t1.ifalias}`);
  // The address on no other link of either namespace (the old bug put it on an unrelated one).
  for (const [file, label] of [[oldFile, 'old'], [netnsFile(freshName), 'new']] as const) {
    for (const l of ipJ(file, 'addr', 'show')) {
      if (l.ifname !== 't1' && v4(l).some((c: string) => c.startsWith('10.60.0.2/'))) problems.push(`10.60.0.2 on ${l.ifname} in the ${label} namespace`);
    }
  }
  return problems.join('; ');
}

/**
 * `runs` times: fresh namespaces V and NEW (and a kept `a`); the CLI wires
 * a <-> V while, after a random delay in [0, spreadMs), `mount --bind NEW V`
 * re-points V. Every exit 0 must be right, every failure must leave nothing.
 */
export async function remountRace(prefix: string, runs: number, log?: (line: string) => void, window?: [number, number]): Promise<RaceStats & { spreadMs: number }> {
  const a = `${prefix}-a`;
  const v = `${prefix}-v`;
  const fresh = `${prefix}-new`;
  addName(a);
  try {
    // The mount lands anywhere from the CLI's start to a little past its usual end: as long as 3 plain runs take.
    addName(v);
    let spreadMs = 0;
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['-n', `${a},t0,10.60.0.1/24`, '-n', `${v},t1,10.60.0.2/24`]);
      if (r.code !== 0) throw new Error(`a plain run failed: ${r.stderr}`);
      spreadMs = Math.max(spreadMs, r.ms * 1.2);
      spawnSync('ip', ['-n', a, 'link', 'del', 't0']);
    }
    dropName(v);
    return { ...(await race(a, v, fresh, runs, window ?? [0, spreadMs], log)), spreadMs: window?.[1] ?? spreadMs };
  } finally {
    dropName(a);
  }
}

async function race(a: string, v: string, fresh: string, runs: number, [from, to]: [number, number], log?: (line: string) => void): Promise<RaceStats> {
  const stats: RaceStats = { runs, ok: 0, failed: 0, wrongWiring: [], leftovers: [], mountedBeforeExit: 0 };
  {
    for (let i = 0; i < runs; i++) {
      addName(v);
      addName(fresh);
      // Links in the old V at the ifindexes the peer gets in NEW (2 and 3): where the old bug put its addresses.
      sh('ip', '-n', v, 'link', 'add', 'pad0', 'type', 'veth', 'peer', 'name', 'pad1');
      const oldFd = openSync(netnsFile(v), 'r');
      const oldFile = `/proc/${process.pid}/fd/${oldFd}`;
      try {
        const delay = from + Math.random() * (to - from);
        const cli = runCli(['-n', `${a},t0,10.60.0.1/24`, '-n', `${v},t1,10.60.0.2/24`]);
        let cliDone = false;
        void cli.then(() => { cliDone = true; });
        await sleep(delay);
        const mountedEarly = !cliDone;
        sh('mount', '--bind', netnsFile(fresh), netnsFile(v));
        const r = await cli;
        // The mount runs synchronously: the CLI had not ended when it began.
        if (mountedEarly) stats.mountedBeforeExit++;
        const tag = `run ${i + 1} (mount at ${delay.toFixed(0)} ms, CLI ${r.ms} ms, exit ${r.code})`;
        if (r.code === 0) {
          stats.ok++;
          const wrong = wiringProblem(a, oldFile, fresh);
          if (wrong) stats.wrongWiring.push(`${tag}: ${wrong}`);
          spawnSync('ip', ['-n', a, 'link', 'del', 't0']);
        } else {
          stats.failed++;
          const left = [
            ...marked(netnsFile(a)).map((x) => `a: ${x}`), ...marked(oldFile).map((x) => `old V: ${x}`),
            ...marked(netnsFile(fresh)).map((x) => `new V: ${x}`), ...marked(undefined).map((x) => `host: ${x}`),
            ...ipJ(oldFile, 'addr', 'show').flatMap((l) => (l.addr_info ?? []).filter((x: any) => x.local === '10.60.0.2').map(() => `old V: 10.60.0.2 on ${l.ifname}`)),
          ];
          if (r.code !== 1 && r.code !== 2) left.push(`exit ${r.code} ${r.signal ?? ''}: ${r.stderr.trim()}`);
          if (left.length) stats.leftovers.push(`${tag}: ${left.join(', ')} — ${r.stderr.trim()}`);
          spawnSync('ip', ['-n', a, 'link', 'del', 't0']);
        }
        log?.(`${tag}${r.code ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`);
      } finally {
        closeSync(oldFd);
        dropName(v);
        dropName(fresh);
      }
    }
  }
  return stats;
}

// ---------------------------------------------------------------- kill + gc

export interface KillTarget {
  /** The flag and target of an end: ['-n', 'ns'] or ['-d', 'container']. */
  ends: [[string, string], [string, string]];
  /** Where to look for marks: the namespace files of both ends. */
  files: [string, string];
}

export interface KillStats {
  kills: number;
  /** Of them, runs killed right after the pair was made (the paused build): each leaves a pending pair. */
  midWiring: number;
  /** Runs that finished before their kill (their pairs are deleted by hand, as a user would). */
  finished: number;
  /** Killed runs. */
  killed: number;
  /** Killed after its pair was complete (both ends marked so), before it could say so: a pair in use, deleted by hand. */
  killedWhenComplete: number;
  /** Links of ours left in the runs' namespaces after one `vethcon gc`: must be 0. */
  left: string[];
  gc: Exit;
  /** Pairs gc reported removed. */
  removed: number;
}

/**
 * `kills` runs of the CLI over `targets` in turn, each SIGKILLed at a random
 * moment in [0, maxMs), except every `midWiringEvery`-th, killed right after
 * its pair was made (a random moment rarely lands in the few ms of
 * wiring); then one `vethcon gc --json`, after which no link of ours may
 * remain in any of the targets' namespaces or the host.
 */
export async function killThenGc(targets: KillTarget[], kills: number, maxMs: number, midWiringEvery: number, log?: (line: string) => void): Promise<KillStats> {
  const stats: KillStats = { kills, midWiring: 0, finished: 0, killed: 0, killedWhenComplete: 0, left: [], gc: undefined as unknown as Exit, removed: 0 };
  for (let i = 0; i < kills; i++) {
    const t = targets[i % targets.length]!;
    const mid = midWiringEvery > 0 && i % midWiringEvery === midWiringEvery - 1;
    const at = mid ? undefined : Math.random() * maxMs;
    if (mid) stats.midWiring++;
    const [[fa, ta], [fb, tb]] = t.ends;
    const r = await runCli([fa, `${ta},k${i}a,10.64.${i % 250}.1/24`, fb, `${tb},k${i}b,10.64.${i % 250}.2/24`], at, mid);
    if (r.signal === 'SIGKILL') {
      stats.killed++;
      // Killed in the last moments, once both ends were complete: the pair is done and in use, not gc's business.
      const ends = [ipJ(t.files[0], '-d', 'link', 'show').find((l) => l.ifname === `k${i}a`), ipJ(t.files[1], '-d', 'link', 'show').find((l) => l.ifname === `k${i}b`)];
      if (ends.every((l) => /^vethcon:v1:[0-9a-f]{16}$/.test(l?.ifalias ?? '')) && ends[0].ifalias === ends[1].ifalias) {
        stats.killedWhenComplete++;
        execFileSync('nsenter', [`--net=${t.files[0]}`, 'ip', 'link', 'del', `k${i}a`]);
      }
    } else {
      stats.finished++;
      // Done before the kill: a pair in use (or a failure the CLI reported); not gc's business.
      if (r.code === 0) execFileSync('nsenter', [`--net=${t.files[0]}`, 'ip', 'link', 'del', `k${i}a`]);
    }
    log?.(`kill ${i + 1} ${mid ? 'once the pair was made' : `at ${at!.toFixed(0)} ms`}: ${r.signal ?? `exit ${r.code}`} after ${r.ms} ms`);
  }
  stats.gc = await runCli(['gc', '--json']);
  log?.(`vethcon gc --json: exit ${stats.gc.code}\n${stats.gc.stdout}${stats.gc.stderr}`);
  try {
    stats.removed = (JSON.parse(stats.gc.stdout).removed ?? []).length;
  } catch { /* the exit code says it failed */ }
  const files = [...new Set(targets.flatMap((t) => t.files))];
  for (const f of files) stats.left.push(...marked(f).map((x) => `${f}: ${x}`));
  stats.left.push(...marked(undefined).map((x) => `host: ${x}`));
  return stats;
}
