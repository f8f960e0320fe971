// What vc.monitor() yields, and how a kernel notification becomes one: the
// groups each kind of event needs, the projection events are decoded with
// (only what convert.ts reads, as for dumps), and the conversion itself.
// Pure: no sockets here (src/api/monitor.ts does the listening).

import { Protocol, type Message } from '../netlink/message.js';
import { IFINFOMSG, IFADDRMSG, type IfInfoMsg } from '../netlink/route/headers.js';
import { RTM_NEWLINK, RTM_DELLINK } from '../netlink/route/link.js';
import { RTM_NEWADDR, RTM_DELADDR } from '../netlink/route/addr.js';
import { RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR } from '../netlink/route/groups.js';
import { LINK_SUMMARY, ADDRESS_SUMMARY } from './summary.js';
import { toLink, toAddress, type Link, type Address } from './convert.js';

/** What to listen to: links appearing, changing and going; addresses added and removed. */
export type MonitorEventKind = 'link' | 'address';
export const MONITOR_EVENT_KINDS: readonly MonitorEventKind[] = ['link', 'address'];

/**
 * One event, tagged with the namespace it happened in (`netns red`, `pid 1234`,
 * `current netns`, `netns path /x`: the library's label for it).
 *
 * - `link-new`: a link was created or changed (up/down, carrier, MTU, name,
 *   master, ...); `link` is its state after the change (RTM_NEWLINK).
 * - `link-del`: a link was deleted (or moved to another namespace); `link` is
 *   its last state (RTM_DELLINK).
 * - `address-new` / `address-del`: an address was added (or changed, e.g. when
 *   IPv6 duplicate address detection ends) / removed; `ifname` is the name of
 *   its link when known.
 * - `overrun`: the kernel dropped events for this namespace (the reader fell
 *   behind and the socket's buffer filled): list links and addresses afresh.
 */
export type MonitorEvent =
  | { netns: string; type: 'link-new' | 'link-del'; link: Link }
  | { netns: string; type: 'address-new' | 'address-del'; address: Address; ifname?: string }
  | { netns: string; type: 'overrun' };

export type MonitorEventType = MonitorEvent['type'];

/** The rtnetlink groups (RTNLGRP_*) to join for these kinds of event. */
export function groupsFor(kinds: readonly MonitorEventKind[]): number[] {
  const groups: number[] = [];
  if (kinds.includes('link')) groups.push(RTNLGRP_LINK);
  if (kinds.includes('address')) groups.push(RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR);
  return groups;
}

/** Decodes link and address notifications into just what convert.ts reads; other types stay raw. */
export const MONITOR = new Protocol('rtnetlink events')
  .register([RTM_NEWLINK, RTM_DELLINK], { name: 'link', header: IFINFOMSG, table: LINK_SUMMARY })
  .register([RTM_NEWADDR, RTM_DELADDR], { name: 'address', header: IFADDRMSG, table: ADDRESS_SUMMARY });

/** AF_BRIDGE: a bridge port's state, sent to the link group beside the port's own link message. */
const AF_BRIDGE = 7;

/**
 * The event a decoded notification makes, or undefined for one that is not a
 * link or address event (or did not decode with its layout, or is a bridge
 * port's AF_BRIDGE copy of a link message). `ifname` names the link of an
 * address event, if the caller knows it.
 */
export function toMonitorEvent(netns: string, m: Message, ifname?: (ifindex: number) => string | undefined): MonitorEvent | undefined {
  if (!('header' in m) || m.header === undefined) return undefined;
  switch (m.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      if ((m.header as IfInfoMsg).family === AF_BRIDGE) return undefined;
      return { netns, type: m.type === RTM_NEWLINK ? 'link-new' : 'link-del', link: toLink(m) };
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      const address = toAddress(m);
      const name = ifname?.(address.ifindex);
      const type = m.type === RTM_NEWADDR ? 'address-new' : 'address-del';
      return name === undefined ? { netns, type, address } : { netns, type, address, ifname: name };
    }
    default:
      return undefined;
  }
}

/** One line for a person: `netns red: link nic1 (ifindex 5) up, mtu 1500`, `netns red: address 10.0.0.1/24 added on nic1`. */
export function describeEvent(e: MonitorEvent): string {
  switch (e.type) {
    case 'link-new':
    case 'link-del': {
      const l = e.link;
      const what = `${e.netns}: link ${l.ifname} (ifindex ${l.ifindex}${l.kind ? `, ${l.kind}` : ''})`;
      if (e.type === 'link-del') return `${what} deleted`;
      return `${what} ${l.up ? 'up' : 'down'}${l.flags.includes('NO-CARRIER') ? ' (no carrier)' : ''}${l.mtu !== undefined ? `, mtu ${l.mtu}` : ''}`;
    }
    case 'address-new':
    case 'address-del': {
      const on = e.ifname ?? `ifindex ${e.address.ifindex}`;
      return e.type === 'address-new' ? `${e.netns}: address ${e.address.cidr} added on ${on}` : `${e.netns}: address ${e.address.cidr} deleted from ${on}`;
    }
    case 'overrun':
      return `${e.netns}: events were lost (the kernel's queue overflowed); list the state again to catch up`;
  }
}
