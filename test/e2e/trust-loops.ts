// What the trust loops (race-loop.ts, kill-loop.ts) share: running the
// shipped CLI (or the paused build, killed mid-wiring), and the oracle:
// `ip -j -d`, through nsenter for a namespace no name leads to any more,
// never our library. Not a test file itself.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
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

