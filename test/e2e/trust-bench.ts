// The long runs of the trust e2e tests, for figures (root; Docker optional):
//   node dist/test/e2e/trust-bench.js race [RUNS=200 [FROM_MS TO_MS]]
//                                                       the CLI racing `mount --bind` over one end's name, the mount
//                                                       at a random moment (in FROM-TO ms, else 0 to 1.2x a plain run)
//   node dist/test/e2e/trust-bench.js kill [KILLS=50]   the CLI SIGKILLed at 0-450 ms (every 5th right after
//                                                       its pair was made), then one `vethcon gc`
// Prints each run, then the figures; exits 1 if a figure that must be 0 is not.
// VETHCON_TRUST_CLI=/path/to/bin.js measures another build of the command
// (the race only: the kill loop needs this tree's paused build).
// Namespaces and containers are named vcbench-<pid>-*, and removed at the end.

import { DOCKER_UNAVAILABLE, dockerAvailable, removeContainer, startContainer } from './docker-helpers.js';
import { containerPid } from './cli-helpers.js';
import { addName, dropName } from './trust-loops.js';
import { killThenGc, type KillTarget } from './kill-loop.js';
import { remountRace } from './race-loop.js';

const [what = 'race', count] = process.argv.slice(2);
const prefix = `vcbench-${process.pid.toString(36)}`;
const say = (line: string): void => { process.stdout.write(`${line}\n`); };

async function race(runs: number, window?: [number, number]): Promise<boolean> {
  const s = await remountRace(prefix, runs, say, window);
  say(`\nremount race, ${s.runs} runs (mount at ${window?.[0] ?? 0}-${s.spreadMs.toFixed(0)} ms): exit 0 ${s.ok}, failed ${s.failed}, ` +
    `mount landed before the CLI ended in ${s.mountedBeforeExit}`);
  say(`exits 0 with wrong wiring: ${s.wrongWiring.length}${s.wrongWiring.map((w) => `\n  ${w}`).join('')}`);
  say(`failed runs that left something of ours: ${s.leftovers.length}${s.leftovers.map((w) => `\n  ${w}`).join('')}`);
  return s.wrongWiring.length === 0 && s.leftovers.length === 0;
}

async function kill(kills: number): Promise<boolean> {
  const [a, b] = [`${prefix}-a`, `${prefix}-b`];
  addName(a);
  addName(b);
  const targets: KillTarget[] = [{ ends: [['-n', a], ['-n', b]], files: [`/run/netns/${a}`, `/run/netns/${b}`] }];
  const containers = [`${prefix}-c1`, `${prefix}-c2`];
  const docker = await dockerAvailable();
  try {
    if (docker) {
      await Promise.all(containers.map((c) => startContainer(c)));
      const [p1, p2] = await Promise.all(containers.map((c) => containerPid(c)));
      targets.push({ ends: [['-d', containers[0]!], ['-d', containers[1]!]], files: [`/proc/${p1}/ns/net`, `/proc/${p2}/ns/net`] });
    } else say(`(no containers: ${DOCKER_UNAVAILABLE})`);
    const s = await killThenGc(targets, kills, 450, 5, say);
    say(`\n${s.kills} runs SIGKILLed (${targets.length > 1 ? 'named netns and containers in turn' : 'named netns'}): ${s.kills - s.midWiring} at random 0-450 ms, ` +
      `${s.midWiring} right after the pair was made; killed ${s.killed} (${s.killedWhenComplete} of them once their pair was complete), finished first ${s.finished}; then vethcon gc: exit ${s.gc.code}, removed ${s.removed} pairs`);
    say(`links of ours left after gc: ${s.left.length}${s.left.map((l) => `\n  ${l}`).join('')}`);
    return s.gc.code === 0 && s.left.length === 0;
  } finally {
    dropName(a);
    dropName(b);
    if (docker) await Promise.all(containers.map((c) => removeContainer(c).catch(() => {})));
  }
}

const [from, to] = process.argv.slice(4).map(Number);
const window: [number, number] | undefined = from !== undefined && to !== undefined ? [from, to] : undefined;
const good = what === 'kill' ? await kill(Number(count ?? 50)) : await race(Number(count ?? 200), window);
process.exit(good ? 0 : 1);
