// What is there now, in each present node's namespace: every link (to know
// which names are taken) and its addresses, and the links of this lab, found
// by their mark (`lab=NAME`, `link=KEY`, src/wire/mark.ts). One link dump
// and one address dump per namespace, all namespaces at once; nodes that
// share a namespace share what was read.

import type { Address, Link } from '../api/convert.js';
import type { Netns } from '../api/netns.js';
import { parseMark, type Mark } from '../wire/mark.js';
import type { PresentNode } from './nodes.js';

export interface SeenLink {
  link: Link;
  mark?: Mark;
  /** Its addresses as `address/prefixlen`, link-local IPv6 left out (the kernel adds those itself). */
  addresses: string[];
}

export interface NamespaceState {
  ns: Netns;
  label: string;
  /** Namespace identity (device:inode). */
  identity: string;
  byName: Map<string, SeenLink>;
  byIndex: Map<number, SeenLink>;
  /** This lab's links here. */
  ours: SeenLink[];
}

/** fe80::/10, tested on the text's first characters (fe8, fe9, fea, feb, either case). */
function isLinkLocal(a: Address): boolean {
  if (a.family !== 'inet6') return false;
  const s = a.address;
  return (s.charCodeAt(0) | 0x20) === 0x66 && (s.charCodeAt(1) | 0x20) === 0x65 && '89abAB'.includes(s.charAt(2)) && s.length > 2;
}

async function read(p: PresentNode, lab: string): Promise<NamespaceState> {
  const [links, addresses] = await Promise.all([p.ns.listLinks(), p.ns.listAddresses({ linkLocal: false })]);
  const byIndex = new Map<number, SeenLink>();
  const byName = new Map<string, SeenLink>();
  const ours: SeenLink[] = [];
  for (const link of links) {
    const mark = parseMark(link.alias);
    const seen: SeenLink = { link, addresses: [], ...(mark ? { mark } : {}) };
    byIndex.set(link.ifindex, seen);
    byName.set(link.ifname, seen);
    if (mark?.fields.lab === lab) ours.push(seen);
  }
  for (const a of addresses) if (!isLinkLocal(a)) byIndex.get(a.ifindex)?.addresses.push(a.cidr);
  return { ns: p.ns, label: p.label, identity: p.end.identity, byName, byIndex, ours };
}

/** Every present node's namespace state, by node name. */
export async function observe(present: Map<string, PresentNode>, lab: string): Promise<Map<string, NamespaceState>> {
  const byIdentity = new Map<string, Promise<NamespaceState>>();
  for (const p of present.values()) if (!byIdentity.has(p.end.identity)) byIdentity.set(p.end.identity, read(p, lab));
  const out = new Map<string, NamespaceState>();
  for (const [name, p] of present) out.set(name, await byIdentity.get(p.end.identity)!);
  return out;
}
