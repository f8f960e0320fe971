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
 * The engine is not trusted to behave: its answer is read up to a size
 * (1 MiB by default; an inspect is a few KiB) and within a time (10 s by
 * default, connecting and the whole body included), and what it says is
 * checked before it is used.
 *
 * The PID is in the engine's PID namespace: it is only meaningful when the
 * engine runs on this host (the usual case, and the only one vethcon supports).
 */
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';

/**
 * ENOCONTAINER: no such container (or not a valid name); ENOTRUNNING: it is
 * not running; ENOENGINE: no engine answers; EACCES: the engine's socket is
 * not ours to use; ETIMEDOUT: the engine did not answer in time; EBADENGINE:
 * it answered, but not as a Docker engine does (an HTTP error, an answer too
 * large, not the JSON of a container).
 */
export type DockerErrorCode = 'ENOCONTAINER' | 'ENOTRUNNING' | 'ENOENGINE' | 'EACCES' | 'ETIMEDOUT' | 'EBADENGINE';

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

export interface EngineLimits {
  /** Give up on an engine that has not answered in full within this many ms: connecting, its headers and its body (default 10000). */
  timeoutMs?: number;
  /** Refuse an answer of more than this many bytes (default 1 MiB). */
  maxBytes?: number;
}

export interface ResolveContainerOptions extends EngineLimits {
  /** Engine client to use; default `new Docker()` (DOCKER_HOST or the default socket). */
  docker?: Docker;
}

const limits: Required<EngineLimits> = { timeoutMs: 10_000, maxBytes: 1 << 20 };

/**
 * Change the limits every later resolveContainer() call uses unless it gives
 * its own (the CLI's --docker-timeout; connect() and disconnect() resolve
 * containers with these).
 */
export function setEngineLimits(l: EngineLimits): void {
  const { timeoutMs, maxBytes } = checkedLimits(l);
  if (timeoutMs !== undefined) limits.timeoutMs = timeoutMs;
  if (maxBytes !== undefined) limits.maxBytes = maxBytes;
}

/** The limits resolveContainer() uses when a call gives none. */
export function engineLimits(): Required<EngineLimits> {
  return { ...limits };
}

function checkedLimits(l: EngineLimits): EngineLimits {
  // setTimeout takes at most 2^31-1 ms.
  if (l.timeoutMs !== undefined && !(Number.isFinite(l.timeoutMs) && l.timeoutMs > 0 && l.timeoutMs <= 0x7fffffff)) {
    throw new RangeError(`timeoutMs must be a number of ms above 0 and at most 2147483647, not ${String(l.timeoutMs)}`);
  }
  if (l.maxBytes !== undefined && !(Number.isSafeInteger(l.maxBytes) && l.maxBytes > 0)) {
    throw new RangeError(`maxBytes must be a positive integer, not ${String(l.maxBytes)}`);
  }
  return l;
}

// Docker's own rule for names (an id or id prefix is hex, so it also matches).
// Anything else would end up unescaped in the request path.
const NAME_OR_ID = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const FULL_ID = /^[0-9a-f]{12,128}$/;

/** Resolve a running container (name, id or unique id prefix) to its init PID and netns path. */
export async function resolveContainer(
  nameOrId: string,
  opts: ResolveContainerOptions = {},
): Promise<ResolvedContainer> {
  const quoted = JSON.stringify(nameOrId);
  if (!NAME_OR_ID.test(nameOrId)) {
    throw new DockerError('ENOCONTAINER', nameOrId, `container ${quoted} is not a valid container name or id`);
  }
  const { timeoutMs = limits.timeoutMs, maxBytes = limits.maxBytes } = checkedLimits(opts);
  let docker = opts.docker;
  let reply: { status: number; body: Buffer };
  try {
    if (docker === undefined) {
      const { default: Dockerode } = await import('dockerode');
      docker = new Dockerode();
    }
    reply = await getBounded(docker, `/containers/${nameOrId}/json?`, timeoutMs, maxBytes);
  } catch (err) {
    throw engineFailure(err, nameOrId, docker, timeoutMs, maxBytes);
  }

  const where = engineAddress(docker);
  const text = reply.body.toString('utf8');
  const json = parseJson(text);
  const said = (json as { message?: unknown } | undefined)?.message;
  // Docker and Podman both say "no such container" in the 404 body; a bare 404
  // comes from something that is not a container engine.
  if (reply.status === 404 && /no such container/i.test(typeof said === 'string' ? said : text)) {
    throw new DockerError('ENOCONTAINER', nameOrId, `container ${quoted} does not exist (list containers with: docker ps -a)`);
  }
  if (reply.status !== 200) {
    const what = (typeof said === 'string' ? said : text).trim();
    throw new DockerError('EBADENGINE', nameOrId,
      `cannot look up container ${quoted}: the Docker engine at ${where} answered HTTP ${reply.status} ` +
      `(${what ? JSON.stringify(what.length > 200 ? `${what.slice(0, 200)}...` : what) : 'empty body'}); is it a Docker engine?`);
  }
  const info = json as { Id?: unknown; Name?: unknown; State?: { Pid?: unknown; Running?: unknown; Status?: unknown } } | undefined;
  if (!info || typeof info !== 'object' || Array.isArray(info) || typeof info.Id !== 'string' || !FULL_ID.test(info.Id)) {
    throw new DockerError('EBADENGINE', nameOrId,
      `cannot look up container ${quoted}: the Docker engine at ${where} answered with ${json === undefined ? 'something that is not JSON' : 'JSON that does not describe a container'}; is it a Docker engine?`);
  }
  // What the engine says goes into messages only when it is what a name or a state looks like.
  const name = typeof info.Name === 'string' && NAME_OR_ID.test(info.Name) ? info.Name.replace(/^\//, '') : nameOrId;
  const pid = info.State?.Pid;
  if (info.State?.Running !== true || typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) {
    const status = typeof info.State?.Status === 'string' && /^[a-z]{1,32}$/.test(info.State.Status) ? info.State.Status : 'unknown';
    throw new DockerError('ENOTRUNNING', nameOrId,
      `container ${JSON.stringify(name)} is not running (status: ${status}; start it with: docker start ${name})`);
  }
  return { id: info.Id, name, pid, netnsPath: `/proc/${pid}/ns/net` };
}

class ReplyTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`the answer is larger than allowed (${bytes} bytes at least)`);
  }
}

class ReplyBroken extends Error {
  constructor(cause?: unknown) {
    super('the connection ended in the middle of the answer', { cause });
  }
}

class ReplyTimeout extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
  }
}

/** Every HTTP status is one the caller looks at: dockerode must hand over the body unread, whatever the status. */
const ANY_STATUS = new Proxy({}, { get: () => true }) as Record<number, true>;

/**
 * GET `path` from the engine and read its answer, but no more than `maxBytes`
 * of it and for no longer than `timeoutMs` in all: past either, the
 * connection is dropped and the call fails (ReplyTooLarge, ReplyTimeout).
 */
function getBounded(docker: Docker, path: string, timeoutMs: number, maxBytes: number): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const abort = new AbortController();
    let res: IncomingMessage | undefined;
    let settled = false;
    const finish = (err: unknown, value?: { status: number; body: Buffer }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (value) return resolve(value);
      abort.abort(err);
      res?.destroy();
      reject(err);
    };
    const timer = setTimeout(() => finish(new ReplyTimeout(timeoutMs)), timeoutMs);
    docker.modem.dial({ path, method: 'GET', options: {}, isStream: true, statusCodes: ANY_STATUS, abortSignal: abort.signal }, (err, stream) => {
      if (err) return finish(err);
      const r = stream as IncomingMessage;
      res = r;
      if (settled) return void r.destroy();
      const declared = Number(r.headers['content-length']);
      if (declared > maxBytes) return finish(new ReplyTooLarge(declared));
      const chunks: Buffer[] = [];
      let total = 0;
      r.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) finish(new ReplyTooLarge(total));
        else chunks.push(chunk);
      });
      r.on('end', () => finish(null, { status: r.statusCode ?? 0, body: Buffer.concat(chunks, total) }));
      r.on('error', (e) => finish(new ReplyBroken(e)));
      r.on('close', () => finish(new ReplyBroken()));
    });
  });
}

/** The DockerError for a failed exchange with the engine: what went wrong, in the user's terms. */
function engineFailure(err: unknown, nameOrId: string, docker: Docker | undefined, timeoutMs: number, maxBytes: number): DockerError {
  const quoted = JSON.stringify(nameOrId);
  const where = engineAddress(docker);
  const lookUp = `cannot look up container ${quoted}`;
  if (err instanceof ReplyTimeout) {
    return new DockerError('ETIMEDOUT', nameOrId, `${lookUp}: the Docker engine at ${where} did not answer within ${seconds(timeoutMs)}`, { cause: err });
  }
  if (err instanceof ReplyBroken) {
    return new DockerError('EBADENGINE', nameOrId, `${lookUp}: the Docker engine at ${where} broke off its answer; is it a Docker engine?`, { cause: err });
  }
  if (err instanceof ReplyTooLarge) {
    return new DockerError('EBADENGINE', nameOrId,
      `${lookUp}: the Docker engine at ${where} sent more than ${size(maxBytes)} for it (a container's description is a few KiB); is it a Docker engine?`, { cause: err });
  }
  const e = err as { code?: unknown; address?: unknown } | null;
  if (e?.code === 'EACCES' || e?.code === 'EPERM') {
    const path = typeof e.address === 'string' ? e.address : socketPathOf(docker);
    return new DockerError('EACCES', nameOrId,
      path ? `${lookUp}: permission denied on ${path}: ${permissionHint(path)}`
        : `${lookUp}: permission denied talking to the Docker engine at ${where} (${errorText(err)})`, { cause: err });
  }
  return new DockerError('ENOENGINE', nameOrId,
    `${lookUp}: no Docker engine answers at ${where} (${errorText(err)}); ` +
    'start dockerd (scripts/docker-up.sh) or point DOCKER_HOST at a running engine', { cause: err });
}

/**
 * Who may use a socket we may not: "run as root or as a member of the docker
 * group (socket root:docker, mode 0660)", from the socket's owner, group and
 * mode. Without them (a directory on the way is closed to us): the usual
 * answer.
 */
function permissionHint(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 'run as root or as a member of the docker group';
  }
  const owner = st.uid === 0 ? 'root' : nameOf('/etc/passwd', st.uid) ?? `uid ${st.uid}`;
  const group = st.gid === 0 ? 'root' : nameOf('/etc/group', st.gid) ?? `gid ${st.gid}`;
  const ways = ['run as root'];
  if (st.mode & 0o020 && st.gid !== 0) ways.push(`as a member of the ${group} group`);
  if (st.mode & 0o200 && st.uid !== 0) ways.push(`as ${owner}`);
  return `${ways.join(' or ')} (the socket is ${owner}:${group}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
}

/** The name of a uid in /etc/passwd or a gid in /etc/group, if there is one. */
function nameOf(file: string, id: number): string | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === id && /^[\w.-]+$/.test(f[0])) return f[0];
    }
  } catch { /* unreadable: no name */ }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')} s`;
}

function size(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const msg = typeof e?.message === 'string' ? e.message.trim() : String(err);
  return typeof e?.code === 'string' && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}

function socketPathOf(docker: Docker | undefined): string | undefined {
  const m = (docker as { modem?: { socketPath?: unknown; host?: unknown } } | undefined)?.modem;
  if (typeof m?.host === 'string' && m.host) return undefined;
  return typeof m?.socketPath === 'string' ? m.socketPath : undefined;
}

function engineAddress(docker: Docker | undefined): string {
  const m = (docker as { modem?: { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown } } | undefined)?.modem;
  if (typeof m?.host === 'string' && m.host) return `${String(m.protocol ?? 'http')}://${m.host}${m.port ? `:${String(m.port)}` : ''}`;
  if (typeof m?.socketPath === 'string') return `unix://${m.socketPath}`;
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}
