// vc.monitor(): link and address events from any set of namespaces, as one
// async iterator. Each namespace gets a listening socket of its own, opened
// inside it by the namespace worker (the socket's namespace is fixed when it
// is made) and joined to the groups here, on the main thread: a socket option
// acts on the socket whichever thread sets it. The request sockets of the
// SocketCache are not used: events would interleave with their replies.
//
// Address events carry only an ifindex; to name the link, a monitor that
// wants address events also listens to the link group and keeps an ifindex
// → name map per namespace, read once at the start (after joining, so no
// link is missed) through a request socket of its own, again after an
// overrun, and kept current by the link events.

import { NetlinkSocket } from '../transport/socket.js';
import { EventReader, EventSocket, type NetlinkEvent } from '../transport/events.js';
import { RTNETLINK } from '../netlink/route/protocol.js';
import { resolveNetns, type NetnsRef } from '../ns/index.js';
import { Netns } from './netns.js';
import type { LayoutsOf } from '../netlink/message.js';
import { isContainerTarget, openTarget, toRef, type NetnsTarget, type OpenTarget, type RtnlSocket, type SocketCache } from './sockets.js';
import { MONITOR, MONITOR_EVENT_KINDS, groupsFor, toMonitorEvent, type MonitorEvent, type MonitorEventKind } from './monitor-events.js';

export { describeEvent, type MonitorEvent, type MonitorEventKind, type MonitorEventType } from './monitor-events.js';

export interface MonitorOptions {
  /** Where to listen: one namespace or several (default: the current one). */
  netns?: NetnsTarget | NetnsTarget[];
  /** Which events (default both). */
  events?: MonitorEventKind[];
  /** Aborting ends the iteration (done, not an error) and closes the sockets. */
  signal?: AbortSignal;
}

/** One namespace listened to: its events socket, and what names its links. */
interface Watched {
  label: string;
  /** Undefined for a container until #start asks the engine. */
  ref?: NetnsRef;
  /** A `{ container }` target: resolved when listening starts. */
  container?: string;
  /** The same namespace as one listed before it (a container found to be one): not listened to twice. */
  duplicate?: boolean;
  events?: EventSocket;
  /** Only when address events are wanted: for reading link names. */
  requests?: RtnlSocket;
  names: Map<number, string>;
  /** A read of the names in flight: its socket is closed only after it (a closed fd's number can be reused at once). */
  reading?: Promise<void>;
}

/** Open monitors per library instance, so closing the instance closes them. */
const openMonitors = new WeakMap<SocketCache, Set<Monitor>>();

/** Close every monitor made through this cache (Vethcon.close()). */
export function closeMonitors(cache: SocketCache): void {
  for (const m of openMonitors.get(cache) ?? []) m.close();
}

/**
 * Events from the namespaces, in the order each namespace's kernel sent them
 * (the order across namespaces is only roughly that of time). Listening
 * starts at once; `ready` resolves when every namespace is listened to (an
 * event after that is seen). `break` out of `for await`, return(), close()
 * or the signal end it and close its sockets.
 */
export class Monitor implements AsyncIterableIterator<MonitorEvent, undefined> {
  /** Resolves once every namespace is listened to; rejects if one cannot be (next() then rejects the same way). */
  readonly ready: Promise<void>;
  /** The namespaces listened to, by label, in the order given (one namespace named twice counts once). */
  get namespaces(): readonly string[] {
    return this.#watched.filter((w) => !w.duplicate).map((w) => w.label);
  }
  readonly #identities = new Set<string>();
  readonly #cache: SocketCache;
  readonly #kinds: ReadonlySet<MonitorEventKind>;
  readonly #watched: Watched[];
  readonly #bySocket = new Map<EventSocket, Watched>();
  readonly #signal?: AbortSignal;
  #reader?: EventReader<LayoutsOf<typeof MONITOR>>;
  #closed = false;
  readonly #onAbort = (): void => this.close();

  constructor(cache: SocketCache, options: MonitorOptions = {}) {
    const kinds = options.events ?? [...MONITOR_EVENT_KINDS];
    for (const k of kinds) {
      if (!MONITOR_EVENT_KINDS.includes(k)) throw new RangeError(`monitor: unknown event kind ${JSON.stringify(k)} (known: ${MONITOR_EVENT_KINDS.join(', ')})`);
    }
    if (kinds.length === 0) throw new RangeError('monitor: no event kinds to listen to');
    this.#cache = cache;
    this.#kinds = new Set(kinds);
    this.#signal = options.signal;
    // Resolved now: a namespace that does not exist fails here, before anything is opened.
    const targets = options.netns === undefined ? [undefined] : Array.isArray(options.netns) ? options.netns : [options.netns];
    if (targets.length === 0) throw new RangeError('monitor: no namespaces to listen to');
    this.#watched = [];
    for (const t of targets) {
      // A container is asked of the engine when listening starts (ready rejects with its DockerError).
      if (isContainerTarget(t)) {
        this.#watched.push({ label: `container ${t.container}`, container: t.container, names: new Map() });
        continue;
      }
      const ref = toRef(t);
      const ns = resolveNetns(ref);
      const key = `${ns.dev}:${ns.ino}`;
      if (this.#identities.has(key)) continue;
      this.#identities.add(key);
      this.#watched.push({ label: ns.label, ref, names: new Map() });
    }
    let set = openMonitors.get(cache);
    if (!set) openMonitors.set(cache, (set = new Set()));
    set.add(this);
    this.ready = this.#start().catch((error: unknown) => {
      if (this.#closed) return; // closed while starting: that is no failure
      this.close();
      throw error;
    });
    this.ready.catch(() => {}); // reported by ready and next()
    if (this.#signal?.aborted) this.close();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<MonitorEvent, undefined>> {
    await this.ready;
    for (;;) {
      const reader = this.#reader;
      if (this.#closed || !reader) return { value: undefined, done: true };
      let r: IteratorResult<NetlinkEvent<LayoutsOf<typeof MONITOR>>, undefined>;
      try {
        r = await reader.next();
      } catch (error) {
        this.close(); // a failed read ends it all
        throw error;
      }
      if (r.done) return { value: undefined, done: true };
      const w = this.#bySocket.get(r.value.socket)!;
      if (r.value.kind === 'overrun') {
        if (w.requests) await this.#readNames(w).catch(() => {}); // keep the names we had
        return { value: { netns: w.label, type: 'overrun' }, done: false };
      }
      const event = toMonitorEvent(w.label, r.value.message, (i) => w.names.get(i));
      if (!event) continue;
      if (event.type === 'link-new') w.names.set(event.link.ifindex, event.link.ifname);
      else if (event.type === 'link-del') w.names.delete(event.link.ifindex);
      if (this.#kinds.has(event.type === 'link-new' || event.type === 'link-del' ? 'link' : 'address')) return { value: event, done: false };
    }
  }

  /** End now (`break` in `for await` calls this). */
  async return(): Promise<IteratorResult<MonitorEvent, undefined>> {
    this.close();
    return { value: undefined, done: true };
  }

  /** Stop listening and close every socket it opened (also while it is still starting). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    openMonitors.get(this.#cache)?.delete(this);
    this.#reader?.close();
    for (const w of this.#watched) this.#closeSockets(w);
  }

  // ------------------------------------------------------------ internals

  async #start(): Promise<void> {
    const names = this.#kinds.has('address');
    // Address events are named from the link group: join it for them too.
    const groups = groupsFor(names ? ['link', 'address'] : [...this.#kinds]);
    const opened = await this.#openContainers();
    try {
      await Promise.all(this.#watched.filter((w) => !w.duplicate).map((w) => this.#listen(w, names, groups)));
    } finally {
      opened.forEach((o) => o.close());
    }
    if (this.#closed) return;
    const listened = this.#watched.filter((w) => !w.duplicate);
    for (const w of listened) this.#bySocket.set(w.events!, w);
    this.#reader = new EventReader(listened.map((w) => w.events!), MONITOR);
  }

  /** Ask the engine for the containers' namespaces, open them (closed once their sockets are), and drop repeats. */
  async #openContainers(): Promise<OpenTarget[]> {
    const opened: OpenTarget[] = [];
    try {
      for (const w of this.#watched) {
        if (w.container === undefined) continue;
        const open = await openTarget({ container: w.container });
        opened.push(open);
        const ns = resolveNetns(open.ref);
        const key = `${ns.dev}:${ns.ino}`;
        if (this.#identities.has(key)) w.duplicate = true;
        else { this.#identities.add(key); w.ref = open.ref; }
      }
      return opened;
    } catch (error) {
      opened.forEach((o) => o.close());
      throw error;
    }
  }

  /** Open one namespace's sockets and join its groups. */
  async #listen(w: Watched, names: boolean, groups: number[]): Promise<void> {
    if ('current' in w.ref!) {
      // The main thread lives in the current namespace: no worker needed.
      w.events = EventSocket.open(w.label);
      if (names) w.requests = NetlinkSocket.open(RTNETLINK, w.label);
    } else {
      const fds = await this.#cache.threads.openSockets(w.ref!, names ? 2 : 1);
      w.events = new EventSocket(fds[0], w.label);
      if (names) w.requests = new NetlinkSocket(fds[1], RTNETLINK, w.label);
    }
    if (this.#closed) return this.#closeSockets(w); // closed while these were opening
    w.events.subscribe(groups);
    if (names) await this.#readNames(w);
  }

  /** The namespace's link names, read afresh. */
  #readNames(w: Watched): Promise<void> {
    const reading = new Netns(w.requests!, w.label).listLinks().then((links) => {
      w.names = new Map(links.map((l) => [l.ifindex, l.ifname]));
    }).finally(() => {
      w.reading = undefined;
      if (this.#closed) w.requests?.close();
    });
    w.reading = reading;
    return reading;
  }

  #closeSockets(w: Watched): void {
    w.events?.close();
    if (!w.reading) w.requests?.close(); // else once the read ends (see #readNames)
  }
}
