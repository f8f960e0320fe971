// What the trust e2e tests need: root, ip -j, nsenter, mount, the built CLI;
// Docker only where a test says so. Outside CI a test that cannot run is
// skipped; under CI=true it fails. Not a test file itself.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, CLI_PAUSED, inCI } from './cli-helpers.js';
import { DOCKER_UNAVAILABLE, dockerAvailable } from './docker-helpers.js';

export async function requireTrustE2E(context: Mocha.Context, opts: { docker?: boolean } = {}): Promise<void> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not root');
  for (const [cmd, arg] of [['ip', '-V'], ['nsenter', '--version'], ['mount', '--version'], ['unshare', '--version']]) {
    if (spawnSync(cmd!, [arg!]).status !== 0) problems.push(`${cmd} is missing`);
  }
  for (const f of [CLI, CLI_PAUSED]) if (!existsSync(f)) problems.push(`${f} is missing: npm run build`);
  if (opts.docker && !(await dockerAvailable())) problems.push(DOCKER_UNAVAILABLE);
  if (problems.length === 0) return;
  if (inCI) throw new Error(`CI=true, so failing instead of skipping: ${problems.join('; ')}`);
  context.skip();
}
