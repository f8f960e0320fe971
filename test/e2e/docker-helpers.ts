/**
 * Docker helpers for e2e tests (tests may shell out to the docker CLI; src/ may not).
 *
 * Containers always run the local image vethcon-busybox:latest (built by
 * scripts/docker-up.sh) with `--pull never --network none`: nothing is ever
 * pulled, and the only links a container gets are the ones our tests add.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEST_IMAGE = 'vethcon-busybox:latest';

/** Run the docker CLI; resolves to trimmed stdout, rejects with stderr in the message. */
export async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { timeout: timeoutMs, env: { ...process.env, DOCKER_CLI_HINTS: 'false' } });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new Error(`docker ${args.join(' ')} failed: ${(e.stderr || e.message || String(err)).trim()}`, { cause: err });
  }
}

/** True when `docker info` answers (honours DOCKER_HOST) and the test image exists. */
export async function dockerAvailable(): Promise<boolean> {
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], 15_000);
    await docker(['image', 'inspect', '--format', '{{.Id}}', TEST_IMAGE], 15_000);
    return true;
  } catch {
    return false;
  }
}

/** Why dockerAvailable() is false, for a test failure message. */
export const DOCKER_UNAVAILABLE =
  `no Docker engine answers (DOCKER_HOST=${process.env.DOCKER_HOST ?? '<unset>'}) or image ${TEST_IMAGE} is missing; ` +
  'run scripts/docker-up.sh as root first';

/**
 * Start a detached `sleep 3600` container named `name` (any stale container of
 * that name is removed first). Resolves to the container id.
 */
export async function startContainer(name: string): Promise<string> {
  await removeContainer(name);
  return docker(['run', '-d', '--pull', 'never', '--network', 'none', '--name', name, TEST_IMAGE, 'sleep', '3600']);
}

/**
 * Stop a container immediately. `sleep` runs as PID 1 and PID 1 ignores SIGTERM,
 * so a plain `docker stop` would wait its full 10 s grace period; `-t 0` kills.
 */
export async function stopContainer(name: string): Promise<void> {
  await docker(['stop', '-t', '0', name]);
}

/** Remove a container (running or not); a missing container is not an error. */
export async function removeContainer(name: string): Promise<void> {
  try {
    await docker(['rm', '-f', '-v', name]);
  } catch (err) {
    if (!/no such container/i.test((err as Error).message)) throw err;
  }
}
