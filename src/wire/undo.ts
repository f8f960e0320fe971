// Undoing a pair, honestly. It is deleted by the ifindexes the kernel
// reported, through the pinned namespaces' sockets, never by name (a name
// may be someone else's by now); an end whose ifindex was never learnt is
// found by its mark. Deleting one end of a veth takes the other, so the
// first end found is deleted, the other tried only if that one is not where
// it was made (moved away, say). Then each end is confirmed gone: the kernel
// answers ENODEV for its ifindex, or shows another link under that number.
// Only then is the undo called clean; otherwise the result says what remains
// and where.

import { NetlinkError } from '../netlink/kernel-error.js';
import type { Netns } from '../api/netns.js';
import type { Link } from '../api/convert.js';
import { isMarkGroup, parseMark } from './mark.js';

export interface PairEnd {
  ns: Netns;
  /** Where, for messages: `netns a`, `container c1`. */
  label: string;
  ifname: string;
  /** As the kernel reported it; undefined if never learnt. */
  ifindex?: number;
}

export interface Pair {
  /** The mark's id (mark.ts) and the pair's link group while it is being made. */
  id: string;
  group: number;
  /** Our end first (where the pair was created), then the peer. */
  ends: PairEnd[];
}

export interface Undone {
  /** True only when we deleted it and the kernel confirmed every end gone. */
  clean: boolean;
  /** What was done or what remains, in words. */
  summary: string;
}

/** Is this link one of the pair's ends (its mark's id, or its group while being made)? */
export function isPairLink(l: Link, p: Pair): boolean {
  return parseMark(l.alias)?.id === p.id || (isMarkGroup(l.group) && l.group === p.group);
}

const isNoDev = (e: unknown): boolean => e instanceof NetlinkError && e.code === 'ENODEV';
const where = (e: PairEnd): string => `${e.ifname}${e.ifindex !== undefined ? ` (ifindex ${e.ifindex})` : ''} in ${e.label}`;

/** An end whose ifindex we never learnt, found by its mark in its namespace. */
async function findByMark(end: PairEnd, p: Pair): Promise<void> {
  try {
    const l = (await end.ns.listLinks()).find((x) => isPairLink(x, p));
    if (l) end.ifindex = l.ifindex;
  } catch { /* left unknown: confirm() says so */ }
}

/** Delete the pair: the first end that is there. Whether something was deleted, and the errors met. */
async function remove(p: Pair): Promise<{ deleted: boolean; errors: string[] }> {
  const errors: string[] = [];
  for (const end of p.ends) {
    if (end.ifindex === undefined) continue;
    try {
      await end.ns.deleteLink(end.ifindex);
      return { deleted: true, errors };
    } catch (e) {
      // ENODEV: not where it was made; its peer may still be, and takes it along.
      if (!isNoDev(e)) errors.push(`deleting ${where(end)}: ${(e as Error).message}`);
    }
  }
  return { deleted: false, errors };
}

/** The ends still there, as the kernel answers for each ifindex in its pinned namespace. */
async function remaining(p: Pair): Promise<string[]> {
  const left: string[] = [];
  for (const end of p.ends) {
    if (end.ifindex === undefined) continue;
    try {
      const l = await end.ns.findLink(end.ifindex);
      if (l && isPairLink(l, p)) left.push(where(end));
    } catch (e) {
      left.push(`${where(end)} (cannot check: ${(e as Error).message})`);
    }
  }
  return left;
}

export interface Removal {
  /** We deleted an end (the kernel acked it). */
  deleted: boolean;
  /** The ends still there afterwards, in words. */
  left: string[];
  errors: string[];
  /** The ends whose ifindex was known (or found by mark), in words. */
  known: string[];
}

/** Delete a pair by ifindex and look again at every end (also for `vethcon gc`). */
export async function removePair(p: Pair): Promise<Removal> {
  for (const end of p.ends) if (end.ifindex === undefined) await findByMark(end, p);
  const known = p.ends.filter((e) => e.ifindex !== undefined).map(where);
  if (known.length === 0) return { deleted: false, left: [], errors: [], known };
  const { deleted, errors } = await remove(p);
  return { deleted, left: await remaining(p), errors, known };
}

/** Remove a pair made by connect() and confirm it gone. */
export async function undoPair(p: Pair): Promise<Undone> {
  const r = await removePair(p);
  const gc = 'delete it by hand, or run vethcon gc once this process has ended';
  if (r.known.length === 0) {
    return { clean: false, summary: `no end of the pair was found (${p.ends.map(where).join(', ')}); look for links whose alias starts vethcon:v1:${p.id}, or run vethcon gc once this process has ended` };
  }
  if (r.left.length) return { clean: false, summary: `${r.left.join(' and ')} ${r.left.length > 1 ? 'are' : 'is'} still there${r.errors.length ? ` (${r.errors.join('; ')})` : ''}; ${gc}` };
  if (!r.deleted) {
    return { clean: false, summary: `the pair was no longer where it was made (${r.known.join(', ')}): something else deleted or moved it; if it was moved, ${gc}` };
  }
  return { clean: true, summary: `the kernel confirmed ${r.known.join(' and ')} gone` };
}
