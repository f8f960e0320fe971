// Command-line parsing: the 2017 vethcon syntax (`-d container:link[:cidr]`,
// `-n netns:link[:cidr]`) and koko's comma syntax (`-d c1,link1,ip/len,...`,
// `-p pid,...`, `-a /path,...`, `-c link,...`, deletion with -D/-N/-P; a
// second end of another kind: -x vxlan, -M macvlan, -V vlan), and `gc`.
// Pure: turns argv into a command or a UsageError, touches nothing.

import type { EndInput, EndpointNs } from '../rules/index.js';
import type { AttachLinkInput } from '../rules/link-kinds.js';
import { quote } from '../rules/problems.js';
import { LAB_ACTIONS, parseLabArgs, type LabCommand } from './lab-args.js';

export class UsageError extends Error {
  override name = 'UsageError';
  /** Print the usage lines after the message (the command line said nothing to do). */
  showUsage = false;
}

export type Command =
  | { action: 'help' }
  | { action: 'version' }
  /** The ends as given: connect() (or planConnect()) checks them, once. */
  | { action: 'connect'; ends: [EndInput, EndInput]; json: boolean; dryRun: boolean; dockerTimeoutMs?: number }
  /** The first end made of a link of its own kind on a parent device (-x, -M, -V as the second end). */
  | { action: 'attach'; end: EndInput; link: AttachLinkInput; json: boolean; dryRun: boolean; dockerTimeoutMs?: number }
  | { action: 'delete'; ends: { ns: EndpointNs; ifname: string }[]; json: boolean; dryRun: boolean; dockerTimeoutMs?: number }
  /** `vethcon gc`: remove the incomplete pairs of ours that killed runs left. */
  | { action: 'gc'; json: boolean; dryRun: boolean }
  /** `vethcon monitor`: the namespaces to listen to (none: the current one). */
  | { action: 'monitor'; netns: MonitorTarget[]; json: boolean }
  /** `vethcon show`: the links made by vethcon (all veth pairs with --all), filtered. */
  | { action: 'show'; all: boolean; json: boolean; dot: boolean; netns: string[]; containers: string[]; lab?: string }
  /** `vethcon apply|destroy LAB`, `vethcon schema`. */
  | LabCommand;

export type MonitorTarget = { name: string } | { pid: number } | { path: string } | { current: true };

/** The longest --docker-timeout, in seconds. */
export const MAX_DOCKER_TIMEOUT_S = 3600;

const END_FLAGS: Record<string, EndpointNs['type']> = { '-d': 'docker', '-n': 'netns', '-p': 'pid', '-a': 'path', '-c': 'current' };
const DELETE_FLAGS: Record<string, EndpointNs['type']> = { '-D': 'docker', '-N': 'netns', '-P': 'pid', '-A': 'path', '-C': 'current' };

export function parseArgs(argv: string[]): Command {
  if (argv[0] === 'gc') return parseGc(argv.slice(1));
  if (argv[0] === 'show') return parseShow(argv.slice(1));
  if (LAB_ACTIONS.has(argv[0] ?? '')) return parseLab(argv);
  const ends: EndInput[] = [];
  let kindEnd: KindEnd | undefined;
  const deletes: { ns: EndpointNs; ifname: string }[] = [];
  let json = false;
  let dryRun = false;
  let dockerTimeoutMs: number | undefined;
  if (argv[0] === 'monitor') return parseMonitor(argv.slice(1));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || (v.startsWith('-') && v.length > 1 && !/^-\d/.test(v))) throw new UsageError(`${shown(arg)} needs a value`);
      return v;
    };
    if (arg === '-h' || arg === '--help') return { action: 'help' };
    if (arg === '--version' || (arg === '-V' && argv.length === 1)) return { action: 'version' };
    if (arg === '--json') { json = true; continue; }
    if (arg === '--dry-run') { dryRun = true; continue; }
    if (arg === '--docker-timeout') { dockerTimeoutMs = parseSeconds(value(), arg); continue; }
    const kindFlag = kindFlagOf(arg);
    if (kindFlag) {
      const made = parseKindEnd(kindFlag.flag, kindFlag.inline ?? kindValue(argv, ++i, kindFlag.flag));
      if (kindEnd) throw new UsageError(`give one end of another kind (-x/-M/-V), not two (${kindEnd.flag} and ${kindFlag.flag})`);
      if (ends.length !== 1) throw new UsageError(`${kindFlag.flag} makes the second end: give the first end (-d/-n/-p/-a/-c) before it${ends.length ? `, and only one (got ${ends.length})` : ''}`);
      kindEnd = made;
      continue;
    }
    if (arg === '--mtu' || arg === '--mac') {
      // After -x/-M/-V: the made link is the first end's; they set it.
      const last = kindEnd ? ends[0] : ends[ends.length - 1];
      if (!last) throw new UsageError(`${arg} applies to the end given before it; put it after -d/-n/-p/-a/-c`);
      const v = value();
      if (arg === '--mtu') last.mtu = parseMtu(v);
      else last.mac = v;
      continue;
    }
    const [flag, inline] = splitInline(arg);
    if (flag in END_FLAGS) {
      ends.push(parseEnd(END_FLAGS[flag], inline ?? value(), flag));
      continue;
    }
    if (flag in DELETE_FLAGS) {
      deletes.push(parseDelete(DELETE_FLAGS[flag], inline ?? value(), flag));
      continue;
    }
    throw new UsageError(arg.startsWith('-') ? `unknown option ${shown(arg)}` : `unexpected argument ${quote(arg)}`);
  }
  if (kindEnd && deletes.length) throw new UsageError(`${kindEnd.flag} makes a link; it does not go with -D/-N/-P/-A/-C`);
  if (kindEnd) {
    if (ends.length !== 1) throw new UsageError(`${kindEnd.flag} is the second end: give exactly one other end (-d/-n/-p/-a/-c) before it (got ${ends.length})`);
    const timeout = dockerTimeoutMs === undefined ? {} : { dockerTimeoutMs };
    return { action: 'attach', end: mergeKindItems(ends[0]!, kindEnd), link: kindEnd.link, json, dryRun, ...timeout };
  }
  if (deletes.length && ends.length) throw new UsageError('give either ends to connect (-d/-n/-p/-a/-c) or links to delete (-D/-N/-P/-A/-C), not both');
  const timeout = dockerTimeoutMs === undefined ? {} : { dockerTimeoutMs };
  if (deletes.length) return { action: 'delete', ends: deletes, json, dryRun, ...timeout };
  if (ends.length === 0) {
    const e = new UsageError('nothing to do: give two ends to connect (-d/-n/-p/-a/-c) or links to delete (-D/-N/-P/-A/-C)');
    e.showUsage = true;
    throw e;
  }
  if (ends.length !== 2) throw new UsageError(`a veth has two ends: give exactly two of -d/-n/-p/-a/-c (got ${ends.length})`);
  return { action: 'connect', ends: [ends[0], ends[1]], json, dryRun, ...timeout };
}

/** A number of seconds (`10`, `2.5`) above 0 and at most MAX_DOCKER_TIMEOUT_S, in ms. */
function parseSeconds(v: string, flag: string): number {
  const s = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(s > 0) || s > MAX_DOCKER_TIMEOUT_S) {
    throw new UsageError(`${flag} ${JSON.stringify(v)}: expected a number of seconds above 0 and at most ${MAX_DOCKER_TIMEOUT_S}`);
  }
  return Math.max(1, Math.round(s * 1000));
}

/** A word of the command line in a message: as typed, or quoted short when it is long. */
const shown = (s: string): string => (s.length <= 64 ? s : quote(s));

/** `vethcon gc [--dry-run] [--json]`. */
function parseGc(args: string[]): Command {
  let json = false;
  let dryRun = false;
  for (const arg of args) {
    if (arg === '-h' || arg === '--help') return { action: 'help' };
    if (arg === '--json') json = true;
    else if (arg === '--dry-run') dryRun = true;
    else throw new UsageError(`gc takes only --dry-run and --json, not ${quote(arg)}`);
  }
  return { action: 'gc', json, dryRun };
}

/** `apply`, `destroy`, `schema` (lab-args.ts). */
function parseLab(argv: string[]): Command {
  const parsed = parseLabArgs(argv);
  if (parsed === 'help') return { action: 'help' };
  if (typeof parsed === 'string') throw new UsageError(parsed);
  return parsed;
}

/** `-dfoo` style: the value glued to the flag. */
function splitInline(arg: string): [string, string | undefined] {
  if (/^-[dnpacDNPAC].+/.test(arg)) return [arg.slice(0, 2), arg.slice(2)];
  return [arg, undefined];
}

function nsOf(type: EndpointNs['type'], target: string, flag: string): EndpointNs {
  switch (type) {
    case 'docker': return { type, container: target };
    case 'netns': return { type, name: target };
    case 'pid': {
      if (!/^\d+$/.test(target)) throw new UsageError(`${flag}: PID ${quote(target)} is not a number`);
      const pid = Number(target);
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new UsageError(`${flag}: PID ${quote(target)} is not a process id (a positive integer)`);
      return { type, pid };
    }
    case 'path': return { type, path: target };
    case 'current': return { type };
  }
}

/**
 * One end. Comma form: TARGET,LINK[,CIDR...][,mtu=N][,mac=M] (koko; -c has no
 * TARGET). Colon form: TARGET:LINK[:CIDR] (the 2017 tool; an IPv6 CIDR may
 * follow since everything after the second colon is the address).
 */
function parseEnd(type: EndpointNs['type'], text: string, flag: string): EndInput {
  const needsTarget = type !== 'current';
  let target = '';
  let rest: string[];
  if (!needsTarget && text.includes(':') && !text.includes(',')) {
    // No link name has a colon: this is the colon form, which -c does not take.
    const first = text.indexOf(':');
    throw new UsageError(`${flag} ${shown(text)}: ${flag} takes ${exampleOf(flag)}${text.length <= 64 ? `; did you mean ${flag} ${text.slice(0, first)},${text.slice(first + 1)}?` : ''}`);
  }
  if (text.includes(',') || !needsTarget || type === 'path') {
    const parts = text.split(',');
    if (needsTarget) target = parts.shift() ?? '';
    // No container name or PID has a colon; a netns name could, but `-N` could not name it again.
    if (type !== 'path' && target.includes(':')) {
      throw new UsageError(`${flag} ${shown(text)}: the colon form and the comma form do not mix; expected ${exampleOf(flag)}`);
    }
    rest = parts;
  } else {
    const first = text.indexOf(':');
    if (first < 0) throw new UsageError(`${flag} ${shown(text)}: expected ${exampleOf(flag)}`);
    target = text.slice(0, first);
    const tail = text.slice(first + 1);
    const second = tail.indexOf(':');
    rest = second < 0 ? [tail] : [tail.slice(0, second), tail.slice(second + 1)];
  }
  if (needsTarget && !target) throw new UsageError(`${flag} ${shown(text)}: the ${type === 'docker' ? 'container' : type} is missing; expected ${exampleOf(flag)}`);
  const [link, ...extras] = rest;
  if (!link) throw new UsageError(`${flag} ${shown(text)}: the link name is missing; expected ${exampleOf(flag)}`);
  const end: EndInput = { ns: nsOf(type, target, flag), ifname: link, addresses: [] };
  for (const x of extras) {
    if (x === '') continue;
    if (x.startsWith('mtu=')) end.mtu = parseMtu(x.slice(4));
    else if (x.startsWith('mac=')) end.mac = x.slice(4);
    else end.addresses!.push(x);
  }
  return end;
}

function parseDelete(type: EndpointNs['type'], text: string, flag: string): { ns: EndpointNs; ifname: string } {
  const parts = text.split(/[,:]/);
  const needsTarget = type !== 'current';
  const target = needsTarget ? parts.shift() ?? '' : '';
  const link = parts.shift() ?? '';
  if ((needsTarget && !target) || !link || parts.length) throw new UsageError(`${flag} ${shown(text)}: expected ${flag} ${needsTarget ? 'TARGET,' : ''}LINK`);
  return { ns: nsOf(type, target, flag), ifname: link };
}

function parseMtu(v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`MTU ${quote(v)} is not a number`);
  return Number(v);
}

function exampleOf(flag: string): string {
  switch (flag) {
    case '-d': return 'CONTAINER:LINK[:CIDR] or CONTAINER,LINK[,CIDR...]';
    case '-n': return 'NETNS:LINK[:CIDR] or NETNS,LINK[,CIDR...]';
    case '-p': return 'PID:LINK[:CIDR] or PID,LINK[,CIDR...]';
    case '-a': return '/path/to/netns,LINK[,CIDR...]';
    default: return 'LINK[,CIDR...]';
  }
}

/** `monitor [-n NETNS]... [-p PID]... [-a PATH]... [-c] [--json]`. */
function parseMonitor(argv: string[]): Command {
  const netns: MonitorTarget[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { action: 'help' };
    if (arg === '--json') { json = true; continue; }
    if (arg === '-c') { netns.push({ current: true }); continue; }
    const [flag, inline] = /^-[npa].+/.test(arg) ? [arg.slice(0, 2), arg.slice(2)] : [arg, undefined];
    if (flag === '-n' || flag === '-p' || flag === '-a') {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || v.startsWith('-')) throw new UsageError(`monitor: ${flag} needs a value`);
      if (flag === '-n') netns.push({ name: v });
      else if (flag === '-a') netns.push({ path: v });
      else {
        const ns = nsOf('pid', v, flag);
        netns.push({ pid: (ns as { pid: number }).pid });
      }
      continue;
    }
    throw new UsageError(arg.startsWith('-') ? `monitor: unknown option ${arg}` : `monitor: unexpected argument ${JSON.stringify(arg)}`);
  }
  return { action: 'monitor', netns, json };
}

/** `show [--all] [--json | --dot] [--netns NAME]... [--container NAME]... [--lab NAME]` (also `--netns=NAME`). */
function parseShow(argv: string[]): Command {
  const cmd: Extract<Command, { action: 'show' }> = { action: 'show', all: false, json: false, dot: false, netns: [], containers: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { action: 'help' };
    if (arg === '--all') { cmd.all = true; continue; }
    if (arg === '--json') { cmd.json = true; continue; }
    if (arg === '--dot') { cmd.dot = true; continue; }
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (flag === '--netns' || flag === '--container' || flag === '--lab') {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('-'))) throw new UsageError(`show: ${flag} needs a value`);
      if (flag === '--netns') cmd.netns.push(v);
      else if (flag === '--container') cmd.containers.push(v);
      else if (cmd.lab !== undefined) throw new UsageError('show: give --lab once');
      else cmd.lab = v;
      continue;
    }
    throw new UsageError(arg.startsWith('-') ? `show: unknown option ${shown(arg)}` : `show: unexpected argument ${quote(arg)}`);
  }
  if (cmd.json && cmd.dot) throw new UsageError('show: give --json or --dot, not both');
  return cmd;
}

// ------------------------------------------------ ends of another kind

/** A second end of another kind: the link to make, and mtu=/mac= items for it (the first end's link). */
interface KindEnd {
  flag: string;
  link: AttachLinkInput;
  mtu?: number;
  mac?: string;
}

/** -x, -M or -V (with its value glued on, `-xeth0,...`), else undefined. `-V` alone as the only word is --version. */
function kindFlagOf(arg: string): { flag: '-x' | '-M' | '-V'; inline?: string } | undefined {
  const m = /^-([xMV])(.*)$/.exec(arg);
  if (!m) return undefined;
  return { flag: `-${m[1]}` as '-x' | '-M' | '-V', inline: m[2] === '' ? undefined : m[2] };
}

function kindValue(argv: string[], i: number, flag: string): string {
  const v = argv[i];
  if (v === undefined || (v.startsWith('-') && v.length > 1)) {
    const version = flag === '-V' ? ' (for the version: --version, or -V alone)' : '';
    throw new UsageError(`${flag} needs a value: ${flag} ${kindSyntax(flag)}${version}`);
  }
  return v;
}

function kindSyntax(flag: string): string {
  switch (flag) {
    case '-x': return 'PARENT,REMOTE,VNI[,PORT]';
    case '-M': return 'PARENT[,MODE]';
    default: return 'PARENT,VID';
  }
}

const MACVLAN_MODES = ['private', 'vepa', 'bridge', 'passthru', 'source'];

/**
 * koko's -x PARENT,REMOTE,VNI (and a port, default 4789), -M PARENT[,MODE]
 * (default bridge), -V PARENT,VID; each may end with mtu=N and mac=M items
 * for the link it makes. The colon form (`-x eth1:10.1.1.1:1`, koko's first
 * syntax) is taken too where the value has no comma.
 */
function parseKindEnd(flag: '-x' | '-M' | '-V', text: string): KindEnd {
  const parts = (text.includes(',') ? text.split(',') : text.split(':'));
  const items: { mtu?: number; mac?: string } = {};
  const positional: string[] = [];
  for (const p of parts) {
    if (p.startsWith('mtu=')) items.mtu = parseMtu(p.slice(4));
    else if (p.startsWith('mac=')) items.mac = p.slice(4);
    else positional.push(p);
  }
  const bad = (why: string): UsageError => new UsageError(`${flag} ${shown(text)}: ${why}; expected ${flag} ${kindSyntax(flag)}[,mtu=N][,mac=M]`);
  const [parent, ...rest] = positional;
  if (!parent) throw bad('the parent device is missing');
  const num = (v: string | undefined, what: string): number => {
    if (v === undefined || v === '') throw bad(`the ${what} is missing`);
    if (!/^\d+$/.test(v)) throw bad(`the ${what} ${quote(v)} is not a number`);
    return Number(v);
  };
  let link: AttachLinkInput;
  if (flag === '-x') {
    if (rest.length < 2 || rest.length > 3) throw bad(rest.length < 2 ? 'the remote address and the VNI are needed' : 'too many fields');
    const [remote, vni, port] = rest;
    if (!remote) throw bad('the remote address is missing');
    link = { kind: 'vxlan', parent, remote, id: num(vni, 'VNI'), ...(port !== undefined ? { port: num(port, 'port') } : {}) };
  } else if (flag === '-M') {
    if (rest.length > 1) throw bad('too many fields');
    const mode = rest[0];
    if (mode !== undefined && !MACVLAN_MODES.includes(mode)) throw bad(`mode ${quote(mode)} is not one of ${MACVLAN_MODES.join(', ')}`);
    link = { kind: 'macvlan', parent, ...(mode ? { mode: mode as 'bridge' } : {}) };
  } else {
    if (rest.length !== 1) throw bad(rest.length ? 'too many fields' : 'the VLAN id is missing');
    link = { kind: 'vlan', parent, id: num(rest[0], 'VLAN id') };
  }
  return { flag, link, ...items };
}

/** The first end, with the kind end's mtu=/mac= items (they describe the same link); a clash is an error. */
function mergeKindItems(end: EndInput, k: KindEnd): EndInput {
  const out = { ...end };
  for (const key of ['mtu', 'mac'] as const) {
    const v = k[key];
    if (v === undefined) continue;
    if (out[key] !== undefined && out[key] !== v) throw new UsageError(`${key} given twice for ${end.ifname}: ${out[key]} on the first end and ${v} on ${k.flag}`);
    (out as Record<string, unknown>)[key] = v;
  }
  return out;
}
