// INET sockets, made only to be handed to node:net. Like a netlink socket, an
// INET socket lives in the network namespace of the thread that called
// socket(); bind, listen and connect then act in THAT namespace whichever
// thread calls them. So a namespace worker only creates the socket inside,
// and node:net on the main thread adopts the fd (`listen({ fd })`,
// `new net.Socket({ fd })`).

import { invoke, check } from './ffi.js';
import { C } from './libc.js';
import { AF_INET, SOCK_STREAM, SOCK_NONBLOCK, SOCK_CLOEXEC, SIOCGSKNS } from './constants.js';

/** socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC): an unbound TCP socket in the calling thread's netns. */
export function openTcpSocket(): number {
  const s = C.socket.paramsValue;
  s[0] = AF_INET;
  s[1] = SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC;
  s[2] = 0;
  return check('socket', invoke(C.socket), '(AF_INET, SOCK_STREAM)');
}

/**
 * ioctl(fd, SIOCGSKNS): a new O_CLOEXEC fd for the network namespace the
 * socket `fd` lives in, whatever thread asks (needs CAP_NET_ADMIN). fstat it
 * and compare dev/ino with a namespace file to PROVE where a socket is; like
 * the netns column `ss` cannot show. The caller closes the fd.
 */
export function socketNetnsFd(fd: number): number {
  const v = C.ioctl.paramsValue;
  v[0] = fd;
  v[1] = SIOCGSKNS;
  v[2] = 0;
  return check('ioctl', invoke(C.ioctl), 'SIOCGSKNS');
}
