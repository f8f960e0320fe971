// The system layer: the few libc calls vethcon needs that Node does not
// offer (socket/bind/setsockopt, send/recv on a netlink socket, setns,
// unshare, mount, exit_group), through ffi-rs. Only src/transport and src/ns
// import it; nothing in the pure codec does.

export * from './constants.js';
export { FfiLoadError, SysError } from './errors.js';
export {
  openNetlinkSocket, socketPortId, setNonBlocking, writeDatagram, readDatagram, sendBytes, recvBytes, recvMany, manyLength, manyData, peekDatagramSize, MANY_SLOTS, MANY_SLOT_BYTES,
} from './netlink-socket.js';
export { addMembership, dropMembership, NETLINK_ADD_MEMBERSHIP, NETLINK_DROP_MEMBERSHIP } from './membership.js';
export { closeFd, closeQuietly, openPath, setns, unshare, mount, umount2, namespaceType } from './files.js';
export { openTcpSocket, socketNetnsFd } from './inet.js';
export { exitNow } from './exit.js';
export { tryLockExclusive } from './lock.js';
export { ffiBindingPath, setFfiBindingPath } from './binding-path.js';
