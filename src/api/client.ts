// Vethcon: the library's entry point. Every call can target any namespace
// ({ netns: 'pb-a' }, { netns: { pid } }, ...; the current one by default).
// Results are plain JSON-serialisable objects.

import { statSync, readSync, writeSync, closeSync } from 'node:fs';
import { NetlinkSocket } from '../transport/socket.js';
import { RTNETLINK } from '../netlink/route/protocol.js';
import type { Request } from '../netlink/request.js';
import type { NetlinkError } from '../netlink/kernel-error.js';
import { namedNetnsPath, resolveNetns, validateNetnsName, type NamespaceThreads, type NetnsRef } from '../ns/index.js';
import { Netns, type LinkName, type LinkAddOptions, type LinkSetOptions, type LinkFilter, type RouteListOptions, type RouteOptions } from './netns.js';
import { SocketCache, openTarget, toRef, type NetnsTarget } from './sockets.js';
import type { Link, Address, Route, Neighbour } from './convert.js';
import type { RouteList } from './route-list.js';
import { check, checkWith, describeValue, ifname as ifnameRule, netnsTargetProblem, ValidationError } from '../rules/index.js';
import { Monitor, closeMonitors, type MonitorOptions } from './monitor.js';

type In = { netns?: NetnsTarget };

/** An options object (or nothing): a ValidationError naming `what` otherwise. */
function options<T extends object>(o: T | undefined, what = 'options'): T {
  if (o === undefined) return {} as T;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ValidationError(`${what}: must be an object; got ${describeValue(o)}`);
  return o;
}

/** A namespace target, or undefined for the current namespace (netnsTargetProblem). */
function checkTarget(target: unknown): void {
  if (target !== undefined) checkWith(netnsTargetProblem, target, 'netns');
}

export class Vethcon {
  private readonly sockets: SocketCache;

  /** `threads`: namespace worker threads to use (and close with this instance); made on demand otherwise. */
  constructor(options: { threads?: NamespaceThreads } = {}) {
    this.sockets = new SocketCache(options.threads);
  }

  /** A handle bound to one namespace (its socket opened once). */
  async netns(target?: NetnsTarget): Promise<Netns> {
    checkTarget(target);
    const socket = await this.sockets.get(target);
    return new Netns(socket, socket.label);
  }

  /**
   * Handles for many namespaces at once, in order: their sockets opened in
   * one request to the namespace worker rather than one each. Fails as
   * netns() does for the first target that cannot be opened.
   */
  async netnsAll(targets: readonly (NetnsTarget | undefined)[]): Promise<Netns[]> {
    for (const t of targets) checkTarget(t);
    await this.sockets.prefetch(targets);
    return Promise.all(targets.map((t) => this.netns(t)));
  }

  /**
   * Start opening the sockets of these namespaces now, in one request to the
   * namespace worker, for calls to come. Never fails: a namespace that
   * cannot be opened is reported by the call that uses it.
   */
  prefetch(targets: readonly (NetnsTarget | undefined)[]): Promise<void> {
    return this.sockets.prefetch(targets);
  }

  /** Close the socket kept for a namespace (a scan done with it); the next call opens a new one. */
  release(target: string | NetnsRef): void {
    const r = resolveNetns(toRef(target));
    this.sockets.forget(r.dev, r.ino);
  }

  readonly links = {
    /** Like `ip link show`. */
    list: async (o: In & LinkFilter = {}): Promise<Link[]> => (await this.netns(options(o).netns)).listLinks(o),
    /** Like `ip link show dev NAME`. */
    get: async (name: LinkName, o: In = {}): Promise<Link> => (await this.netns(options(o).netns)).getLink(name),
    /** Like `ip link add ...`. */
    add: async (o: In & LinkAddOptions): Promise<Link> => {
      const { netns, ...rest } = options(o, 'link');
      return (await this.netns(netns)).addLink(rest);
    },
    /** Like `ip link del dev NAME`. */
    delete: async (name: LinkName, o: In = {}): Promise<void> => (await this.netns(options(o).netns)).deleteLink(name),
    /** Like `ip link set dev NAME ...` (move with { netns: target } in the changes). */
    set: async (name: LinkName, changes: LinkSetOptions, o: In = {}): Promise<void> => (await this.netns(options(o).netns)).setLink(name, changes),
  };

  readonly addresses = {
    list: async (o: In & { dev?: LinkName; family?: 'inet' | 'inet6' } = {}): Promise<Address[]> => (await this.netns(options(o).netns)).listAddresses(o),
    add: async (dev: LinkName, cidr: string, o: In & { nodad?: boolean; label?: string; replace?: boolean } = {}): Promise<void> => {
      const { netns, ...rest } = options(o);
      return (await this.netns(netns)).addAddress(dev, cidr, rest);
    },
    delete: async (dev: LinkName, cidr: string, o: In = {}): Promise<void> => (await this.netns(options(o).netns)).deleteAddress(dev, cidr),
  };

  readonly routes = {
    list: async (o: In & RouteListOptions = {}): Promise<Route[]> => (await this.netns(options(o).netns)).listRoutes(o),
    /** Visit routes as they are decoded, holding none: for very large tables. */
    each: async (visit: (r: Route) => void, o: In & RouteListOptions = {}): Promise<number> => (await this.netns(options(o).netns)).eachRoute(visit, o),
    /** The routes kept as the kernel's bytes, each made into a Route when asked for (RouteList): for very large tables. */
    table: async (o: In & RouteListOptions = {}): Promise<RouteList> => (await this.netns(options(o).netns)).routeList(o),
    add: async (o: In & RouteOptions): Promise<void> => { const { netns, ...r } = options(o, 'route'); return (await this.netns(netns)).addRoute(r); },
    replace: async (o: In & RouteOptions): Promise<void> => { const { netns, ...r } = options(o, 'route'); return (await this.netns(netns)).replaceRoute(r); },
    delete: async (o: In & RouteOptions): Promise<void> => { const { netns, ...r } = options(o, 'route'); return (await this.netns(netns)).deleteRoute(r); },
  };

  readonly neighbours = {
    list: async (o: In = {}): Promise<Neighbour[]> => (await this.netns(options(o).netns)).listNeighbours(),
    add: async (o: In & { dev: LinkName; dst: string; lladdr: string }): Promise<void> => { const { netns, ...n } = options(o, 'neighbour'); return (await this.netns(netns)).addNeighbour(n); },
    delete: async (o: In & { dev: LinkName; dst: string }): Promise<void> => { const { netns, ...n } = options(o, 'neighbour'); return (await this.netns(netns)).deleteNeighbour(n); },
  };

  /** Named namespaces, like `ip netns add/del/list`. */
  readonly namespaces = {
    /** Like `ip netns add NAME`; its socket is opened inside it on the way (no extra hop). */
    create: async (name: string): Promise<Netns> => {
      validateNetnsName(name);
      const [fd] = await this.sockets.threads.createNamed(name, { sockets: 1 });
      const socket = new NetlinkSocket(fd, RTNETLINK, `netns ${name}`);
      const st = statSync(namedNetnsPath(name));
      this.sockets.adopt(st.dev, st.ino, socket);
      return new Netns(socket, socket.label);
    },
    /** Like `ip netns del NAME`. */
    delete: async (name: string): Promise<void> => {
      validateNetnsName(name);
      try {
        const st = statSync(namedNetnsPath(name));
        this.sockets.forget(st.dev, st.ino);
      } catch { /* not there: deleteNamed reports it */ }
      await this.sockets.threads.deleteNamed(name);
    },
    /** Like `ip netns list`. */
    list: (): string[] => this.sockets.threads.listNamed(),
  };

  /** Many requests (from vethcon/netlink builders) in few sends, every ack matched. */
  async batch(requests: Request[], o: In = {}): Promise<(NetlinkError | undefined)[]> {
    return (await this.netns(options(o).netns)).batch(requests);
  }

  /**
   * Turn IPv6 on for one link where it is off (Docker switches it off in
   * containers): net.ipv6.conf.IFNAME.disable_ipv6 = 0 in that namespace.
   * The worker opens the sysctl file inside the namespace; we write it here.
   */
  async enableIPv6(target: NetnsTarget | undefined, ifname: string): Promise<void> {
    // The name becomes part of a path: '../' in it would reach outside /proc/sys.
    check(ifnameRule, ifname, 'ifname');
    checkTarget(target);
    const path = `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`;
    const open = await openTarget(target);
    let fd: number;
    try {
      [fd] = await this.sockets.threads.openFiles(open.ref, [path]);
    } finally {
      open.close();
    }
    try {
      const buf = Buffer.alloc(8);
      const n = readSync(fd, buf, 0, buf.length, 0);
      if (buf.toString('ascii', 0, n).trim() !== '0') writeSync(fd, '0\n', 0);
    } finally {
      closeSync(fd);
    }
  }

  /** Link and address events from namespaces as they happen, like `ip monitor link address` (see Monitor). */
  monitor(options: MonitorOptions = {}): Monitor {
    return new Monitor(this.sockets, options);
  }

  /** Close every socket and end the namespace worker. */
  async close(): Promise<void> {
    closeMonitors(this.sockets);
    await this.sockets.close();
  }
}

/** A new library instance; close() it when done (an idle one does not keep the process alive). */
export function open(): Vethcon {
  return new Vethcon();
}
