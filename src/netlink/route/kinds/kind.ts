// What one link kind declares, once: its IFLA_INFO_DATA table (which drives
// encoding, decoding and the decoded type) and the options `links.add`
// takes for it, each naming the attribute it sets. From the options come the
// typed creation spec (OptionsOf), the input schema (src/rules) and the
// request's attributes (kindAttributes), in the order iproute2 sends them.

import type { AttrTable, Codec, Spec, SpecValue } from '../../attr.js';

/** One creation option: the attribute it sets, and how its value is given. */
export interface OptionSpec {
  /** The IFLA_INFO_DATA attribute it sets (with `parent`: ignored, it is IFLA_LINK). */
  readonly attr: string;
  readonly required?: true;
  /** A u8 0/1 on the wire, a boolean to the caller. */
  readonly boolean?: true;
  /** A link by name or ifindex (the API sends its ifindex). */
  readonly link?: true;
  /** Sets the new link's own IFLA_LINK: its lower device (macvlan, vlan, ipvlan). */
  readonly parent?: true;
  /** Narrower than the wire type allows (a VNI is 24 bits in a u32). */
  readonly min?: number;
  readonly max?: number;
  /** Sent when the caller gives none. */
  readonly default?: string | number | boolean;
}

export interface LinkKind<
  K extends string = string,
  Key extends string = string,
  S extends Record<string, Spec> = Record<string, Spec>,
  O extends Record<string, OptionSpec> = Record<string, OptionSpec>,
> {
  /** IFLA_INFO_KIND. */
  readonly kind: K;
  /** Where its options go in `links.add`: `{ kind: 'vxlan', vxlan: { id: 42 } }`. */
  readonly key: Key;
  /** IFLA_INFO_DATA's layout; a function of the IFLA table where the data nests link attributes (a veth's peer). */
  readonly data?: AttrTable<S> | ((ifla: () => AttrTable) => AttrTable<S>);
  /** The options `links.add` takes, in the order iproute2 sends their attributes. */
  readonly options: O;
  /** IFLA_INFO_SLAVE_DATA of a port enslaved to a link of this kind (a bridge's ports). */
  readonly slaveData?: AttrTable;
}

/** Declare a kind (keeps its literal types for OptionsOf). */
export function defineKind<const K extends string, const Key extends string, S extends Record<string, Spec>, const O extends Record<string, OptionSpec>>(def: LinkKind<K, Key, S, O>): LinkKind<K, Key, S, O> {
  return def;
}

type ValueOf<S, O> = O extends { link: true } ? string | number
  : O extends { boolean: true } ? boolean
  : O extends { attr: infer A } ? (A extends keyof S ? SpecValue<S[A]> : never) : never;
type Required_<O> = { [P in keyof O as O[P] extends { required: true } ? P : never]: O[P] };
type Optional_<O> = { [P in keyof O as O[P] extends { required: true } ? never : P]: O[P] };

/** The options object of a kind, as `links.add` takes it. */
export type OptionsOf<D> = D extends LinkKind<string, string, infer S, infer O>
  ? { -readonly [P in keyof Required_<O>]: ValueOf<S, O[P]> } & { -readonly [P in keyof Optional_<O>]?: ValueOf<S, O[P]> }
  : never;

/** True when some option of the kind is required (then its options object is too). */
export type NeedsOptions<D> = D extends LinkKind<string, string, Record<string, Spec>, infer O> ? (keyof Required_<O> extends never ? false : true) : false;

/** The kind's IFLA_INFO_DATA table (given the IFLA table, for kinds that nest it). */
export function dataTable(kind: LinkKind, ifla: () => AttrTable): AttrTable | undefined {
  return typeof kind.data === 'function' ? kind.data(ifla) : kind.data;
}

/** The codec of the attribute an option sets, for its input rule. */
export function optionCodec(kind: LinkKind, option: OptionSpec, ifla: () => AttrTable): Codec<unknown> | undefined {
  return option.parent || option.link ? undefined : dataTable(kind, ifla)?.byKey.get(option.attr)?.codec;
}

/**
 * The attributes a kind's options make, in the options' declared order:
 * IFLA_INFO_DATA, and the new link's IFLA_LINK for a `parent` option. Link
 * options must already hold ifindexes; booleans become u8 0/1; defaults fill in.
 */
export function kindAttributes(kind: LinkKind, options: Readonly<Record<string, unknown>> = {}): { data?: Record<string, unknown>; link?: number } {
  const data: Record<string, unknown> = {};
  let link: number | undefined;
  let any = false;
  for (const [name, o] of Object.entries(kind.options)) {
    let v = options[name] ?? o.default;
    if (v === undefined) continue;
    if (o.boolean) v = v ? 1 : 0;
    if (o.parent) link = v as number;
    else {
      data[o.attr] = v;
      any = true;
    }
  }
  return { data: any ? data : undefined, link };
}
