// NETLINK_ROUTE: which fixed header and attribute table each RTM_* message
// uses, the typed messages that decoding with RTNETLINK yields, and guards
// that narrow a decoded message to one of them.

import { Protocol, type LayoutMessage, type DecodedMessage, type Message } from '../message.js';
import { IFINFOMSG, IFADDRMSG, RTMSG, NDMSG, RTGENMSG, type IfInfoMsg, type IfAddrMsg, type RtMsg, type NdMsg, type RtGenMsg } from './headers.js';
import { IFLA, RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK, RTM_NEWLINKPROP, RTM_DELLINKPROP, type LinkAttrs } from './link.js';
import { IFA, RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR, type AddrAttrs } from './addr.js';
import { RTA, RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE, type RouteAttrs } from './route.js';
import {
  NDA, NDTA, NDTMSG, RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL, RTM_SETNEIGHTBL,
  type NeighAttrs, type NeighTableAttrs, type NdtMsg,
} from './neigh.js';
import { NETNSA, RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID, type NsidAttrs } from './nsid.js';

export const NETLINK_ROUTE = 0;

/** Link messages, alternative names (`ip link property add dev X altname Y`) included. */
export type LinkMessageType = typeof RTM_NEWLINK | typeof RTM_DELLINK | typeof RTM_GETLINK | typeof RTM_SETLINK | typeof RTM_NEWLINKPROP | typeof RTM_DELLINKPROP;
export type AddrMessageType = typeof RTM_NEWADDR | typeof RTM_DELADDR | typeof RTM_GETADDR;
export type RouteMessageType = typeof RTM_NEWROUTE | typeof RTM_DELROUTE | typeof RTM_GETROUTE;
export type NeighMessageType = typeof RTM_NEWNEIGH | typeof RTM_DELNEIGH | typeof RTM_GETNEIGH;
export type NeighTblMessageType = typeof RTM_NEWNEIGHTBL | typeof RTM_GETNEIGHTBL | typeof RTM_SETNEIGHTBL;
export type NsidMessageType = typeof RTM_NEWNSID | typeof RTM_DELNSID | typeof RTM_GETNSID;

/** RTM_*LINK and RTM_*LINKPROP: struct ifinfomsg and IFLA_* attributes. */
export interface LinkMessage extends LayoutMessage<IfInfoMsg, LinkAttrs, LinkMessageType> {}
/** RTM_*ADDR: struct ifaddrmsg and IFA_* attributes. */
export interface AddrMessage extends LayoutMessage<IfAddrMsg, AddrAttrs, AddrMessageType> {}
/** RTM_*ROUTE: struct rtmsg and RTA_* attributes. */
export interface RouteMessage extends LayoutMessage<RtMsg, RouteAttrs, RouteMessageType> {}
/** RTM_*NEIGH: struct ndmsg and NDA_* attributes. */
export interface NeighMessage extends LayoutMessage<NdMsg, NeighAttrs, NeighMessageType> {}
/** RTM_*NEIGHTBL: struct ndtmsg and NDTA_* attributes. */
export interface NeighTblMessage extends LayoutMessage<NdtMsg, NeighTableAttrs, NeighTblMessageType> {}
/** RTM_*NSID: struct rtgenmsg and NETNSA_* attributes. */
export interface NsidMessage extends LayoutMessage<RtGenMsg, NsidAttrs, NsidMessageType> {}

/** The rtnetlink messages decoded with their layout. */
export type RtnlLayoutMessage = LinkMessage | AddrMessage | RouteMessage | NeighMessage | NeighTblMessage | NsidMessage;
/** Whatever decoding with RTNETLINK yields: a union discriminated by `type`. */
export type RtnlMessage = DecodedMessage<RtnlLayoutMessage>;

export const RTNETLINK: Protocol<RtnlLayoutMessage> = new Protocol('rtnetlink')
  .register([RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK], { name: 'link', header: IFINFOMSG, table: IFLA })
  .register([RTM_NEWLINKPROP, RTM_DELLINKPROP], { name: 'linkprop', header: IFINFOMSG, table: IFLA })
  .register([RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR], { name: 'addr', header: IFADDRMSG, table: IFA })
  .register([RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE], { name: 'route', header: RTMSG, table: RTA })
  .register([RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH], { name: 'neigh', header: NDMSG, table: NDA })
  .register([RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL, RTM_SETNEIGHTBL], { name: 'neightbl', header: NDTMSG, table: NDTA })
  .register([RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID], { name: 'nsid', header: RTGENMSG, table: NETNSA });

/** A guard for messages of these types that decoded with their layout (not raw). */
function guard<M extends LayoutMessage>(types: readonly number[]): (m: Message) => m is M {
  const set = new Set(types);
  return (m: Message): m is M => set.has(m.type) && 'header' in m && m.header !== undefined;
}

/** A link message (RTM_NEWLINK, ...; RTM_NEWLINKPROP, ...) with its ifinfomsg and IFLA attributes. */
export const isLink = guard<LinkMessage>([RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK, RTM_NEWLINKPROP, RTM_DELLINKPROP]);
/** An address message (RTM_NEWADDR, ...) with its ifaddrmsg and IFA attributes. */
export const isAddr = guard<AddrMessage>([RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR]);
/** A route message (RTM_NEWROUTE, ...) with its rtmsg and RTA attributes. */
export const isRoute = guard<RouteMessage>([RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE]);
/** A neighbour message (RTM_NEWNEIGH, ...) with its ndmsg and NDA attributes. */
export const isNeigh = guard<NeighMessage>([RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH]);
/** A neighbour table message (RTM_NEWNEIGHTBL, ...) with its ndtmsg and NDTA attributes. */
export const isNeighTbl = guard<NeighTblMessage>([RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL, RTM_SETNEIGHTBL]);
/** A namespace id message (RTM_NEWNSID, ...) with its rtgenmsg and NETNSA attributes. */
export const isNsid = guard<NsidMessage>([RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID]);
