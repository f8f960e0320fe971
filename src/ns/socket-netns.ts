// Which network namespace a socket really lives in, asked of the kernel
// (SIOCGSKNS), whatever thread made it: a proof, not an assumption.

import { closeSync, fstatSync } from 'node:fs';
import { socketNetnsFd } from '../sys/index.js';
import type { NsIdentity } from './protocol.js';

/** The identity (dev/ino) of the network namespace socket `fd` lives in; needs CAP_NET_ADMIN. */
export function socketNetns(fd: number): NsIdentity {
  const nsFd = socketNetnsFd(fd);
  try {
    const stat = fstatSync(nsFd);
    return { dev: stat.dev, ino: stat.ino };
  } finally {
    closeSync(nsFd);
  }
}
