// Request builders for routes, as `ip route add/replace/del/get/show` sends
// them: the destination first, then gateway, metric, next hops, the device last.

import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../message.js';
import type { Request } from '../request.js';
import type { RtMsg } from './headers.js';
import { splitCidr, AF_INET, AF_INET6 } from './addr-requests.js';
import { parseIP } from '../bytes.js';
import {
  RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE, RTN_UNICAST, RTPROT_BOOT, RT_TABLE_MAIN, RTM_F_LOOKUP_TABLE,
  type RouteAttrs, type NextHop,
} from './route.js';

const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;

export interface RouteSpec {
  /** Destination prefix (`10.0.0.0/24`, `2001:db8::/64`) or 'default' (then `family` says which). */
  dst: string;
  family?: number;
  gateway?: string;
  /** Output device ifindex. */
  oif?: number;
  /** Metric (`metric N`). */
  priority?: number;
  prefsrc?: string;
  /** Routing table; 254 (main) when not given. */
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
  /** Equal-cost next hops (`nexthop via G dev D weight W`). */
  nexthops?: { gateway?: string; ifindex: number; weight?: number }[];
}

function routeMessage(type: number, flags: number, spec: RouteSpec, del: boolean): Request<RtMsg, RouteAttrs> {
  const isDefault = spec.dst === 'default';
  const dst = isDefault ? undefined : splitCidr(spec.dst);
  const gwFamily = spec.gateway ? (parseIP(spec.gateway).length === 4 ? AF_INET : AF_INET6) : undefined;
  const family = dst?.family ?? spec.family ?? gwFamily ?? AF_INET;
  const table = spec.table ?? RT_TABLE_MAIN;
  const viaGateway = spec.gateway !== undefined || spec.nexthops !== undefined;
  const header: RtMsg = {
    family,
    dstLen: dst?.prefixlen ?? 0,
    srcLen: 0,
    tos: 0,
    table: table < 256 ? table : 0,
    protocol: del ? 0 : spec.protocol ?? RTPROT_BOOT,
    scope: del ? RT_SCOPE_NOWHERE : spec.scope ?? (viaGateway || spec.oif === undefined ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK),
    type: del ? 0 : spec.type ?? RTN_UNICAST,
    flags: 0,
  };
  const attrs: RouteAttrs = {};
  if (dst) attrs.dst = dst.address;
  if (spec.gateway !== undefined) attrs.gateway = spec.gateway;
  if (spec.priority !== undefined) attrs.priority = spec.priority;
  if (spec.prefsrc !== undefined) attrs.prefsrc = spec.prefsrc;
  if (table >= 256) attrs.table = table;
  if (spec.nexthops) {
    attrs.multipath = spec.nexthops.map((nh): NextHop => ({
      flags: 0, hops: (nh.weight ?? 1) - 1, ifindex: nh.ifindex, attrs: nh.gateway !== undefined ? { gateway: nh.gateway } : {},
    }));
  }
  if (spec.oif !== undefined) attrs.oif = spec.oif;
  return { type, flags, header, attrs };
}

/** Like `ip route add DST [via GW] [dev D] [metric M] [table T]`. */
export function addRoute(spec: RouteSpec): Request<RtMsg, RouteAttrs> {
  return routeMessage(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, spec, false);
}

/** Like `ip route replace ...`: create, or replace the route with the same key. */
export function replaceRoute(spec: RouteSpec): Request<RtMsg, RouteAttrs> {
  return routeMessage(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, spec, false);
}

/** Like `ip route del DST [via GW] [dev D] [table T]`. */
export function deleteRoute(spec: RouteSpec): Request<RtMsg, RouteAttrs> {
  return routeMessage(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, spec, true);
}

/** Like `ip route get ADDR`: which route the kernel would use (one reply, no ack). */
export function getRoute(address: string): Request<RtMsg, RouteAttrs> {
  const { address: dst, family, prefixlen } = splitCidr(address);
  return {
    type: RTM_GETROUTE, flags: NLM_F_REQUEST,
    header: { family, dstLen: prefixlen, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: RTM_F_LOOKUP_TABLE },
    attrs: { dst },
  };
}

/** Like `ip route show [table T]`: a dump of one family, filtered by table in the kernel (null: every table). */
export function dumpRoutes(family = AF_INET, table: number | null = RT_TABLE_MAIN): Request<RtMsg, RouteAttrs> {
  return {
    type: RTM_GETROUTE, flags: NLM_F_REQUEST | NLM_F_DUMP,
    header: { family, dstLen: 0, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 },
    attrs: table === null ? {} : { table },
  };
}
