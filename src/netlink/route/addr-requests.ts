// Request builders for addresses, as `ip addr add/del/show` sends them
// (IFA_LOCAL before IFA_ADDRESS, label and broadcast where given).

import { EncodeError } from '../errors.js';
import { parseIP } from '../bytes.js';
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NLM_F_REPLACE } from '../message.js';
import type { Request } from '../request.js';
import type { IfAddrMsg } from './headers.js';
import { IFA_F_NODAD, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR, type AddrAttrs } from './addr.js';

export const AF_INET = 2;
export const AF_INET6 = 10;

/** `10.0.0.1/24` → address text, family and prefix length. */
export function splitCidr(cidr: string): { address: string; family: number; prefixlen: number } {
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const bytes = parseIP(address);
  const max = bytes.length * 8;
  const prefixlen = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > max) throw new EncodeError(`bad prefix length in ${JSON.stringify(cidr)}`);
  return { address, family: bytes.length === 4 ? AF_INET : AF_INET6, prefixlen };
}

/** The IPv4 broadcast address of a prefix (`broadcast +`). */
export function broadcastOf(address: string, prefixlen: number): string {
  const b = parseIP(address);
  const host = prefixlen >= 32 ? 0 : 0xffffffff >>> prefixlen;
  const n = (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) | host) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export interface AddressSpec {
  /** Device ifindex. */
  index: number;
  /** Address with prefix length, e.g. 10.10.1.2/24 or 2001:db8::1/64. */
  cidr: string;
  label?: string;
  /** IPv4 broadcast address, or '+' to compute it from the prefix. */
  broadcast?: string;
  /** IPv6: skip duplicate address detection (`nodad`). */
  nodad?: boolean;
  /** Replace an existing address instead of failing with EEXIST (`ip addr replace`). */
  replace?: boolean;
}

function addressMessage(type: number, flags: number, spec: AddressSpec): Request<IfAddrMsg, AddrAttrs> {
  const { address, family, prefixlen } = splitCidr(spec.cidr);
  const attrs: AddrAttrs = { local: address };
  if (spec.label !== undefined) attrs.label = spec.label;
  attrs.address = address;
  if (spec.broadcast !== undefined) attrs.broadcast = spec.broadcast === '+' ? broadcastOf(address, prefixlen) : spec.broadcast;
  return { type, flags, header: { family, prefixlen, flags: spec.nodad ? IFA_F_NODAD : 0, scope: 0, index: spec.index }, attrs };
}

/** Like `ip addr add CIDR dev X [label L] [broadcast B] [nodad]`. */
export function addAddress(spec: AddressSpec): Request<IfAddrMsg, AddrAttrs> {
  const how = spec.replace ? NLM_F_CREATE | NLM_F_REPLACE : NLM_F_CREATE | NLM_F_EXCL;
  return addressMessage(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | how, spec);
}

/** Like `ip addr del CIDR dev X`. */
export function deleteAddress(spec: AddressSpec): Request<IfAddrMsg, AddrAttrs> {
  return addressMessage(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, spec);
}

/** Like `ip addr show`: every address of one family (0: both). */
export function dumpAddresses(family = 0): Request<IfAddrMsg, AddrAttrs> {
  return { type: RTM_GETADDR, flags: NLM_F_REQUEST | NLM_F_DUMP, header: { family, prefixlen: 0, flags: 0, scope: 0, index: 0 }, attrs: {} };
}
