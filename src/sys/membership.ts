// Multicast group membership of a netlink socket: join rtnetlink's groups to
// be sent the kernel's notifications (links, addresses, ...). A socket option
// acts on the socket whichever thread sets it, so the main thread can join on
// a socket a namespace worker opened inside another namespace: the events are
// that namespace's, as the socket's namespace was fixed when it was made.

import { check } from './ffi.js';
import { setIntOption } from './netlink-socket.js';
import { SOL_NETLINK } from './constants.js';

/** linux/netlink.h socket options (level SOL_NETLINK). */
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;

/** setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group): join one group (an RTNLGRP_* number). Throws SysError. */
export function addMembership(fd: number, group: number): void {
  checkGroup(group);
  check('setsockopt', setIntOption(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group), `NETLINK_ADD_MEMBERSHIP ${group}`);
}

/** setsockopt(fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &group): leave it again. Throws SysError. */
export function dropMembership(fd: number, group: number): void {
  checkGroup(group);
  check('setsockopt', setIntOption(fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group), `NETLINK_DROP_MEMBERSHIP ${group}`);
}

function checkGroup(group: number): void {
  if (!Number.isInteger(group) || group <= 0 || group > 0x7fffffff) throw new RangeError(`netlink group must be a positive integer, got ${String(group)}`);
}
