// The input rules of `links.add`, made from the link kinds' registry
// (src/netlink/route/kinds): one discriminated union on `kind`, each kind's
// options checked by the rule of the attribute they set, so a wrong option
// for a kind is refused (and does not compile: LinkAddOptions).

import { z } from 'zod';
import { parseIP, parseIPv4 } from '../netlink/bytes.js';
import type { ValueRule } from '../netlink/attr.js';
import { IFLA } from '../netlink/route/link.js';
import { LINK_KINDS, type KnownLinkKind } from '../netlink/route/kinds/index.js';
import { optionCodec, type LinkKind, type NeedsOptions, type OptionsOf, type OptionSpec } from '../netlink/route/kinds/kind.js';
import { endpointNs, ifname, mac, mtu, type EndpointNs } from './schemas.js';
import { vxlan } from '../netlink/route/kinds/vxlan.js';
import { macvlan } from '../netlink/route/kinds/macvlan.js';
import { vlan } from '../netlink/route/kinds/vlan.js';
import { netnsTargetProblem, quote } from './problems.js';

/** An interface index: 1 to 2^31 - 1 (the kernel's is a signed 32-bit int). */
export const ifindex = z.number().int().min(1).max(0x7fffffff);

/** A link named or numbered: 'eth0' or its ifindex. */
export type LinkName = string | number;
export const linkName = z.union([ifname, ifindex]);

/** A namespace as the library takes it: a name from `ip netns`, or exactly one of these (or an open namespace file, `{ fd }`). */
export type NetnsTargetInput = string | { name: string } | { pid: number } | { path: string } | { container: string } | { current: true } | { fd: number; label?: string };

/** A namespace as the library takes it, checked by netnsTargetProblem. */
export const netnsTarget = z.custom<NetnsTargetInput>(() => true).superRefine((t, ctx) => {
  const why = netnsTargetProblem(t);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});

function valueSchema(rule: ValueRule | undefined, o: OptionSpec, where: string): z.ZodTypeAny {
  if (o.link) return linkName;
  if (o.boolean) return z.boolean();
  switch (rule?.type) {
    case 'int': return z.number().int().min(Math.max(rule.min, o.min ?? rule.min)).max(Math.min(rule.max, o.max ?? rule.max));
    case 'ipv4': return z.string().refine((s) => !!parseIPv4(s), (s) => ({ message: `${quote(s)} is not an IPv4 address` }));
    case 'ip': return z.string().refine((s) => { try { parseIP(s); return true; } catch { return false; } }, (s) => ({ message: `${quote(s)} is not an IP address` }));
    case 'mac': return mac;
    case 'string': return z.string();
    case 'flag': return z.literal(true);
    case 'enum': return z.union([z.enum(rule.names as [string, ...string[]]), z.number().int().min(0).max(Math.min(rule.max, o.max ?? rule.max))]);
    default: throw new Error(`${where}: no input rule for its attribute`);
  }
}

/** The options object of one kind, strict: an option it does not have is refused. */
export function kindOptionsSchema(kind: LinkKind): z.ZodTypeAny {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const [name, o] of Object.entries(kind.options)) {
    const s = valueSchema(optionCodec(kind, o, () => IFLA)?.input, o, `${kind.kind}.${name}`);
    shape[name] = o.required ? s : s.optional();
  }
  const object = z.object(shape).strict();
  // Two options for one attribute (vxlan's remote and group): at most one of them.
  const byAttr = new Map<string, string[]>();
  for (const [name, o] of Object.entries(kind.options)) byAttr.set(o.attr, [...(byAttr.get(o.attr) ?? []), name]);
  const twins = [...byAttr.values()].filter((names) => names.length > 1);
  if (!twins.length) return object;
  return object.superRefine((v: Record<string, unknown>, ctx) => {
    for (const names of twins) {
      const given = names.filter((n) => v[n] !== undefined);
      if (given.length > 1) ctx.addIssue({ code: 'custom', message: `give one of ${given.join(' and ')}: they set the same attribute` });
    }
  });
}

const peer = z.object({
  ifname,
  netns: netnsTarget.optional(),
  mtu: mtu.optional(),
  address: mac.optional(),
}, { required_error: 'a veth needs a peer: { ifname }' }).strict();

const common = {
  ifname,
  mtu: mtu.optional(),
  address: mac.optional(),
  up: z.boolean().optional(),
  master: linkName.optional(),
  txqlen: z.number().int().nonnegative().max(0xffffffff).optional(),
  alias: z.string().max(255).optional(),
};

const needsOptions = (k: LinkKind): boolean => Object.values(k.options).some((o) => o.required);

/** `links.add`'s input: one member per kind, discriminated by `kind`, built on first use. */
export function linkAddSchema(): z.ZodTypeAny {
  const members = (LINK_KINDS as readonly LinkKind[]).map((k) => {
    if (k.kind === 'veth') return z.object({ ...common, kind: z.literal('veth'), peer }).strict();
    const options = kindOptionsSchema(k);
    const required = `a ${k.kind} needs ${k.key}: { ${Object.entries(k.options).filter(([, o]) => o.required).map(([n]) => n).join(', ')} }`;
    const own = needsOptions(k) ? z.any().superRefine((v, ctx) => { if (v === undefined) ctx.addIssue({ code: 'custom', message: required }); }).pipe(options) : options.optional();
    return z.object({ ...common, kind: z.literal(k.kind), [k.key]: own }).strict();
  });
  return z.discriminatedUnion('kind', members as unknown as [z.ZodDiscriminatedUnionOption<'kind'>, ...z.ZodDiscriminatedUnionOption<'kind'>[]]);
}

/** A veth's other end: its name, and where it is created (default: beside the first). */
export interface PeerOptions {
  ifname: string;
  netns?: NetnsTargetInput;
  mtu?: number;
  address?: string;
}

interface CommonOptions {
  ifname: string;
  mtu?: number;
  address?: string;
  up?: boolean;
  master?: LinkName;
  txqlen?: number;
  alias?: string;
}

type KindMember<K> = K extends LinkKind<infer N, infer Key>
  ? N extends 'veth' ? { kind: 'veth'; peer: PeerOptions }
  : NeedsOptions<K> extends true ? { kind: N } & { [P in Key]: OptionsOf<K> } : { kind: N } & { [P in Key]?: OptionsOf<K> }
  : never;

/** What `links.add` takes: the common settings and, by `kind`, that kind's options (a veth: its peer). */
export type LinkAddOptions = CommonOptions & KindMember<KnownLinkKind>;

// ------------------------------------------------------------- attach()

/**
 * The kinds a link of its own can be made of for one end, on a parent device
 * (src/wire/attach.ts; the command line's -x, -M, -V): the registry's kind,
 * and the option that names its parent there (a vxlan's lower device is
 * IFLA_VXLAN_LINK, `dev`; the others' is IFLA_LINK, `parent`).
 */
export const ATTACH_KINDS = {
  vxlan: { kind: vxlan, parentOption: 'dev' },
  macvlan: { kind: macvlan, parentOption: 'parent' },
  vlan: { kind: vlan, parentOption: 'parent' },
} as const;
export type AttachKindName = keyof typeof ATTACH_KINDS;

interface AttachCommon {
  /** The parent device: by name or ifindex, in `parentNs`. */
  parent: LinkName;
  /** Where the parent is (and where a vxlan sends its UDP): default the current namespace. */
  parentNs?: EndpointNs;
}

/** What attach() takes for the link: its kind, its parent, and that kind's options from the registry. */
export type AttachLinkInput =
  | ({ kind: 'vxlan' } & AttachCommon & Omit<OptionsOf<typeof vxlan>, 'dev'>)
  | ({ kind: 'macvlan' } & AttachCommon & Omit<OptionsOf<typeof macvlan>, 'parent'>)
  | ({ kind: 'vlan' } & AttachCommon & Omit<OptionsOf<typeof vlan>, 'parent'>);

/**
 * attach()'s link input: the kind, the parent (and its namespace), and the
 * kind's options checked by the kind's own schema (kindOptionsSchema), the
 * parent given as the option that carries it.
 */
export function attachLinkSchema(): z.ZodType<AttachLinkInput> {
  const kinds = Object.keys(ATTACH_KINDS) as [AttachKindName, ...AttachKindName[]];
  return z.object({ kind: z.enum(kinds), parent: linkName, parentNs: endpointNs.optional() }).passthrough().superRefine((v, ctx) => {
    const { kind, parent, parentNs: _, ...rest } = v as Record<string, unknown> & { kind: AttachKindName; parent: LinkName };
    const { kind: k, parentOption } = ATTACH_KINDS[kind];
    if (parentOption !== 'parent' && parentOption in rest) {
      ctx.addIssue({ code: 'custom', path: [parentOption], message: `a ${kind}'s lower device is given as parent` });
      return;
    }
    const r = kindOptionsSchema(k as LinkKind).safeParse({ ...rest, [parentOption]: parent });
    if (r.success) return;
    for (const issue of r.error.issues) {
      const path = issue.path.map((p) => (p === parentOption ? 'parent' : p));
      ctx.addIssue({ ...issue, path, code: 'custom', message: issue.message } as z.IssueData);
    }
  }) as unknown as z.ZodType<AttachLinkInput>;
}
