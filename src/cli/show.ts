// `vethcon show [--all] [--json | --dot] [--netns NAME]... [--container NAME]... [--lab NAME]`:
// the links vethcon made (with --all, every veth pair too), one line each,
// as JSON (README: "Output of vethcon show --json") or as a Graphviz graph.
// The formatters are pure: they take show()'s result and return text.

import type { Command } from './args.js';
import type { NamespaceThreads } from '../ns/index.js';
import type { ShowEnd, ShowLink, ShowResult } from '../wire/show.js';
import { jsonText, printable } from './printable.js';

export type ShowCommand = Extract<Command, { action: 'show' }>;

export async function runShow(cmd: ShowCommand, options: { threads?: NamespaceThreads; close: boolean }): Promise<number> {
  const { show } = await import('../wire/show.js');
  const { Vethcon } = await import('../api/client.js');
  const client = new Vethcon({ threads: options.threads });
  const result = await show({ client, all: cmd.all, netns: cmd.netns, container: cmd.containers, lab: cmd.lab })
    .finally(() => (options.close ? client.close() : undefined));
  if (cmd.json) process.stdout.write(showJson(result) + '\n');
  else if (cmd.dot) process.stdout.write(showDot(result));
  else {
    for (const n of result.notes) process.stderr.write(`vethcon: note: ${printable(n)}\n`);
    process.stdout.write(showText(result, cmd.all));
  }
  return 0;
}

/** The `--json` document: `schema` first, then `ok`, then show()'s result. */
export function showJson(r: ShowResult): string {
  const { schema, ...rest } = r;
  return jsonText({ schema, ok: true, ...rest });
}

/** One line per link; a line saying there are none when there are none. */
export function showText(r: ShowResult, all = false): string {
  if (!r.links.length) return `no ${all ? 'veth pairs or links of vethcon\'s' : 'links made by vethcon'} found in ${r.scanned} namespace${r.scanned === 1 ? '' : 's'}\n`;
  return r.links.map((l) => printable(linkLine(l)) + '\n').join('');
}

/** IPv6 link-local addresses are left out of the text (every link has one); --json has them. */
const shownAddresses = (e: ShowEnd): string[] => e.addresses.filter((a) => !/^fe[89ab][0-9a-f]:/i.test(a));

/** `netns red:v0 (10.0.0.1/30)`; an end in an unnamed namespace by its ifindex. */
export function endText(e: ShowEnd): string {
  const where = e.ifname === undefined ? `${e.netns} ifindex ${e.ifindex}` : `${e.netns}:${e.ifname}`;
  const addresses = shownAddresses(e);
  return addresses.length ? `${where} (${addresses.join(', ')})` : where;
}

/** The same value on every end once, or each end's, joined by `/` (`mtu 9000`, `mtu 9000/1500`). */
function perEnd<T>(ends: ShowEnd[], pick: (e: ShowEnd) => T | undefined, show: (v: T) => string): string | undefined {
  const values = ends.filter((e) => e.ifname !== undefined).map(pick);
  if (!values.length || values.every((v) => v === undefined)) return undefined;
  const texts = values.map((v) => (v === undefined ? '?' : show(v)));
  return texts.every((t) => t === texts[0]) ? texts[0] : texts.join('/');
}

/**
 * `container c1:eth1 (10.0.0.1/30) <-> container c2:eth1 (10.0.0.2/30) mtu 9000 up`,
 * then the lab and link key of ours, `pending` for a pair still marked so,
 * and `(not vethcon's)` for another's pair (with --all).
 */
export function linkLine(l: ShowLink): string {
  const parts: string[] = [];
  if (l.ends.length === 2) parts.push(`${endText(l.ends[0])} <-> ${endText(l.ends[1])}`);
  else {
    const e = l.ends[0];
    parts.push(endText(e));
    if (l.kind !== 'veth') parts.push(l.kind);
    if (e.vxlan) {
      if (e.vxlan.vni !== undefined) parts.push(`vni ${e.vxlan.vni}`);
      if (e.vxlan.remote !== undefined) parts.push(`remote ${e.vxlan.remote}`);
      if (e.vxlan.port !== undefined) parts.push(`port ${e.vxlan.port}`);
    }
    if (e.macvlan?.mode !== undefined) parts.push(e.macvlan.mode);
    if (e.parent) parts.push(`${e.vxlan ? 'via' : 'on'} ${e.parent.ifname === undefined ? `${e.parent.netns} ifindex ${e.parent.ifindex}` : `${e.parent.netns}:${e.parent.ifname}`}`);
    else if (l.kind === 'veth') parts.push('<-> (peer not found)');
  }
  const mtu = perEnd(l.ends, (e) => e.mtu, (v) => String(v));
  if (mtu !== undefined) parts.push(`mtu ${mtu}`);
  const state = perEnd(l.ends, (e) => e.up, (v) => (v ? 'up' : 'down'));
  if (state !== undefined) parts.push(state);
  if (l.mark) {
    if (l.mark.lab !== undefined) parts.push(`lab ${l.mark.lab}`);
    if (l.mark.link !== undefined) parts.push(`link ${l.mark.link}`);
    if (!l.mark.complete) parts.push('pending');
  } else parts.push("(not vethcon's)");
  return parts.join(' ');
}

/** A Graphviz ID: quoted, with `"` and `\` escaped and control characters as printable() writes them. */
const dotId = (s: string): string => `"${printable(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * A Graphviz graph (`vethcon show --dot | dot -Tsvg > lab.svg`): a node per
 * namespace, an edge per veth pair labelled with its ends' names; a vxlan
 * end is an edge to its remote, a macvlan's a dashed edge to its parent's namespace.
 */
export function showDot(r: ShowResult): string {
  const nodes: string[] = [];
  const node = (name: string, attrs = ''): void => {
    const line = `  ${dotId(name)}${attrs ? ` [${attrs}]` : ''};`;
    if (!nodes.some((n) => n.startsWith(`  ${dotId(name)}`))) nodes.push(line);
  };
  const edges: string[] = [];
  for (const l of r.links) {
    const [a, b] = l.ends;
    node(a.netns);
    const name = (e: ShowEnd): string => e.ifname ?? `ifindex ${e.ifindex}`;
    if (b) {
      node(b.netns);
      const style = l.ours ? '' : ', style=dotted';
      edges.push(`  ${dotId(a.netns)} -- ${dotId(b.netns)} [label=${dotId(`${name(a)} - ${name(b)}`)}, taillabel=${dotId(name(a))}, headlabel=${dotId(name(b))}${style}];`);
    } else if (a.vxlan?.remote !== undefined) {
      const remote = `vxlan remote ${a.vxlan.remote}`;
      node(remote, 'shape=ellipse');
      edges.push(`  ${dotId(a.netns)} -- ${dotId(remote)} [label=${dotId(`${name(a)} vni ${a.vxlan.vni ?? '?'}`)}];`);
    } else if (a.parent) {
      node(a.parent.netns);
      edges.push(`  ${dotId(a.netns)} -- ${dotId(a.parent.netns)} [label=${dotId(`${name(a)} (${l.kind}) on ${a.parent.ifname ?? `ifindex ${a.parent.ifindex}`}`)}, style=dashed];`);
    }
  }
  return `graph vethcon {\n  node [shape=box];\n${[...nodes, ...edges].map((x) => x + '\n').join('')}}\n`;
}
