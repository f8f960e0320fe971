// veth: IFLA_INFO_DATA holds VETH_INFO_PEER, the peer's own ifinfomsg and
// IFLA attributes (its name, and IFLA_NET_NS_FD to create it in another
// netns). Its one creation option, the peer, is a link of its own: the API
// takes it as `peer: { ifname, netns, mtu, address }`.

import { attrs, headerThenAttrs, type AttrTable } from '../../attr.js';
import { IFINFOMSG } from '../headers.js';
import { defineKind } from './kind.js';

/** VETH_INFO_*: the peer nests the IFLA table, given here so this file need not import link.ts. */
export const vethTable = (ifla: () => AttrTable) => attrs('VETH_INFO', {
  peer: [1, headerThenAttrs(IFINFOMSG, ifla)],
});

export const veth = defineKind({ kind: 'veth', key: 'veth', data: vethTable, options: {} });
