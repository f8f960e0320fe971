// The registry of link kinds: one entry per kind, each declared in its own
// file (its IFLA_INFO_DATA table and its creation options). Adding a kind is
// its file, its line here and its golden test. A kind not listed stays raw
// bytes, losslessly.

import { nested, byKind, type AttrTable, type AttrsOf, type Codec, type Spec } from '../../attr.js';
import { dataTable, type LinkKind } from './kind.js';
import { veth } from './veth.js';
import { bridge } from './bridge.js';
import { vxlan } from './vxlan.js';
import { macvlan, macvtap } from './macvlan.js';
import { vlan } from './vlan.js';
import { ipvlan, ipvtap } from './ipvlan.js';

/** Every kind vethcon can create and decode. */
export const LINK_KINDS = [veth, bridge, vxlan, macvlan, macvtap, vlan, ipvlan, ipvtap] as const;
export type KnownLinkKind = (typeof LINK_KINDS)[number];
export type LinkKindName = KnownLinkKind['kind'];

/** A kind's decoded IFLA_INFO_DATA. */
export type DataOf<K> = K extends LinkKind<string, string, infer S extends Record<string, Spec>> ? AttrsOf<AttrTable<S>> : never;
/** IFLA_INFO_DATA of a new link, typed by its kind; raw bytes for a kind we do not know. */
export type KindData = { [K in KnownLinkKind as K['kind']]: { kind: K['kind']; data?: DataOf<K> } }[LinkKindName] | { kind: string; data?: Uint8Array };

/** A kind by its IFLA_INFO_KIND name; undefined for one we do not know (no prototype: "constructor" finds nothing). */
export const linkKind: (name: string) => LinkKind | undefined = (() => {
  const byName: Record<string, LinkKind> = Object.create(null);
  for (const k of LINK_KINDS) byName[k.kind] = k as LinkKind;
  return (name) => byName[name];
})();

/**
 * The master kind that IFLA_INFO_SLAVE_DATA belongs to: the kernel names it
 * in IFLA_INFO_SLAVE_KIND ("bridge"); iproute2 requests (`ip link set X type
 * bridge_slave ...`) send only IFLA_INFO_KIND "bridge_slave".
 */
function slaveKindOf(parent: unknown): string | undefined {
  const linkinfo = parent as { slaveKind?: unknown; kind?: unknown } | undefined;
  if (typeof linkinfo?.slaveKind === 'string') return linkinfo.slaveKind;
  const kind = linkinfo?.kind;
  return typeof kind === 'string' && kind.endsWith('_slave') ? kind.slice(0, -'_slave'.length) : undefined;
}

/** IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA codecs of every kind, given the IFLA table (for the veth peer). */
export function linkInfoCodecs(ifla: () => AttrTable): { data: Codec<unknown>; slaveData: Codec<unknown> } {
  const data: Record<string, Codec<unknown>> = Object.create(null);
  const slave: Record<string, Codec<unknown>> = Object.create(null);
  for (const k of LINK_KINDS as readonly LinkKind[]) {
    let table: AttrTable | undefined;
    const get = (): AttrTable => (table ??= dataTable(k, ifla)!);
    if (k.data) data[k.kind] = nested(get);
    if (k.slaveData) slave[k.kind] = nested(k.slaveData);
  }
  return { data: byKind('kind', data), slaveData: byKind(slaveKindOf, slave) };
}
