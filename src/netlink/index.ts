// vethcon/netlink: the pure netlink codec. Nothing reachable from here loads
// ffi-rs or touches a socket, so it runs anywhere Node runs, without root.

export * from './errors.js';
export * from './bytes.js';
export * from './attr.js';
export * from './message.js';
export * from './route/headers.js';
export * from './route/link.js';
export * from './route/protocol.js';
export * from './request.js';
export * from './kernel-error.js';
export * from './route/link-requests.js';
