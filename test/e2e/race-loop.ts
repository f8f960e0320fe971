// The re-mount race behind remount-race.test.ts and trust-bench.ts: real
// runs of the CLI wiring a <-> V while `mount --bind NEW V` re-points V at a
// random moment. Every exit 0 must be wired right, every failure must leave
// nothing of ours. Not a test file itself.

import { spawnSync, execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { addName, dropName, ipJ, marked, runCli } from './trust-loops.js';

const netnsFile = (name: string): string => `/run/netns/${name}`;
const sh = (cmd: string, ...args: string[]): void => { execFileSync(cmd, args, { stdio: 'ignore' }); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

