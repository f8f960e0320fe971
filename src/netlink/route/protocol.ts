// NETLINK_ROUTE: which fixed header and attribute table each RTM_* message uses.

import { Protocol } from '../message.js';
import { IFINFOMSG, IFADDRMSG, RTMSG, NDMSG, RTGENMSG } from './headers.js';
import { IFLA, RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK, RTM_NEWLINKPROP, RTM_DELLINKPROP } from './link.js';
import { IFA, RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR } from './addr.js';
import { RTA, RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE } from './route.js';
import {
  NDA, NDTA, NDTMSG, RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL, RTM_SETNEIGHTBL,
} from './neigh.js';
import { NETNSA, RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID } from './nsid.js';

export const NETLINK_ROUTE = 0;

// Alternative interface names (`ip link property add dev X altname Y`) travel
// in link-shaped messages of their own.

export const RTNETLINK = new Protocol('rtnetlink')
  .register([RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK], { name: 'link', header: IFINFOMSG, table: IFLA })
  .register([RTM_NEWLINKPROP, RTM_DELLINKPROP], { name: 'linkprop', header: IFINFOMSG, table: IFLA })
  .register([RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR], { name: 'addr', header: IFADDRMSG, table: IFA })
  .register([RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE], { name: 'route', header: RTMSG, table: RTA })
  .register([RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH], { name: 'neigh', header: NDMSG, table: NDA })
  .register([RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL, RTM_SETNEIGHTBL], { name: 'neightbl', header: NDTMSG, table: NDTA })
  .register([RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID], { name: 'nsid', header: RTGENMSG, table: NETNSA });
