// The input rules as plain functions, with no zod: each says what is wrong
// with a value, or undefined. The zod schemas (./schemas.ts) and the
// namespace layer (which a worker thread loads, and which must stay small)
// share them, so each rule is written once.

import { parseIPv4, parseIPv6 } from '../netlink/bytes.js';
import { quote } from '../netlink/text.js';

export { quote };

const NETNS_NAME_MAX_BYTES = 255;
/** PATH_MAX less its NUL: the longest path a system call takes. */
const PATH_MAX_BYTES = 4095;
/** What a value is, for "got ..." in messages: `null`, `the number 5`, `an array`, `"text"`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string': return `the string ${quote(v)}`;
    case 'number': case 'bigint': return `the number ${String(v)}`;
    case 'boolean': return String(v);
    case 'object': return `{ ${Object.keys(v).slice(0, 6).map((k) => (/^\w{1,32}$/.test(k) ? k : quote(k))).join(', ')}${Object.keys(v).length > 6 ? ', ...' : ''} }`;
    default: return `a ${typeof v}`;
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Names the kernel keeps for itself: /proc/sys/net/ipv{4,6}/conf/{all,default}. */
const RESERVED_IFNAMES = new Set(['all', 'default']);

/**
 * Like the kernel's dev_valid_name() and more: 1..15 bytes; not . or ..; no
 * '/', ':', NUL or white space as the kernel's isspace() sees it (the ASCII
 * six, and the byte 0xA0, Latin-1's no-break space, which is inside the UTF-8
 * of characters like 'à'). Also refused, though the kernel takes them: '%',
 * which it reads as a template (ve%d is made as ve0), and what would not
 * reach it as given (a lone surrogate). 'all' and 'default' it refuses itself.
 */
export function ifnameProblem(s: string): string | undefined {
  if (s.length === 0) return 'is empty';
  const bytes = Buffer.byteLength(s);
  if (bytes > 15) return `is ${bytes} bytes long; the kernel allows at most 15`;
  if (LONE_SURROGATE.test(s)) return 'is not valid Unicode: it has a lone surrogate, which would reach the kernel as U+FFFD';
  if (s === '.' || s === '..') return 'is not allowed';
  if (RESERVED_IFNAMES.has(s)) return `is reserved: /proc/sys/net/ipv4/conf/${s} and /proc/sys/net/ipv6/conf/${s} hold the settings of every link and of new ones`;
  if (s.includes('\0')) return 'must not contain a NUL byte (the kernel would end the name there)';
  if (/[/:]/.test(s)) return "must not contain '/' or ':'";
  if (s.includes('%')) return "must not contain '%': the kernel reads %d as a template for a free number (ve%d would be made as ve0)";
  if (/[ \t\n\v\f\r]/.test(s)) return 'must not contain white space (space, tab, newline, \\v, \\f or \\r)';
  for (const ch of s) {
    if (ch.charCodeAt(0) >= 0x80 && Buffer.from(ch).includes(0xa0)) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      return `must not contain ${JSON.stringify(ch)} (U+${cp}): its UTF-8 holds the byte 0xA0, which the kernel counts as white space (Latin-1's no-break space)`;
    }
  }
  return undefined;
}

/** A prefix: 10.10.1.0/24 or 2001:db8::/64 (a route's destination; any address). */
export function cidrProblem(s: string): string | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return 'needs a prefix length, like 10.10.1.2/24 or 2001:db8::1/64';
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  const v6 = addr.includes(':');
  if (!(v6 ? parseIPv6(addr) : parseIPv4(addr))) return `is not a valid IPv${v6 ? 6 : 4} address`;
  const max = v6 ? 128 : 32;
  if (/^0\d/.test(len)) return `has a prefix length with a leading zero, which iproute2 reads as octal (/024 is /20 to it)${/^\d+$/.test(len) && Number(len) <= max ? `; write /${Number(len)}` : ''}`;
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) return `has a prefix length outside 0..${max}`;
  return undefined;
}

/** An address for a link, with its prefix length: 10.10.1.2/24 or 2001:db8::1/64; not 0.0.0.0 or ::. */
export function ifaddrProblem(s: string): string | undefined {
  const why = cidrProblem(s);
  if (why) return why;
  const addr = s.slice(0, s.indexOf('/'));
  const bytes = addr.includes(':') ? parseIPv6(addr)! : parseIPv4(addr)!;
  if (bytes.every((b) => b === 0)) return 'is the unspecified address, which no link can have (the kernel takes 0.0.0.0 and adds nothing)';
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

/** A path a system call can take: a non-empty string, no NUL, at most 4095 bytes. */
export function pathProblem(path: unknown): string | undefined {
  return typeof path !== 'string' ? `must be a string; got ${describeValue(path)}`
    : path.length === 0 ? 'must not be empty'
    : path.includes('\0') ? `${quote(path)} must not contain a NUL byte`
    : Buffer.byteLength(path) > PATH_MAX_BYTES ? `${quote(path)} is longer than ${PATH_MAX_BYTES} bytes`
    : undefined;
}

const TARGET_KEYS = ['name', 'pid', 'path', 'container', 'current'];

/**
 * A namespace as the library takes it: a name from `ip netns`, or exactly one
 * of { name }, { pid }, { path }, { container }, { current: true }. The message names what is wrong.
 */
export function netnsTargetProblem(t: unknown): string | undefined {
  if (typeof t === 'string') {
    const why = netnsNameProblem(t);
    return why && `namespace name ${quote(t)} is not valid: ${why}`;
  }
  if (typeof t !== 'object' || t === null || Array.isArray(t)) {
    return `must be a namespace name or one of { name }, { pid }, { path }, { container }, { current: true }; got ${describeValue(t)}`;
  }
  const keys = Object.keys(t);
  if ('fd' in t) {
    // A namespace file open in this process (a pinned namespace), with an optional label for messages.
    const { fd, label, ...rest } = t as { fd: unknown; label?: unknown };
    if (Object.keys(rest).length) return `{ fd } takes only a label besides; got ${describeValue(t)}`;
    if (!(typeof fd === 'number' && Number.isSafeInteger(fd) && fd >= 0)) return `fd must be an open file descriptor (a whole number); got ${describeValue(fd)}`;
    return label === undefined || typeof label === 'string' ? undefined : `label must be a string; got ${describeValue(label)}`;
  }
  if (keys.length !== 1 || !TARGET_KEYS.includes(keys[0])) {
    return `takes exactly one of { name }, { pid }, { path }, { container }, { current: true }; got ${describeValue(t)}`;
  }
  const v = (t as Record<string, unknown>)[keys[0]];
  switch (keys[0]) {
    case 'name': {
      const why = netnsNameProblem(v);
      return why && `namespace name ${quote(v)} is not valid: ${why}`;
    }
    case 'pid':
      return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? undefined : `pid must be a process id (a positive integer); got ${describeValue(v)}`;
    case 'path': {
      const why = pathProblem(v);
      return why && `path ${why}`;
    }
    case 'container':
      // Docker's own rule for names is checked where the engine is asked (a DockerError, as connect() gives).
      return typeof v === 'string' && v !== '' ? undefined : `container must be a container's name or id (a non-empty string); got ${describeValue(v)}`;
    default:
      return v === true ? undefined : `{ current: ${quote(v)} } names no namespace: only { current: true } selects the current one (or leave netns out)`;
  }
}

/**
 * A request as sockets send it: an object with a message type and flags
 * (16-bit integers) and header and attrs objects. What the codec then makes
 * of header and attrs is its own check (EncodeError).
 */
export function requestProblem(r: unknown): string | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return `must be a request { type, flags, header, attrs } (from a vethcon/netlink builder); got ${describeValue(r)}`;
  const { type, flags, header, attrs } = r as Record<string, unknown>;
  for (const [key, v] of [['type', type], ['flags', flags]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) return `${key} must be an integer from 0 to 65535; got ${describeValue(v)}`;
  }
  for (const [key, v] of [['header', header], ['attrs', attrs]] as const) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${key} must be an object; got ${describeValue(v)}`;
  }
  return undefined;
}
