// Request builders for links: the messages `ip link add/set/del/show` send,
// attribute for attribute in iproute2's order, so that our bytes and
// iproute2's can be compared in golden tests.

import { NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST } from '../message.js';
import type { Request } from '../request.js';
import type { IfInfoMsg } from './headers.js';
import { IFF_UP, RTEXT_FILTER_VF, RTM_DELLINK, RTM_DELLINKPROP, RTM_GETLINK, RTM_NEWLINK, RTM_NEWLINKPROP, type LinkAttrs } from './link.js';
import type { KindData } from './kinds/index.js';

const AF_UNSPEC = 0;
const AF_PACKET = 17;

/** Settings that both a new link and `ip link set` can carry. */
export interface LinkSettings {
  /** Parent device ifindex (`link DEV`, for macvlan, vlan). */
  link?: number;
  address?: string;
  broadcast?: string;
  mtu?: number;
  txqlen?: number;
  master?: number;
  /** Put the link in the namespace open at this fd (`netns NAME`). */
  netNsFd?: number;
  netNsPid?: number;
  /** The namespace, by its nsid here, where `link` (and a vxlan's lower device) is looked up (`link-netnsid ID`). */
  linkNetnsid?: number;
  group?: number;
  ifalias?: string;
  /** Set or clear IFF_UP (`up` / `down`). */
  up?: boolean;
}

/**
 * A new link: its settings, its kind and IFLA_INFO_DATA typed by that kind
 * (vxlan id, macvlan mode, ...; attributes are sent in key order), and for a
 * veth its peer.
 */
export type NewLinkSpec = LinkSettings & KindData & {
  ifname: string;
  /** veth only: the other end, optionally created directly in another namespace. */
  peer?: LinkSettings & { ifname?: string };
};

/** Link selector: ifindex, or name. */
export type LinkRef = { index: number } | { ifname: string };

function header(index = 0, up?: boolean, family = AF_UNSPEC): IfInfoMsg {
  return { family, type: 0, index, flags: up ? IFF_UP : 0, change: up === undefined ? 0 : IFF_UP };
}

/** IFLA attributes for settings, in iproute2's order (options first, then the parent, the name last). */
function settingAttrs(s: LinkSettings, ifname?: string): LinkAttrs {
  const a: LinkAttrs = {};
  if (s.address !== undefined) a.address = s.address;
  if (s.broadcast !== undefined) a.broadcast = s.broadcast;
  if (s.mtu !== undefined) a.mtu = s.mtu;
  if (s.txqlen !== undefined) a.txqlen = s.txqlen;
  if (s.master !== undefined) a.master = s.master;
  if (s.netNsFd !== undefined) a.netNsFd = s.netNsFd;
  if (s.netNsPid !== undefined) a.netNsPid = s.netNsPid;
  if (s.linkNetnsid !== undefined) a.linkNetnsid = s.linkNetnsid;
  if (s.group !== undefined) a.group = s.group;
  if (s.ifalias !== undefined) a.ifalias = s.ifalias;
  if (s.link !== undefined) a.link = s.link;
  if (ifname !== undefined) a.ifname = ifname;
  return a;
}

/** Like `ip link add NAME [options] type KIND [data] [peer name P [netns NS]]`. */
export function addLink(spec: NewLinkSpec): Request<IfInfoMsg, LinkAttrs> {
  const attrs = settingAttrs(spec, spec.ifname);
  let data: unknown = spec.data;
  if (spec.peer) {
    const { up, ifname, ...rest } = spec.peer;
    data = { peer: { header: header(0, up), attrs: settingAttrs(rest, ifname) } };
  }
  attrs.linkinfo = data ? { kind: spec.kind, data } as LinkAttrs['linkinfo'] : { kind: spec.kind };
  return { type: RTM_NEWLINK, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, header: header(0, spec.up), attrs };
}

/** Like `ip link set dev X [up|down] [name N] [mtu M] [address A] [master B] [netns NS] [alias S]`. */
export function setLink(index: number, changes: LinkSettings & { ifname?: string }): Request<IfInfoMsg, LinkAttrs> {
  const { up, ifname, ...rest } = changes;
  const attrs: LinkAttrs = ifname !== undefined ? { ifname, ...settingAttrs(rest) } : settingAttrs(rest);
  return { type: RTM_NEWLINK, flags: NLM_F_REQUEST | NLM_F_ACK, header: header(index, up), attrs };
}

/**
 * Like `ip link set group G [alias S] ...`: the changes applied to every link
 * in group `group` (ifindex 0 and no name: the kernel selects by IFLA_GROUP).
 * A group no link is in is not an error; nothing changes.
 */
export function setLinkGroup(group: number, changes: Omit<LinkSettings, 'group'>): Request<IfInfoMsg, LinkAttrs> {
  const { up, ...rest } = changes;
  return { type: RTM_NEWLINK, flags: NLM_F_REQUEST | NLM_F_ACK, header: header(0, up), attrs: settingAttrs({ ...rest, group }) };
}

/** Like `ip link del dev X`. */
export function deleteLink(ref: LinkRef): Request<IfInfoMsg, LinkAttrs> {
  const byIndex = 'index' in ref;
  return { type: RTM_DELLINK, flags: NLM_F_REQUEST | NLM_F_ACK, header: header(byIndex ? ref.index : 0), attrs: byIndex ? {} : { ifname: ref.ifname } };
}

/** Like `ip link show dev X`: one RTM_GETLINK, answered by one RTM_NEWLINK (no ack). */
export function getLink(ref: LinkRef, extMask = RTEXT_FILTER_VF): Request<IfInfoMsg, LinkAttrs> {
  const byIndex = 'index' in ref;
  const attrs: LinkAttrs = byIndex ? { extMask } : { ifname: ref.ifname, extMask };
  return { type: RTM_GETLINK, flags: NLM_F_REQUEST, header: header(byIndex ? ref.index : 0, undefined, AF_PACKET), attrs };
}

/** Like `ip link show`: a dump of every link in the namespace. */
export function dumpLinks(extMask = RTEXT_FILTER_VF): Request<IfInfoMsg, LinkAttrs> {
  return { type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_DUMP, header: header(0, undefined, AF_PACKET), attrs: { extMask } };
}

/**
 * Like `ip link property add dev X altname NAME`: RTM_NEWLINKPROP whose
 * IFLA_PROP_LIST (flagged NLA_F_NESTED, as the kernel requires) holds the name.
 */
export function addAltname(index: number, altname: string): Request<IfInfoMsg, LinkAttrs> {
  return {
    type: RTM_NEWLINKPROP, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE | NLM_F_APPEND,
    header: header(index), attrs: { propList: { altIfname: [altname] } },
  };
}

/** Like `ip link property del dev X altname NAME`: RTM_DELLINKPROP. */
export function deleteAltname(index: number, altname: string): Request<IfInfoMsg, LinkAttrs> {
  return { type: RTM_DELLINKPROP, flags: NLM_F_REQUEST | NLM_F_ACK, header: header(index), attrs: { propList: { altIfname: [altname] } } };
}
