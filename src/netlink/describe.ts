// A request as people read it: its message type, its flags and its
// attributes by their kernel names (RTM_NEWLINK, NLM_F_REQUEST|NLM_F_ACK,
// IFLA_IFNAME), from the attribute tables that encode it. For dry runs: it
// says what would be sent, without numbers to look up.

import type { AttrTable, Codec } from './attr.js';
import * as M from './message.js';
import type { Request } from './request.js';
import { RTNETLINK } from './route/protocol.js';
import { IFLA, RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK, RTM_NEWLINKPROP, RTM_DELLINKPROP } from './route/link.js';
import { RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR } from './route/addr.js';
import { RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE } from './route/route.js';
import { RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL, RTM_SETNEIGHTBL } from './route/neigh.js';
import { RTM_NEWNSID, RTM_DELNSID, RTM_GETNSID } from './route/nsid.js';
import { linkKind } from './route/kinds/index.js';
import { dataTable } from './route/kinds/kind.js';

/** A request decoded with names: JSON-friendly (numbers, strings, objects). */
export interface DescribedRequest {
  /** `RTM_NEWLINK`; `#N` for a type without a name here. */
  type: string;
  /** `NLM_F_REQUEST`, `NLM_F_ACK`, ...; leftover bits as `0x...`. */
  flags: string[];
  /** The fixed header (ifinfomsg, ifaddrmsg, ...) as its fields. */
  header: unknown;
  /** Attributes by kernel name (`IFLA_IFNAME`), nests as objects, bytes as hex. */
  attrs: Record<string, unknown>;
}

const TYPE_NAMES: Record<number, string> = {
  [RTM_NEWLINK]: 'RTM_NEWLINK', [RTM_DELLINK]: 'RTM_DELLINK', [RTM_GETLINK]: 'RTM_GETLINK', [RTM_SETLINK]: 'RTM_SETLINK',
  [RTM_NEWLINKPROP]: 'RTM_NEWLINKPROP', [RTM_DELLINKPROP]: 'RTM_DELLINKPROP',
  [RTM_NEWADDR]: 'RTM_NEWADDR', [RTM_DELADDR]: 'RTM_DELADDR', [RTM_GETADDR]: 'RTM_GETADDR',
  [RTM_NEWROUTE]: 'RTM_NEWROUTE', [RTM_DELROUTE]: 'RTM_DELROUTE', [RTM_GETROUTE]: 'RTM_GETROUTE',
  [RTM_NEWNEIGH]: 'RTM_NEWNEIGH', [RTM_DELNEIGH]: 'RTM_DELNEIGH', [RTM_GETNEIGH]: 'RTM_GETNEIGH',
  [RTM_NEWNEIGHTBL]: 'RTM_NEWNEIGHTBL', [RTM_GETNEIGHTBL]: 'RTM_GETNEIGHTBL', [RTM_SETNEIGHTBL]: 'RTM_SETNEIGHTBL',
  [RTM_NEWNSID]: 'RTM_NEWNSID', [RTM_DELNSID]: 'RTM_DELNSID', [RTM_GETNSID]: 'RTM_GETNSID',
};

/** The name of a message type (`RTM_NEWLINK`), `#N` if it has none here. */
export const messageTypeName = (type: number): string => TYPE_NAMES[type] ?? `#${type}`;

const COMMON_FLAGS: [number, string][] = [
  [M.NLM_F_REQUEST, 'NLM_F_REQUEST'], [M.NLM_F_MULTI, 'NLM_F_MULTI'], [M.NLM_F_ACK, 'NLM_F_ACK'], [M.NLM_F_ECHO, 'NLM_F_ECHO'],
  [M.NLM_F_DUMP_INTR, 'NLM_F_DUMP_INTR'], [M.NLM_F_DUMP_FILTERED, 'NLM_F_DUMP_FILTERED'],
];
/** The high flag bits mean one thing in NEW requests and another in GET requests (linux/netlink.h). */
const NEW_FLAGS: [number, string][] = [[M.NLM_F_REPLACE, 'NLM_F_REPLACE'], [M.NLM_F_CREATE, 'NLM_F_CREATE'], [M.NLM_F_EXCL, 'NLM_F_EXCL'], [M.NLM_F_APPEND, 'NLM_F_APPEND']];
const GET_FLAGS: [number, string][] = [[M.NLM_F_DUMP, 'NLM_F_DUMP'], [M.NLM_F_ROOT, 'NLM_F_ROOT'], [M.NLM_F_MATCH, 'NLM_F_MATCH']];

/** The names of a request's flags, for its message type; bits without a name as hex. */
export function flagNames(type: number, flags: number): string[] {
  const name = messageTypeName(type);
  const table = [...COMMON_FLAGS, ...(name.startsWith('RTM_NEW') || name.startsWith('RTM_SET') ? NEW_FLAGS : name.startsWith('RTM_GET') ? GET_FLAGS : [])];
  const out: string[] = [];
  let left = flags;
  for (const [bits, n] of table) {
    if ((left & bits) === bits) {
      out.push(n);
      left &= ~bits;
    }
  }
  if (left) out.push(`0x${left.toString(16)}`);
  return out;
}

/**
 * The kernel's prefix for a table's attributes, where it differs from the
 * table's name: IFLA_LINKINFO's attributes are IFLA_INFO_*.
 */
const PREFIX: Record<string, string> = { IFLA_LINKINFO: 'IFLA_INFO' };

/** `netNsFd` → `NET_NS_FD`: how the kernel spells a table key. */
const upperSnake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The table a nested value is laid out by, if any: a plain nest, a veth peer, or IFLA_INFO_DATA by kind. */
function innerTable(table: AttrTable, key: string, parent: Record<string, unknown>): AttrTable | undefined {
  const codec = table.byKey.get(key)?.codec as Codec<unknown> | undefined;
  if (!codec) return undefined;
  if (codec.table) return codec.table();
  if (codec.name === 'byKind' && typeof parent.kind === 'string' && key === 'data') {
    const k = linkKind(parent.kind);
    return k ? dataTable(k, () => IFLA) : undefined;
  }
  return undefined;
}

function value(v: unknown, table: AttrTable | undefined): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map((x) => value(x, table));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // A header and attributes in one (a veth's peer).
    if (table && 'header' in o && 'attrs' in o && Object.keys(o).length === 2) return { header: o.header, attrs: named(o.attrs as Record<string, unknown>, table) };
    return table ? named(o, table) : Object.fromEntries(Object.entries(o).map(([k, x]) => [k, value(x, undefined)]));
  }
  return v;
}

function named(attrs: Record<string, unknown>, table: AttrTable): Record<string, unknown> {
  const prefix = PREFIX[table.name] ?? table.name;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (key.startsWith('#')) {
      out[`${prefix}_${key.slice(1)}`] = value(v, undefined);
      continue;
    }
    let inner = innerTable(table, key, attrs);
    // A veth's peer nests the IFLA table after its own header.
    if (!inner && (table.byKey.get(key)?.codec as Codec<unknown> | undefined)?.name === 'headerThenAttrs') inner = IFLA;
    out[`${prefix}_${upperSnake(key)}`] = value(v, inner);
  }
  return out;
}

/**
 * A request decoded with names, by the attribute tables of `protocol`'s
 * layout for its type (rtnetlink by default). Pure: nothing is sent.
 * Attribute values stay as the request holds them (addresses as text),
 * raw bytes as hex.
 */
export function describeRequest(req: Request, protocol: M.Protocol = RTNETLINK): DescribedRequest {
  const layout = protocol.layouts.get(req.type);
  const attrs = layout ? named(req.attrs as Record<string, unknown>, layout.table) : (value(req.attrs, undefined) as Record<string, unknown>);
  return { type: messageTypeName(req.type), flags: flagNames(req.type, req.flags), header: value(req.header, undefined), attrs };
}

/**
 * One line of text: `RTM_NEWLINK NLM_F_REQUEST|NLM_F_ACK header{index=3}
 * IFLA_IFNAME="vx0" IFLA_LINKINFO={...}`; the header shows its fields that are not 0.
 */
export function describeRequestText(d: DescribedRequest): string {
  const set = d.header && typeof d.header === 'object' ? Object.entries(d.header).filter(([, v]) => v !== 0 && v !== undefined) : [];
  const header = set.length ? ` header{${set.map(([k, v]) => `${k}=${text(v)}`).join(' ')}}` : '';
  const attrs = Object.entries(d.attrs).map(([k, v]) => `${k}=${text(v)}`).join(' ');
  return `${d.type} ${d.flags.join('|')}${header}${attrs ? ` ${attrs}` : ''}`;
}

function text(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(text).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}=${text(x)}`).join(' ')}}`;
  return String(v);
}
