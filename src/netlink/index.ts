// vethcon/netlink: the pure netlink codec. Nothing reachable from here loads
// ffi-rs or touches a socket, so it runs anywhere Node runs, without root.

export * from './errors.js';
export * from './bytes.js';
export * from './attr.js';
export * from './message.js';
export * from './route/headers.js';
export * from './route/link.js';
export * from './route/addr.js';
export * from './route/route.js';
export * from './route/neigh.js';
export * from './route/nsid.js';
export * from './route/groups.js';
export * from './route/kinds/index.js';
export * from './route/kinds/kind.js';
export { veth } from './route/kinds/veth.js';
export * from './route/kinds/bridge.js';
export * from './route/kinds/vxlan.js';
export * from './route/kinds/macvlan.js';
export * from './route/kinds/vlan.js';
export * from './route/kinds/ipvlan.js';
export * from './route/protocol.js';
export * from './request.js';
export * from './kernel-error.js';
export * from './route/link-requests.js';
export * from './route/addr-requests.js';
export * from './route/route-requests.js';
export * from './route/neigh-requests.js';
export * from './text.js';
export * from './describe.js';
