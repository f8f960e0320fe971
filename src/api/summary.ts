// The attributes our list calls turn into results, and only those: dumps are
// decoded with these projections, skipping the rest of each message
// (counters, per-family config, ...) instead of decoding it and dropping it.

import { pick } from '../netlink/attr.js';
import { Protocol } from '../netlink/message.js';
import { IFINFOMSG, IFADDRMSG, RTMSG } from '../netlink/route/headers.js';
import { IFLA, RTM_NEWLINK } from '../netlink/route/link.js';
import { IFA, RTM_NEWADDR } from '../netlink/route/addr.js';
import { RTA, RTM_NEWROUTE } from '../netlink/route/route.js';

export const LINK_SUMMARY = pick(IFLA, [
  'address', 'broadcast', 'ifname', 'mtu', 'link', 'qdisc', 'master', 'txqlen', 'operstate',
  'linkinfo', 'ifalias', 'group', 'linkNetnsid', 'propList',
]);
export const ADDRESS_SUMMARY = pick(IFA, ['address', 'local', 'label', 'broadcast', 'flags']);
export const ROUTE_SUMMARY = pick(RTA, ['dst', 'oif', 'gateway', 'priority', 'prefsrc', 'multipath', 'table']);

/** A link's header alone: for lookups that want only its ifindex (no attribute decoded). */
export const LINK_INDEX = new Protocol('rtnetlink link index')
  .register([RTM_NEWLINK], { name: 'link', header: IFINFOMSG, table: pick(IFLA, []) });

/** A new link's echo (NLM_F_ECHO): its name and IFLA_LINK (a veth's peer), beside the ifindex in its header. */
export const LINK_ECHO = new Protocol('rtnetlink link echo')
  .register([RTM_NEWLINK], { name: 'link', header: IFINFOMSG, table: pick(IFLA, ['ifname', 'link']) });

/** Decodes dump replies into just what convert.ts reads. */
export const SUMMARY = new Protocol('rtnetlink summaries')
  .register([RTM_NEWLINK], { name: 'link', header: IFINFOMSG, table: LINK_SUMMARY })
  .register([RTM_NEWADDR], { name: 'address', header: IFADDRMSG, table: ADDRESS_SUMMARY })
  .register([RTM_NEWROUTE], { name: 'route', header: RTMSG, table: ROUTE_SUMMARY });
