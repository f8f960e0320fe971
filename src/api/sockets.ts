// One netlink socket per network namespace, opened inside it by the
// namespace worker and then driven from the main thread. Sockets are keyed by
// the namespace's identity (device + inode), so a namespace named two ways
// shares one socket, and a name re-created as a new namespace gets a new one.

import { closeSync, openSync, statSync } from 'node:fs';
import { NetlinkSocket } from '../transport/socket.js';
import { RTNETLINK, type RtnlLayoutMessage } from '../netlink/route/protocol.js';
import { NamespaceThreads, NetnsError, resolveNetns, type NetnsRef } from '../ns/index.js';

/** A running Docker container's namespace, by the container's name or id. */
export type ContainerTarget = { container: string };

/** A namespace as the library takes it: a name from `ip netns`, a reference, or `{ container }`. */
export type NetnsTarget = string | NetnsRef | ContainerTarget;

export const isContainerTarget = (t: unknown): t is ContainerTarget =>
  typeof t === 'object' && t !== null && 'container' in t;

/** A target that needs no engine, as a reference (the current namespace for none). */
export const toRef = (t: string | NetnsRef | undefined): NetnsRef =>
  t === undefined ? { current: true } : typeof t === 'string' ? { name: t } : t;

/** A target as a reference, open while it is in use: `close()` it after. */
export interface OpenTarget {
  ref: NetnsRef;
  close(): void;
}

/**
 * Any target as a reference. A container is asked of the Docker engine
 * (DockerError, as connect() gives, when it is missing or not running) and
 * its namespace opened at once, labelled `container NAME`, so what is used
 * is the namespace the engine named, whatever its process does after.
 */
export async function openTarget(t: NetnsTarget | undefined): Promise<OpenTarget> {
  if (!isContainerTarget(t)) return { ref: toRef(t), close: () => {} };
  const { resolveContainer } = await import('../docker/index.js');
  const c = await resolveContainer(t.container);
  const label = `container ${t.container}`;
  let fd: number;
  try {
    fd = openSync(c.netnsPath, 'r');
  } catch (error) {
    throw new NetnsError('ENONETNS', `${label}: its process (pid ${c.pid}) ended since the Docker engine named it`, { cause: error });
  }
  let open = true;
  return { ref: { fd, label }, close: () => { if (open) closeSync(fd); open = false; } };
}

/** A socket that speaks rtnetlink: every socket the library opens. */
export type RtnlSocket = NetlinkSocket<RtnlLayoutMessage>;

/** The identity of this (the main) thread's namespace: it never leaves it, so it is read once. */
let mainIdentity: string | undefined;
function mainNetns(): string {
  if (mainIdentity === undefined) {
    const st = statSync('/proc/thread-self/ns/net');
    mainIdentity = `${st.dev}:${st.ino}`;
  }
  return mainIdentity;
}

export class SocketCache {
  private readonly byIdentity = new Map<string, RtnlSocket>();
  /** Namespaces whose sockets a prefetch is opening: get() waits for it rather than open a second. */
  private readonly prefetching = new Map<string, Promise<void>>();
  /** Counts close()s: a prefetch that ends after one closes what it opened. */
  private generation = 0;
  private current?: RtnlSocket;
  private threadsInstance?: NamespaceThreads;

  /** Use these namespace threads (e.g. already started) instead of making our own. */
  constructor(threads?: NamespaceThreads) {
    this.threadsInstance = threads;
  }

  get threads(): NamespaceThreads {
    return (this.threadsInstance ??= new NamespaceThreads());
  }

  /** The socket for a namespace, opening it (in a worker) on first use. */
  async get(target: NetnsTarget | undefined): Promise<RtnlSocket> {
    if (isContainerTarget(target)) {
      const open = await openTarget(target);
      try {
        return await this.get(open.ref);
      } finally {
        open.close();
      }
    }
    const ref = toRef(target);
    // The main thread already lives in the current namespace: no worker needed.
    if ('current' in ref) return this.currentSocket();
    const ns = resolveNetns(ref);
    const key = `${ns.dev}:${ns.ino}`;
    // A pinned namespace that is our own (`-c`) is served by this thread's socket: no hop.
    if ('fd' in ref && key === mainNetns()) return this.currentSocket();
    const known = this.byIdentity.get(key);
    if (known) return known;
    const coming = this.prefetching.get(key);
    if (coming) {
      await coming;
      const fetched = this.byIdentity.get(key);
      if (fetched) return fetched;
    }
    const [fd] = await this.threads.openSockets(ref, 1);
    const raced = this.byIdentity.get(key);
    if (raced) {
      // Another caller opened it while we waited: keep theirs.
      new NetlinkSocket(fd, RTNETLINK, ns.label).close();
      return raced;
    }
    const sock = new NetlinkSocket(fd, RTNETLINK, ns.label);
    this.byIdentity.set(key, sock);
    return sock;
  }

  /**
   * Open the sockets of many namespaces in one worker request (one round
   * trip instead of one per namespace). Never fails: what it leaves out (the
   * current namespace, containers, namespaces open or being opened) and what
   * fails here are left to get(), which opens or reports each as it always
   * does. A get() of a namespace being prefetched waits for it.
   */
  prefetch(targets: readonly (NetnsTarget | undefined)[]): Promise<void> {
    const wanted = new Map<string, { ref: NetnsRef; label: string }>();
    for (const target of targets) {
      if (isContainerTarget(target)) continue;
      try {
        const ref = toRef(target);
        if ('current' in ref) continue;
        const ns = resolveNetns(ref);
        const key = `${ns.dev}:${ns.ino}`;
        if (('fd' in ref && key === mainNetns()) || this.byIdentity.has(key) || this.prefetching.has(key) || wanted.has(key)) continue;
        wanted.set(key, { ref, label: ns.label });
      } catch {
        // not a namespace (yet): get() says why
      }
    }
    // One alone: get() asks the same single request.
    if (wanted.size < 2) return Promise.resolve();
    const generation = this.generation;
    const entries = [...wanted];
    const done = this.threads.openSocketsEach(entries.map(([, w]) => w.ref), 1).then((results) => {
      for (const [i, [key, { label }]] of entries.entries()) {
        const r = results[i];
        if (!Array.isArray(r)) continue;
        const sock = new NetlinkSocket(r[0]!, RTNETLINK, label);
        // Closed meanwhile, or opened by a get(): not kept.
        if (generation !== this.generation || this.byIdentity.has(key)) sock.close();
        else this.byIdentity.set(key, sock);
      }
    }).catch(() => {}).finally(() => {
      for (const [key] of entries) if (this.prefetching.get(key) === done) this.prefetching.delete(key);
    });
    for (const [key] of entries) this.prefetching.set(key, done);
    return done;
  }

  private currentSocket(): RtnlSocket {
    return (this.current ??= NetlinkSocket.open(RTNETLINK, 'current netns'));
  }

  /** Adopt sockets opened elsewhere (e.g. while creating a namespace). */
  adopt(dev: number, ino: number, sock: RtnlSocket): void {
    this.byIdentity.get(`${dev}:${ino}`)?.close();
    this.byIdentity.set(`${dev}:${ino}`, sock);
  }

  /** Close the socket of a namespace being deleted, so it can really go away. */
  forget(dev: number, ino: number): void {
    const key = `${dev}:${ino}`;
    this.byIdentity.get(key)?.close();
    this.byIdentity.delete(key);
  }

  async close(): Promise<void> {
    this.generation++;
    for (const s of this.byIdentity.values()) s.close();
    this.byIdentity.clear();
    this.current?.close();
    this.current = undefined;
    await this.threadsInstance?.close();
    this.threadsInstance = undefined;
  }
}
