// Request builders for neighbours (`ip neigh add/del/show`) and namespace ids
// (`ip netns set NAME ID`, `ip netns list-id`).

import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST } from '../message.js';
import type { Request } from '../request.js';
import type { NdMsg, RtGenMsg } from './headers.js';
import { parseIP } from '../bytes.js';
import { AF_INET, AF_INET6 } from './addr-requests.js';
import { NUD_PERMANENT, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH, type NeighAttrs } from './neigh.js';
import { RTM_GETNSID, RTM_NEWNSID, type NsidAttrs } from './nsid.js';

export interface NeighbourSpec {
  /** Device ifindex. */
  ifindex: number;
  /** The neighbour's IP address. */
  dst: string;
  lladdr?: string;
  /** NUD_* state; permanent when not given, as iproute2 does. */
  state?: number;
}

function neighMessage(type: number, flags: number, spec: NeighbourSpec): Request<NdMsg, NeighAttrs> {
  const family = parseIP(spec.dst).length === 4 ? AF_INET : AF_INET6;
  const attrs: NeighAttrs = { dst: spec.dst };
  if (spec.lladdr !== undefined) attrs.lladdr = spec.lladdr;
  return { type, flags, header: { family, ifindex: spec.ifindex, state: spec.state ?? NUD_PERMANENT, flags: 0, type: 0 }, attrs };
}

/** Like `ip neigh add DST lladdr MAC dev X nud permanent`. */
export function addNeighbour(spec: NeighbourSpec): Request<NdMsg, NeighAttrs> {
  return neighMessage(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, spec);
}

/** Like `ip neigh del DST dev X`. */
export function deleteNeighbour(spec: NeighbourSpec): Request<NdMsg, NeighAttrs> {
  return neighMessage(RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK, spec);
}

/** Like `ip neigh show`. */
export function dumpNeighbours(family = 0): Request<NdMsg, NeighAttrs> {
  return { type: RTM_GETNEIGH, flags: NLM_F_REQUEST | NLM_F_DUMP, header: { family, ifindex: 0, state: 0, flags: 0, type: 0 }, attrs: {} };
}

/** Like `ip netns set NAME ID`: give the namespace open at `fd` the id `nsid` here. */
export function setNsid(fd: number, nsid: number): Request<RtGenMsg, NsidAttrs> {
  return { type: RTM_NEWNSID, flags: NLM_F_REQUEST | NLM_F_ACK, header: { family: 0 }, attrs: { fd, nsid } };
}

/** Like `ip netns list-id`. */
export function dumpNsids(): Request<RtGenMsg, NsidAttrs> {
  return { type: RTM_GETNSID, flags: NLM_F_REQUEST | NLM_F_DUMP, header: { family: 0 }, attrs: {} };
}

/** Like the lookup `ip netns list` makes for each name: the id this namespace gives the namespace open at `fd` (one reply, no ack). */
export function getNsid(fd: number): Request<RtGenMsg, NsidAttrs> {
  return { type: RTM_GETNSID, flags: NLM_F_REQUEST, header: { family: 0 }, attrs: { fd } };
}

/** Like `ip neigh get DST dev X`: one neighbour entry (one reply, no ack). */
export function getNeighbour(spec: NeighbourSpec): Request<NdMsg, NeighAttrs> {
  return neighMessage(RTM_GETNEIGH, NLM_F_REQUEST, { ...spec, state: spec.state ?? 0 });
}
