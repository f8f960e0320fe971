// The ownership mark: what every link vethcon creates carries, saying it is
// ours, which pair it belongs to, and whether that pair is complete. It is
// the link's alias (IFLA_IFALIAS), at most 255 bytes, of this form:
//
//   vethcon:v1:ID                      complete: both ends fully configured
//   vethcon:v1:ID:pending:pid=P:start=S:pidns=N
//                                      being configured by process P, whose
//                                      start time (field 22 of /proc/P/stat)
//                                      is S, in the PID namespace of inode N
//
// ID is 16 lower-case hex digits, shared by both ends of a pair. More fields
// may follow, each `:key=value` (value of letters, digits, '.', '_', '-');
// `lab=NAME` and `link=N` are reserved for labs. A reader keeps fields it
// does not know, and leaves alone marks of a version other than v1.
//
// The kernel ignores IFLA_IFALIAS in a link's creation (rtnl_create_link
// never reads it; checked on 6.18), so the alias cannot ride in the creating
// RTM_NEWLINK. What can is a link group (IFLA_GROUP, applied at creation, to
// a veth's peer too): each new pair is created in its own group, 0x76 in
// the top byte and the ID's first 24 bits below, and the same send sets the
// alias of every link in that group (`ip link set group G alias ...`). The
// kernel handles one send's messages inside that one system call, so no
// process killed around it leaves our end without its mark. The peer, in
// another namespace, gets its alias through that namespace's socket next;
// until then it has the group, and deleting our end removes it anyway.
// Completion sets the alias to the complete form and the group back to 0,
// in one RTM_NEWLINK per end.

import { randomBytes } from 'node:crypto';
import type { ProcessIdentity } from '../ns/index.js';

export const MARK_PREFIX = 'vethcon:';
const VERSION = 'v1';
const MAX_BYTES = 255;
const GROUP_TAG = 0x76;

export interface Mark {
  /** The pair's id: 16 hex digits. */
  id: string;
  /** Set while the pair is being configured: who is configuring it. */
  pending?: ProcessIdentity;
  /** Other `key=value` fields, kept as they were (labs: lab, link). */
  fields: Record<string, string>;
}

// Random bytes for ids, drawn 2 KiB at a time: a lab makes a thousand ids at
// once, and each randomBytes call costs a trip into OpenSSL and a new buffer.
let idBytes: Buffer = Buffer.alloc(0);
let idAt = 0;

/** A new pair's id. */
export function newPairId(): string {
  if (idAt + 8 > idBytes.length) {
    idBytes = randomBytes(2048);
    idAt = 0;
  }
  idAt += 8;
  return idBytes.toString('hex', idAt - 8, idAt);
}

/** The link group a pair is created in: 0x76 in the top byte, the id's first 24 bits below. */
export const markGroup = (id: string): number => ((GROUP_TAG << 24) | parseInt(id.slice(0, 6), 16)) >>> 0;

/** Is this a group of ours (a pair still being made)? */
export const isMarkGroup = (group: number | undefined): boolean => group !== undefined && group >>> 24 === GROUP_TAG;

const VALUE = /^[A-Za-z0-9._-]+$/;
const KEY = /^[a-z][a-z0-9]*$/;

/** The alias text of a mark; throws if a field cannot be written or it is too long. */
export function formatMark(m: Mark): string {
  if (!/^[0-9a-f]{16}$/.test(m.id)) throw new Error(`mark id ${JSON.stringify(m.id)} is not 16 hex digits`);
  const parts = [MARK_PREFIX + VERSION, m.id];
  if (m.pending) parts.push('pending', `pid=${m.pending.pid}`, `start=${m.pending.start}`, `pidns=${m.pending.pidns}`);
  for (const [k, v] of Object.entries(m.fields)) {
    if (!KEY.test(k) || !VALUE.test(v) || k === 'pid' || k === 'start' || k === 'pidns') throw new Error(`mark field ${k}=${v} cannot be written`);
    parts.push(`${k}=${v}`);
  }
  const text = parts.join(':');
  if (Buffer.byteLength(text) > MAX_BYTES) throw new Error(`mark is ${Buffer.byteLength(text)} bytes; an alias holds at most ${MAX_BYTES}`);
  return text;
}

export const pendingMark = (id: string, creator: ProcessIdentity, fields: Record<string, string> = {}): string => formatMark({ id, pending: creator, fields });
export const completeMark = (id: string, fields: Record<string, string> = {}): string => formatMark({ id, fields });

/** The mark in a link's alias, or undefined when it is not a v1 mark of ours. */
export function parseMark(alias: string | undefined): Mark | undefined {
  if (!alias?.startsWith(`${MARK_PREFIX}${VERSION}:`)) return undefined;
  const [, , id, ...rest] = alias.split(':');
  if (!/^[0-9a-f]{16}$/.test(id ?? '')) return undefined;
  const fields: Record<string, string> = {};
  let pending = false;
  for (const part of rest) {
    if (part === 'pending') { pending = true; continue; }
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields[part.slice(0, eq)] = part.slice(eq + 1);
  }
  const { pid, start, pidns, ...others } = fields;
  if (!pending) return { id: id!, fields: others };
  const nums = [pid, start, pidns].map((x) => (x !== undefined && /^\d+$/.test(x) ? Number(x) : NaN));
  if (nums.some((n) => !Number.isSafeInteger(n))) return undefined;
  return { id: id!, pending: { pid: nums[0]!, start: nums[1]!, pidns: nums[2]! }, fields: others };
}
