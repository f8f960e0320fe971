// A lab file read into the model every lab operation works on: nodes with
// where they live, links with their ends spelled out in full (a default MTU
// applied, addresses split out of "node:ifname:cidr") and a stable key each.
// Checks that span the file (an end naming a node that is not there, one
// interface named twice in a node) are made here, with the JSON path.

import { hash } from 'node:crypto';
import { z } from 'zod/v4';
import { ValidationError, ifaddrProblem as addressCheck, ifnameProblem as ifnameCheck, quote, type EndpointNs } from '../rules/index.js';
import { readLabJson } from './file.js';
import { labFile, type LabFileInput } from './schema.js';

/** Where a node lives: an endpoint, or a pod its runtime gives us (bound at run time). */
export type NodePlace = EndpointNs | { type: 'pod'; pod: string };

export interface LabNode {
  name: string;
  place: NodePlace;
  /** The host it lives on, in a multi-host lab. */
  host?: string;
}

export interface LabEnd {
  node: string;
  ifname: string;
  addresses: string[];
  mtu?: number;
  mac?: string;
}

export type LabLinkKind = 'veth' | 'vxlan' | 'macvlan' | 'vlan';

export interface LabLink {
  /** Its position in the file's links (for messages: links[3]). */
  index: number;
  /** Stable across runs and edits of other links: 12 hex digits of the hash of its first end (node and ifname). */
  key: string;
  kind: LabLinkKind;
  /** Two ends for veth, one for the other kinds. */
  ends: LabEnd[];
  vxlan?: { vni: number; remote: string; parent: string; port?: number };
  /** Multi-host labs: the VXLAN id and UDP port of a link between two hosts, if the file sets them. */
  vni?: number;
  port?: number;
  macvlan?: { parent: string; mode?: 'private' | 'vepa' | 'bridge' | 'passthru' | 'source' };
  vlan?: { parent: string; id: number };
}

export interface Lab {
  name: string;
  /** Multi-host labs: the UDP port of links between hosts, if the file sets it. */
  vxlanPort?: number;
  nodes: Record<string, LabNode>;
  links: LabLink[];
  hosts?: Record<string, { underlay: string }>;
}

/** A JSON path as users read it: links[3].endpoints[0]. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(top)';
}

/** The link key: the first end's identity, hashed so any node or interface name fits a mark field. */
export function linkKey(node: string, ifname: string): string {
  // crypto.hash: the one-shot form, several times cheaper than a Hash object per link.
  return hash('sha256', `${node}\0${ifname}`, 'hex').slice(0, 12);
}

function placeOf(n: z.output<typeof labFile>['nodes'][string]): NodePlace {
  if ('container' in n) return { type: 'docker', container: n.container };
  if ('netns' in n) return { type: 'netns', name: n.netns };
  if ('pid' in n) return { type: 'pid', pid: n.pid };
  if ('path' in n) return { type: 'path', path: n.path };
  if ('pod' in n) return { type: 'pod', pod: n.pod };
  return { type: 'current' };
}

/** Check a lab (parsed JSON) and spell it out; ValidationError lists every problem with its JSON path. */
export function parseLab(value: unknown, source = 'lab'): Lab {
  const r = labFile.safeParse(value);
  if (!r.success) throw new ValidationError(r.error.issues.map((i) => `${source}: ${jsonPath(i.path)}: ${i.message}`).join('\n'));
  const file = r.data;
  const problems: string[] = [];
  const nodes: Record<string, LabNode> = {};
  for (const [name, n] of Object.entries(file.nodes)) {
    nodes[name] = { name, place: placeOf(n), ...(n.host !== undefined ? { host: n.host } : {}) };
    if (n.host !== undefined && !file.hosts?.[n.host]) problems.push(`nodes.${name}.host: host ${quote(n.host)} is not in hosts`);
    if (n.host === undefined && file.hosts) problems.push(`nodes.${name}: the lab names hosts, so each node says which it is on ("host": ${Object.keys(file.hosts).map((h) => quote(h)).join(' or ')})`);
  }
  const used = new Map<string, string>();
  const links: LabLink[] = file.links.map((l, index) => {
    const at = `links[${index}]`;
    const kinds = l.vxlan === undefined && l.macvlan === undefined && l.vlan === undefined ? [] : (['vxlan', 'macvlan', 'vlan'] as const).filter((k) => l[k] !== undefined);
    if (kinds.length > 1) problems.push(`${at}: a link is one kind; it sets ${kinds.join(' and ')}`);
    const kind = (kinds[0] ?? 'veth') as LabLinkKind;
    const want = kind === 'veth' ? 2 : 1;
    if (l.endpoints.length !== want) problems.push(`${at}.endpoints: a ${kind} link has ${want === 2 ? 'two ends' : 'one end'}; got ${l.endpoints.length}`);
    const ends = l.endpoints.map((e, j): LabEnd => {
      const here = `${at}.endpoints[${j}]`;
      let end: LabEnd;
      if (typeof e === 'string') {
        // node:ifname[:list]. An IPv6 address holds colons: everything after the second colon is the address list.
        const c1 = e.indexOf(':');
        const c2 = c1 < 0 ? -1 : e.indexOf(':', c1 + 1);
        const node = c1 < 0 ? e : e.slice(0, c1);
        const ifname = c1 < 0 ? '' : c2 < 0 ? e.slice(c1 + 1) : e.slice(c1 + 1, c2);
        const list = c2 < 0 ? [] : e.slice(c2 + 1).split(',').filter((s) => s !== '');
        end = { node, ifname, addresses: list };
        if (node === '' || ifname === '') problems.push(`${here}: ${quote(e)} is not node:ifname[:address,...]`);
        else {
          const bad = ifnameCheck(ifname);
          if (bad) problems.push(`${here}: interface name ${quote(ifname)} ${bad}`);
          for (const a of list) { const why = addressCheck(a); if (why) problems.push(`${here}: address ${quote(a)} ${why}`); }
        }
      } else {
        end = { node: e.node, ifname: e.ifname, addresses: e.addresses ?? [] };
        if (e.mac !== undefined) end.mac = e.mac.toLowerCase();
        if (e.mtu !== undefined) end.mtu = e.mtu;
      }
      // Set only when there is one (no `delete`, which would slow every later use of the object).
      const mtu = end.mtu ?? l.mtu ?? file.defaults?.mtu;
      if (mtu !== undefined) end.mtu = mtu;
      if (end.node !== '' && !nodes[end.node]) problems.push(`${here}: node ${quote(end.node)} is not in nodes`);
      const id = `${end.node}:${end.ifname}`;
      const first = used.get(id);
      if (first !== undefined) problems.push(`${here}: ${end.ifname} in node ${end.node} is already an end of ${first}`);
      else used.set(id, here);
      return end;
    });
    const link: LabLink = { index, key: linkKey(ends[0]?.node ?? '', ends[0]?.ifname ?? ''), kind, ends };
    if (l.vxlan) link.vxlan = l.vxlan;
    if (l.macvlan) link.macvlan = l.macvlan;
    if (l.vlan) link.vlan = l.vlan;
    if (l.vni !== undefined) link.vni = l.vni;
    if (l.port !== undefined) link.port = l.port;
    if ((l.vni !== undefined || l.port !== undefined) && !file.hosts) problems.push(`${at}: vni and port are for links between hosts; this lab names no hosts`);
    return link;
  });
  if (problems.length) throw new ValidationError(problems.map((p) => `${source}: ${p}`).join('\n'));
  return { name: file.name, nodes, links, ...(file.hosts ? { hosts: file.hosts } : {}), ...(file.defaults?.vxlanPort !== undefined ? { vxlanPort: file.defaults.vxlanPort } : {}) };
}

/** Read and check a lab file (JSON). */
export function loadLab(path: string): Lab {
  return parseLab(readLabJson(path), path);
}

export type { LabFileInput };
