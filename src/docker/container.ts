/**
 * Docker container -> network namespace resolution.
 *
 * The only module that talks to a container engine. It asks the engine
 * (dockerode; `new Docker()` honours DOCKER_HOST, so a Podman socket works too)
 * for a container's init PID and returns `/proc/<pid>/ns/net`. It only ever
 * inspects: nothing is pulled, started or created, and no docker CLI is run.
 * dockerode is imported lazily so code paths that never touch a container do
 * not pay its load time.
 *
 * The PID is in the engine's PID namespace: it is only meaningful when the
 * engine runs on this host (the usual case, and the only one vethcon supports).
 */
import type Docker from 'dockerode';

export type DockerErrorCode = 'ENOCONTAINER' | 'ENOTRUNNING' | 'ENOENGINE';

/** A container could not be resolved; `code` says why, `container` names it. */
export class DockerError extends Error {
  override readonly name = 'DockerError';
  constructor(
    readonly code: DockerErrorCode,
    readonly container: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ResolvedContainer {
  /** Full container id. */
  id: string;
  /** Container name without Docker's leading slash. */
  name: string;
  /** PID of the container's init process, in the engine's PID namespace. */
  pid: number;
  /** `/proc/<pid>/ns/net`. */
  netnsPath: string;
}

export interface ResolveContainerOptions {
  /** Engine client to use; default `new Docker()` (DOCKER_HOST or the default socket). */
  docker?: Docker;
  /** Give up on an engine that does not answer within this many ms (default 10000). */
  timeoutMs?: number;
}

// Docker's own rule for names (an id or id prefix is hex, so it also matches).
// Anything else would end up unescaped in the request path.
const NAME_OR_ID = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Resolve a running container (name, id or unique id prefix) to its init PID and netns path. */
export async function resolveContainer(
  nameOrId: string,
  opts: ResolveContainerOptions = {},
): Promise<ResolvedContainer> {
  if (!NAME_OR_ID.test(nameOrId)) {
    throw new DockerError('ENOCONTAINER', nameOrId, `container ${JSON.stringify(nameOrId)} is not a valid container name or id`);
  }
  let docker = opts.docker;
  let info: Docker.ContainerInspectInfo;
  try {
    if (docker === undefined) {
      const { default: Dockerode } = await import('dockerode');
      docker = new Dockerode();
    }
    info = await docker.getContainer(nameOrId).inspect({ abortSignal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (err) {
    const { statusCode: status, json } = (err ?? {}) as { statusCode?: unknown; json?: unknown };
    // Docker and Podman both say "no such container" in the 404 body; a bare 404
    // comes from something that is not a container engine.
    const body = json && typeof json === 'object' && !Buffer.isBuffer(json) ? JSON.stringify(json) : String(json ?? '');
    if (status === 404 && /no such container/i.test(body)) {
      throw new DockerError('ENOCONTAINER', nameOrId,
        `container ${JSON.stringify(nameOrId)} does not exist (list containers with: docker ps -a)`, { cause: err });
    }
    const where = engineAddress(docker);
    throw new DockerError('ENOENGINE', nameOrId, typeof status === 'number'
      ? `cannot look up container ${JSON.stringify(nameOrId)}: the Docker engine at ${where} answered HTTP ${status} (${body.trim().slice(0, 200) || 'empty body'}); is it a Docker engine?`
      : `cannot look up container ${JSON.stringify(nameOrId)}: no Docker engine answers at ${where} (${errorText(err)}); ` +
        'start dockerd (scripts/docker-up.sh) or point DOCKER_HOST at a running engine', { cause: err });
  }

  const name = (info.Name ?? '').replace(/^\//, '') || nameOrId;
  const pid = info.State?.Pid ?? 0;
  if (!info.State?.Running || !Number.isInteger(pid) || pid <= 0) {
    throw new DockerError('ENOTRUNNING', nameOrId,
      `container ${JSON.stringify(name)} is not running (status: ${info.State?.Status ?? 'unknown'}; start it with: docker start ${name})`);
  }
  return { id: info.Id, name, pid, netnsPath: `/proc/${pid}/ns/net` };
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const msg = typeof e?.message === 'string' ? e.message.trim() : String(err);
  return typeof e?.code === 'string' && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}

function engineAddress(docker: Docker | undefined): string {
  const m = (docker as { modem?: { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown } } | undefined)?.modem;
  if (typeof m?.host === 'string' && m.host) return `${String(m.protocol ?? 'http')}://${m.host}${m.port ? `:${String(m.port)}` : ''}`;
  if (typeof m?.socketPath === 'string') return `unix://${m.socketPath}`;
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}
