// NETLINK_ROUTE: which fixed header and attribute table each RTM_* message uses.

import { Protocol } from '../message.js';
import { IFINFOMSG } from './headers.js';
import { IFLA, RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK } from './link.js';

export const NETLINK_ROUTE = 0;

export const RTNETLINK = new Protocol('rtnetlink')
  .register([RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK], { name: 'link', header: IFINFOMSG, table: IFLA });
