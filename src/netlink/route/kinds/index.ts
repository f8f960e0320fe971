// Link kinds whose IFLA_INFO_DATA we decode. Adding a kind is one table here
// and one golden test; a kind not listed stays raw bytes, losslessly. Thunks
// keep the tables out of module initialisation order (veth refers back to IFLA).

import { RAW, nested, type Codec } from '../../attr.js';
import { EncodeError } from '../../errors.js';
import { VETH } from './veth.js';
import { BRIDGE, BRIDGE_PORT } from './bridge.js';
import { VXLAN } from './vxlan.js';
import { MACVLAN } from './macvlan.js';
import { VLAN } from './vlan.js';
import { IPVLAN } from './ipvlan.js';

/**
 * Kind maps have no prototype: a kind named "constructor" or "toString" in a
 * message must find nothing (and stay raw), not an Object.prototype member.
 */
const kindMap = (kinds: Record<string, Codec<any>>): Record<string, Codec<any>> => Object.assign(Object.create(null), kinds);

export const LINK_KINDS: Record<string, Codec<unknown>> = kindMap({
  veth: nested(() => VETH),
  bridge: nested(() => BRIDGE),
  vxlan: nested(() => VXLAN),
  macvlan: nested(() => MACVLAN),
  macvtap: nested(() => MACVLAN),
  vlan: nested(() => VLAN),
  ipvlan: nested(() => IPVLAN),
  ipvtap: nested(() => IPVLAN),
});

/** IFLA_INFO_SLAVE_DATA layouts, keyed by the master's kind. */
export const LINK_SLAVE_KINDS: Record<string, Codec<unknown>> = kindMap({
  bridge: nested(() => BRIDGE_PORT),
});

/**
 * The master kind that IFLA_INFO_SLAVE_DATA belongs to: the kernel names it
 * in IFLA_INFO_SLAVE_KIND ("bridge"); iproute2 requests (`ip link set X type
 * bridge_slave ...`) send only IFLA_INFO_KIND "bridge_slave".
 */
function slaveKindOf(linkinfo: any): string | undefined {
  if (typeof linkinfo?.slaveKind === 'string') return linkinfo.slaveKind;
  const kind = linkinfo?.kind;
  return typeof kind === 'string' && kind.endsWith('_slave') ? kind.slice(0, -'_slave'.length) : undefined;
}

/** IFLA_INFO_SLAVE_DATA, laid out by slaveKindOf; unknown masters stay raw bytes. */
export const LINK_SLAVE_DATA: Codec<unknown> = {
  name: 'slaveData',
  decode(b, off, len, depth, parent) {
    const codec = LINK_SLAVE_KINDS[slaveKindOf(parent) ?? ''];
    return codec ? codec.decode(b, off, len, depth, parent) : RAW;
  },
  encode(w, v, parent) {
    if (v instanceof Uint8Array) return w.bytes(v);
    const codec = LINK_SLAVE_KINDS[slaveKindOf(parent) ?? ''];
    if (!codec) throw new EncodeError(`no attribute layout for slave kind ${JSON.stringify(slaveKindOf(parent))}`);
    codec.encode(w, v, parent);
  },
};
