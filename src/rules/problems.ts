// The input rules as plain functions, with no zod: each says what is wrong
// with a value, or undefined. The zod schemas (./schemas.ts) and the
// namespace layer (which a worker thread loads, and which must stay small)
// share them, so each rule is written once.

import { parseIPv4, parseIPv6 } from '../netlink/bytes.js';

const NETNS_NAME_MAX_BYTES = 255;

/** Like the kernel's dev_valid_name(): 1..15 bytes, not . or .., no '/', ':' or white space. */
export function ifnameProblem(s: string): string | undefined {
  const bytes = Buffer.byteLength(s);
  if (bytes === 0) return 'is empty';
  if (bytes > 15) return `is ${bytes} bytes long; the kernel allows at most 15`;
  if (s === '.' || s === '..') return 'is not allowed';
  if (/[/:\s]/.test(s)) return "must not contain '/', ':' or white space";
  return undefined;
}

/** An address with its prefix length: 10.10.1.2/24 or 2001:db8::1/64. */
export function cidrProblem(s: string): string | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return 'needs a prefix length, like 10.10.1.2/24 or 2001:db8::1/64';
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  const v6 = addr.includes(':');
  if (!(v6 ? parseIPv6(addr) : parseIPv4(addr))) return `is not a valid IPv${v6 ? 6 : 4} address`;
  const max = v6 ? 128 : 32;
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) return `has a prefix length outside 0..${max}`;
  return undefined;
}

/** Like `ip netns add NAME` accepts: non-empty, no '/', no NUL, not . or .., at most 255 bytes. */
export function netnsNameProblem(name: unknown): string | undefined {
  return typeof name !== 'string' ? 'it must be a string'
    : name.length === 0 ? 'it must not be empty'
    : name.includes('/') ? "it must not contain '/'"
    : name.includes('\0') ? 'it must not contain a NUL byte'
    : name === '.' || name === '..' ? "it must not be '.' or '..'"
    : Buffer.byteLength(name) > NETNS_NAME_MAX_BYTES ? `it must be at most ${NETNS_NAME_MAX_BYTES} bytes`
    : undefined;
}
