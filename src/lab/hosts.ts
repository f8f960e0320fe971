// Multi-host labs: the share of one host. A lab may place its nodes on
// hosts (`"hosts": {"a": {"underlay": "192.0.2.1"}}`, `"host": "a"` on a
// node); `apply --host a` makes only this host's share. A link with both
// ends here is a veth pair as always; a link with one end here becomes a
// vxlan end in that node, over the underlay device (the link in the
// namespace vethcon runs in that holds this host's underlay address), to
// the other host's underlay address, with a VNI derived from the lab and
// the link (the same on every host) unless the file sets one. Its MTU is the
// underlay's minus the 50 bytes VXLAN over IPv4 adds, unless set, and
// refused if it cannot fit. Links with no end here are the other hosts'.

import { createHash } from 'node:crypto';
import type { Netns } from '../api/netns.js';
import { ValidationError, quote } from '../rules/index.js';
import type { Lab, LabLink } from './model.js';

/** VXLAN over IPv4: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50;
export const VXLAN_PORT = 4789;

export interface Underlay {
  ifname: string;
  ifindex: number;
  mtu: number;
  address: string;
}

export interface HostShare {
  /** The links to make here: veth pairs, and vxlan ends for links to other hosts. */
  links: LabLink[];
  /** The nodes on this host. */
  nodes: Set<string>;
}

/** The VXLAN id of a link between hosts: 24 bits of a hash of the lab and the link's key, never 0. */
export function derivedVni(lab: string, key: string): number {
  const h = createHash('sha256').update(`${lab}\0${key}`).digest();
  return ((h[0]! << 16) | (h[1]! << 8) | h[2]!) || 1;
}

/** The link here that holds `address` (this host's underlay address). */
export async function findUnderlay(ns: Netns, address: string, host: string): Promise<Underlay> {
  const addrs = await ns.listAddresses();
  const a = addrs.find((x) => x.address === address);
  if (!a) throw new ValidationError(`host ${host}'s underlay address ${address} is on no link in ${ns.label}: run apply --host ${host} on that host (in the namespace that holds the underlay)`);
  const link = await ns.getLink(a.ifindex);
  return { ifname: link.ifname, ifindex: link.ifindex, mtu: link.mtu ?? 1500, address };
}

/** This host's share of a multi-host lab; ValidationError naming each link that cannot be made. */
export function hostShare(lab: Lab, host: string, underlay: Underlay): HostShare {
  const hosts = lab.hosts!;
  const nodes = new Set(Object.values(lab.nodes).filter((n) => n.host === host).map((n) => n.name));
  const problems: string[] = [];
  const links: LabLink[] = [];
  const vnis = new Map<number, number>();
  const fits = underlay.mtu - VXLAN_OVERHEAD;
  for (const link of lab.links) {
    const here = link.ends.filter((e) => nodes.has(e.node));
    if (here.length === 0) continue;
    if (here.length === link.ends.length) { links.push(link); continue; }
    const local = here[0]!;
    const other = link.ends.find((e) => !nodes.has(e.node))!;
    const far = lab.nodes[other.node]!.host!;
    const remote = hosts[far]!.underlay;
    const vni = link.vni ?? derivedVni(lab.name, link.key);
    const seen = vnis.get(vni);
    if (seen !== undefined) problems.push(`links[${link.index}]: its VNI ${vni} is also links[${seen}]'s; set "vni" on one of them`);
    vnis.set(vni, link.index);
    if (local.mtu !== undefined && local.mtu > fits) {
      problems.push(`links[${link.index}]: MTU ${local.mtu} for ${local.node}:${local.ifname} cannot fit: the underlay ${quote(underlay.ifname)} has MTU ${underlay.mtu}, and VXLAN takes ${VXLAN_OVERHEAD} bytes of it (at most ${fits})`);
    }
    links.push({
      index: link.index, key: link.key, kind: 'vxlan',
      ends: [{ ...local, mtu: local.mtu ?? fits }],
      vxlan: { vni, remote, parent: underlay.ifname, port: link.port ?? lab.vxlanPort ?? VXLAN_PORT },
    });
  }
  if (problems.length) throw new ValidationError(problems.join('\n'));
  return { links, nodes };
}
