// One netlink socket per network namespace, opened inside it by the
// namespace worker and then driven from the main thread. Sockets are keyed by
// the namespace's identity (device + inode), so a namespace named two ways
// shares one socket, and a name re-created as a new namespace gets a new one.

import { statSync } from 'node:fs';
import { NetlinkSocket } from '../transport/socket.js';
import { RTNETLINK, type RtnlLayoutMessage } from '../netlink/route/protocol.js';
import { NamespaceThreads, resolveNetns, type NetnsRef } from '../ns/index.js';

/** A namespace as the library takes it: a name from `ip netns`, or a reference. */
export type NetnsTarget = string | NetnsRef;

export const toRef = (t: NetnsTarget | undefined): NetnsRef =>
  t === undefined ? { current: true } : typeof t === 'string' ? { name: t } : t;

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
    const ref = toRef(target);
    // The main thread already lives in the current namespace: no worker needed.
    if ('current' in ref) return this.currentSocket();
    const ns = resolveNetns(ref);
    const key = `${ns.dev}:${ns.ino}`;
    // A pinned namespace that is our own (`-c`) is served by this thread's socket: no hop.
    if ('fd' in ref && key === mainNetns()) return this.currentSocket();
    const known = this.byIdentity.get(key);
    if (known) return known;
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
    for (const s of this.byIdentity.values()) s.close();
    this.byIdentity.clear();
    this.current?.close();
    this.current = undefined;
    await this.threadsInstance?.close();
    this.threadsInstance = undefined;
  }
}
