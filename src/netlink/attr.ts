// Netlink attributes (TLV, 4-byte aligned) and the declarative tables that
// drive their encoding, decoding and TypeScript types from one declaration.
//
//   const IFA = attrs('IFA', { address: [1, ip], label: [3, cstring] });
//   type AddrAttrs = AttrsOf<typeof IFA>;   // { address?: string; label?: string }
//
// Decoding keeps the wire order of attributes (object key order) and keeps
// every attribute it does not know, or cannot represent exactly, as raw bytes
// under the key `#<type>` (type including its flag bits), so decoding a
// kernel message and encoding the result gives back the same bytes.

import {
  Writer, align4, u16At, u32At, s32At, u64At, be16At, be32At,
  formatLladdr, parseLladdr, formatIPv4, formatIPv6, parseIP, parseIPv4, decodeText, encodeText,
} from './bytes.js';
import { DecodeError, EncodeError } from './errors.js';
import { quote } from './text.js';

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;
/** Deeper nesting than any real rtnetlink message; a guard against crafted input. */
export const MAX_NEST_DEPTH = 16;

/** Returned by a codec's decode when the bytes cannot be represented exactly: the table keeps them raw. */
export const RAW: unique symbol = Symbol('raw');
/** Where a nested object remembers attribute-header flags that differ from its table's default. */
export const NLA_FLAGS: unique symbol = Symbol('nlaFlags');
/** Where an object remembers strings whose NUL terminator differs from its table's default. */
export const STR_NUL: unique symbol = Symbol('strNul');

/** Raw attributes we keep as bytes, keyed `#<type with flags>`. */
export type RawAttrs = { [key: `#${number}`]: Uint8Array | Uint8Array[] };

/**
 * How one attribute payload becomes a value and back. `parent` is the object
 * being decoded (or encoded) around it, so a payload can depend on a sibling
 * (IFLA_INFO_DATA depends on IFLA_INFO_KIND).
 */
export interface Codec<T> {
  readonly name: string;
  decode(b: Uint8Array, off: number, len: number, depth: number, parent: unknown): T | typeof RAW;
  encode(w: Writer, value: T, parent: unknown): void;
  /** Nested payloads carry NLA_F_NESTED by default when true. */
  readonly nestedFlag?: boolean;
  /** For string codecs: whether they write a NUL terminator. */
  readonly terminated?: boolean;
  /** For plain nested sets: their table (lets error reports name a nested attribute). */
  readonly table?: () => AttrTable;
  /**
   * JS source of an expression that decodes the payload at b[p, p+n), or
   * yields RAW; compiled table decoders inline it instead of calling decode.
   */
  readonly inline?: string;
  /** What a caller may give as a value (for input checking above the codec). */
  readonly input?: ValueRule;
}

/**
 * The values a codec accepts, said plainly so the layers above can check
 * input before encoding (src/rules turns it into a zod schema).
 */
export type ValueRule =
  | { type: 'int'; min: number; max: number }
  | { type: 'ipv4' }
  | { type: 'ip' }
  | { type: 'mac' }
  | { type: 'string' }
  | { type: 'flag' }
  | { type: 'enum'; names: readonly string[]; max: number };

// ---------------------------------------------------------------- scalars

function fixed<T>(name: string, size: number, read: (b: Uint8Array, o: number) => T, write: (w: Writer, v: T) => void, expr: string, input?: ValueRule): Codec<T> {
  return {
    name,
    decode: (b, off, len) => (len === size ? read(b, off) : RAW),
    encode: write,
    inline: `(n === ${size} ? ${expr} : RAW)`,
    input,
  };
}

const int = (min: number, max: number): ValueRule => ({ type: 'int', min, max });

const U32_EXPR = '((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 16777216)';
export const u8 = fixed<number>('u8', 1, (b, o) => b[o], (w, v) => w.u8(v), 'b[p]', int(0, 0xff));
export const u16 = fixed<number>('u16', 2, u16At, (w, v) => w.u16(v), '(b[p] | (b[p + 1] << 8))', int(0, 0xffff));
export const u32 = fixed<number>('u32', 4, u32At, (w, v) => w.u32(v), U32_EXPR, int(0, 0xffffffff));
export const s32 = fixed<number>('s32', 4, s32At, (w, v) => w.s32(v), '(b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24))', int(-0x80000000, 0x7fffffff));
/** u64 as a number; values past 2^53 (which a number cannot hold exactly) stay raw bytes. */
export const u64 = fixed<number>('u64', 8, u64At, (w, v) => w.u64(v), 'u64At(b, p)');
(u64 as any).decode = (b: Uint8Array, off: number, len: number) => (len === 8 && u32At(b, off + 4) <= 0x1fffff ? u64At(b, off) : RAW);
(u64 as any).inline = '(n === 8 && u32At(b, p + 4) <= 2097151 ? u64At(b, p) : RAW)';

/** NLA_UINT: a u32 or u64 by length (the kernel picks the smaller that fits). */
export const uint: Codec<number> = {
  name: 'uint',
  decode: (b, off, len) => (len === 4 ? u32At(b, off) : len === 8 && u32At(b, off + 4) <= 0x1fffff && u32At(b, off + 4) !== 0 ? u64At(b, off) : RAW),
  encode: (w, v) => (v > 0xffffffff ? w.u64(v) : w.u32(v)),
};
export const be16 = fixed<number>('be16', 2, be16At, (w, v) => w.be16(v), '((b[p] << 8) | b[p + 1])', int(0, 0xffff));
export const be32 = fixed<number>('be32', 4, be32At, (w, v) => w.be32(v), 'be32At(b, p)', int(0, 0xffffffff));

/** A zero-length attribute whose presence means true. */
export const flag: Codec<true> = {
  name: 'flag',
  input: { type: 'flag' },
  inline: '(n === 0 ? true : RAW)',
  decode: (_b, _o, len) => (len === 0 ? true : RAW),
  encode: () => {},
};

/** Every empty byte value decodes to this one frozen view (a view costs ~100 bytes of heap; links carry several empty ones). */
export const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

/**
 * Opaque bytes: a view of the decoded buffer (no copy). Copy it if you reuse
 * that buffer. (The socket gives callers messages decoded from their own copy.)
 */
export const binary: Codec<Uint8Array> = {
  name: 'binary',
  decode: (b, off, len) => (len === 0 ? EMPTY_BYTES : b.subarray(off, off + len)),
  encode: (w, v) => w.bytes(v),
  inline: '(n === 0 ? EMPTY_BYTES : b.subarray(p, p + n))',
};

/**
 * Strings. The kernel sends names NUL-terminated; iproute2 sends some
 * (IFLA_INFO_KIND, IFLA_IFALIAS) without the NUL. Both codecs read either
 * form; `terminated` is what they write by default, and a decoded object
 * whose string came the other way remembers it (STR_NUL) so it encodes back
 * byte for byte.
 */
function text(name: string, terminated: boolean): Codec<string> {
  return {
    name,
    terminated,
    input: { type: 'string' },
    decode(b, off, len) {
      const end = len > 0 && b[off + len - 1] === 0 ? off + len - 1 : off + len;
      let high = 0;
      for (let i = off; i < end; i++) {
        const c = b[i];
        if (c === 0) return RAW;
        high |= c;
      }
      const s = decodeText(b, off, end);
      // Only bytes past ASCII can be invalid UTF-8 (decoded as U+FFFD, kept raw instead).
      return high >= 0x80 && s.includes('\ufffd') ? RAW : s;
    },
    encode(w, v) {
      w.bytes(encodeText(v));
      if (terminated) w.u8(0);
    },
  };
}

/** A string written with its NUL terminator (names, as the kernel sends them). */
export const cstring = text('cstring', true);
/** A string written without a NUL terminator (as iproute2 sends a link kind). */
export const string = text('string', false);

/** Link-layer address as colon hex (`02:00:00:00:00:01`), any length. */
export const lladdr: Codec<string> = {
  name: 'lladdr',
  input: { type: 'mac' },
  decode: (b, off, len) => formatLladdr(b, off, len),
  encode: (w, v) => w.bytes(parseLladdr(v)),
  inline: 'formatLladdr(b, p, n)',
};

/** IPv4 or IPv6 address as text; the payload length (4 or 16) says which. */
export const ip: Codec<string> = {
  name: 'ip',
  input: { type: 'ip' },
  decode: (b, off, len) => (len === 4 ? formatIPv4(b, off) : len === 16 ? formatIPv6(b, off) : RAW),
  encode: (w, v) => w.bytes(parseIP(v)),
  inline: '(n === 4 ? formatIPv4(b, p) : n === 16 ? formatIPv6(b, p) : RAW)',
};

export const ipv4: Codec<string> = {
  name: 'ipv4',
  input: { type: 'ipv4' },
  decode: (b, off, len) => (len === 4 ? formatIPv4(b, off) : RAW),
  inline: '(n === 4 ? formatIPv4(b, p) : RAW)',
  encode(w, v) {
    const bytes = parseIPv4(v);
    if (!bytes) throw new EncodeError(`not an IPv4 address: ${quote(v)}`);
    w.bytes(bytes);
  },
};

// ---------------------------------------------------------------- structs

/** Struct fields: little-endian integers, big-endian 16-bit (`be16`), a 6-byte MAC (`mac`), padding. */
export type FieldType = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 'be16' | 'mac' | 'pad8' | 'pad16' | 'pad32';
type FieldValue<F extends FieldType> = F extends `pad${string}` ? never : F extends 'mac' ? string : number;
export type StructOf<F extends readonly (readonly [string, FieldType])[]> = {
  [E in F[number] as E[1] extends `pad${string}` ? never : E[0]]: FieldValue<E[1]>;
};

const FIELD_SIZE: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, s32: 4, u64: 8, be16: 2, mac: 6, pad8: 1, pad16: 2, pad32: 4 };
/** Read expressions for struct fields at offset O of b. */
const U32_AT = (o: string) => `((b[${o}] | (b[${o} + 1] << 8) | (b[${o} + 2] << 16)) + b[${o} + 3] * 16777216)`;
const FIELD_EXPR: Partial<Record<FieldType, (o: string) => string>> = {
  u8: (o) => `b[${o}]`,
  u16: (o) => `(b[${o}] | (b[${o} + 1] << 8))`,
  u32: U32_AT,
  s32: (o) => `(b[${o}] | (b[${o} + 1] << 8) | (b[${o} + 2] << 16) | (b[${o} + 3] << 24))`,
  be16: (o) => `((b[${o}] << 8) | b[${o} + 1])`,
  mac: (o) => `formatLladdr(b, ${o}, 6)`,
  // A high word past 2^21 would lose precision as a number: flag it (the caller keeps the bytes raw).
  // A zero high word skips the multiplication, so small counters stay Smis: V8 then stores
  // them in the object itself instead of boxing every field of the struct as a double.
  u64: (o) => `((hi = ${U32_AT(`${o} + 4`)}) === 0 ? ${U32_AT(o)} : hi > 2097151 ? (lossy = true, 0) : hi * 4294967296 + ${U32_AT(o)})`,
};

/** A fixed C struct: used for message headers and struct attributes. */
export interface StructCodec<T> extends Codec<T> {
  readonly size: number;
  /** Decode a struct that must be at least `size` bytes (headers). */
  read(b: Uint8Array, off: number): T;
  write(w: Writer, v: Partial<T>): void;
}

/**
 * A struct of little-endian integer fields. As an attribute it tolerates a
 * longer payload (kernels grow structs): the bytes past what we know are kept
 * in `extra` and written back unchanged.
 */
export function struct<const F extends readonly (readonly [string, FieldType])[]>(name: string, fields: F): StructCodec<StructOf<F> & { extra?: Uint8Array }> {
  type T = StructOf<F> & { extra?: Uint8Array };
  const size = fields.reduce((n, [, t]) => n + FIELD_SIZE[t], 0);
  // A generated reader builds the object with one literal: one hidden class, no loop.
  const props: string[] = [];
  let at = 0;
  for (const [key, t] of fields) {
    const e = FIELD_EXPR[t]?.(`o + ${at}`);
    if (e) props.push(`${JSON.stringify(key)}: ${e}`);
    at += FIELD_SIZE[t];
  }
  // read() for headers; readExact() also reports a u64 a number cannot hold (undefined then).
  const fn = (checked: boolean) => `return function read_${name.replace(/\W/g, '_')}(b, o) {
    let hi = 0, lossy = false;
    const out = { ${props.join(', ')} };
    return ${checked ? 'lossy ? undefined : out' : 'out'};
  };`;
  // Compiled on first use: most structs are never read by a given program, and start-up counts.
  let compiled: ((b: Uint8Array, o: number) => T) | undefined;
  let compiledExact: ((b: Uint8Array, o: number) => T | undefined) | undefined;
  const read = (b: Uint8Array, o: number): T => (compiled ??= new Function('formatLladdr', fn(false))(formatLladdr))(b, o);
  const readExact = (b: Uint8Array, o: number): T | undefined => (compiledExact ??= new Function('formatLladdr', fn(true))(formatLladdr))(b, o);
  const write = (w: Writer, v: Partial<T>): void => {
    const src = v as any;
    for (const [key, t] of fields) {
      const x = src[key] ?? 0;
      switch (t) {
        case 'u8': w.u8(x); break;
        case 'u16': w.u16(x); break;
        case 'u32': w.u32(x); break;
        case 's32': w.s32(x); break;
        case 'u64': w.u64(x); break;
        case 'be16': w.be16(x); break;
        case 'mac': {
          const mac = parseLladdr(x === 0 ? '00:00:00:00:00:00' : x);
          if (mac.length !== 6) throw new EncodeError(`${name}.${key}: a MAC is 6 bytes: ${JSON.stringify(x)}`);
          w.bytes(mac);
          break;
        }
        default: w.zeros(FIELD_SIZE[t]);
      }
    }
    if (src.extra) w.bytes(src.extra);
  };
  return {
    name, size, read, write,
    decode(b, off, len) {
      if (len < size) return RAW;
      // A u64 past 2^53 cannot be a number exactly: keep the struct as bytes.
      const out = readExact(b, off);
      if (out === undefined) return RAW; // a u64 past 2^53: keep the struct as bytes
      if (len > size) out.extra = b.subarray(off + size, off + len);
      return out;
    },
    encode: write,
  };
}

/** A struct whose fields are all u64 (rtnl_link_stats64 and friends), decoded in a tight loop. */
export function u64Struct<const K extends readonly string[]>(name: string, keys: K): Codec<{ [P in K[number]]: number } & { extra?: Uint8Array }> {
  return struct(name, keys.map((k) => [k, 'u64'] as const) as any) as any;
}

// ---------------------------------------------------------------- tables

export interface AttrOpts {
  /** The attribute may repeat: its value is an array, in wire order. */
  multi?: true;
  /** Flag bits (NLA_F_NESTED / NLA_F_NET_BYTEORDER) this attribute carries on the wire by default. */
  flags?: number;
}
export type Spec = readonly [type: number, codec: Codec<unknown>] | readonly [type: number, codec: Codec<unknown>, opts: AttrOpts];
export type SpecValue<S> = S extends readonly [number, Codec<infer T>, { multi: true }] ? T[]
  : S extends readonly [number, Codec<infer T>, ...unknown[]] ? T : never;

export interface Entry {
  key: string;
  type: number;
  codec: Codec<unknown>;
  multi: boolean;
  flags: number;
}

export type TableDecoder = (b: Uint8Array, off: number, end: number, depth: number) => Record<string, unknown>;

export interface AttrTable<S extends Record<string, Spec> = Record<string, Spec>> {
  readonly name: string;
  readonly spec: S;
  readonly byType: (Entry | undefined)[];
  readonly byKey: Map<string, Entry>;
  /** Compiled on first use (tables may refer to each other through thunks). */
  decoder?: TableDecoder;
  /** A projection (see pick()): attributes outside it are skipped, not kept raw. */
  readonly skipOthers?: boolean;
  /** Messages carry many of its attributes (links: ~55): decoded objects are sized for them. */
  readonly wide: boolean;
}

/** Attribute values of a spec: every key optional, unknown attributes under `#<type>`. */
export type AttrValues<S extends Record<string, Spec>> = { -readonly [K in keyof S]?: SpecValue<S[K]> } & RawAttrs & { [NLA_FLAGS]?: Record<string, number>; [STR_NUL]?: Record<string, boolean> };

/** Attribute values of a table (`AttrsOf<typeof IFLA>`): every key optional, unknown attributes under `#<type>`. */
export type AttrsOf<T> = T extends AttrTable<infer S> ? AttrValues<S> : never;

export function attrs<const S extends Record<string, Spec>>(name: string, spec: S): AttrTable<S> {
  const byType: (Entry | undefined)[] = [];
  const byKey = new Map<string, Entry>();
  for (const [key, s] of Object.entries(spec)) {
    const [type, codec, opts] = s;
    if (byType[type]) throw new Error(`${name}: attribute ${type} declared twice`);
    const entry: Entry = { key, type, codec, multi: !!opts?.multi, flags: opts?.flags ?? (codec.nestedFlag ? NLA_F_NESTED : 0) };
    byType[type] = entry;
    byKey.set(key, entry);
  }
  return { name, spec, byType, byKey, wide: byKey.size > WIDE_TABLE };
}

/** Tables with more attributes than this are `wide` (IFLA: 69, IFLA_BR: 50; RTA: 31, IFA: 12). */
const WIDE_TABLE = 32;

const RAW_KEYS: string[] = [];
const rawKey = (rawType: number): string => (RAW_KEYS[rawType] ??= '#' + rawType);

function keepRaw(out: any, rawType: number, bytes: Uint8Array): void {
  const key = rawKey(rawType);
  const prev = out[key];
  if (prev === undefined) out[key] = bytes;
  else if (Array.isArray(prev)) prev.push(bytes);
  else out[key] = [prev, bytes];
}

/**
 * The general path for one attribute at b[off, off+len): flag overrides,
 * repeats, NUL differences, unknown types. The compiled decoder takes a
 * faster path for the common case and falls back to this.
 */
function decodeOneAttr(table: AttrTable, out: any, b: Uint8Array, off: number, len: number, rawType: number, depth: number): void {
  const entry = table.byType[rawType & NLA_TYPE_MASK];
  let value: any = RAW;
  if (entry !== undefined) {
    const flags = rawType & ~NLA_TYPE_MASK;
    const nested = entry.codec.nestedFlag;
    if (flags === entry.flags || nested) {
      value = entry.codec.decode(b, off + 4, len - 4, depth + 1, out);
      if (value !== RAW && nested && flags !== entry.flags) {
        (out[NLA_FLAGS] ??= {})[entry.key] = flags;
      }
      const terminated = entry.codec.terminated;
      if (terminated !== undefined && value !== RAW && (len > 4 && b[off + len - 1] === 0) !== terminated) {
        (out[STR_NUL] ??= {})[entry.key] = !terminated;
      }
    }
    if (value !== RAW) {
      if (entry.multi) (out[entry.key] ??= []).push(value);
      else if (out[entry.key] === undefined) out[entry.key] = value;
      else value = RAW; // a repeat we do not expect: keep it raw, in place
    }
  }
  if (value === RAW) keepRaw(out, rawType, b.subarray(off + 4, off + len));
}

function attrError(table: AttrTable, b: Uint8Array, off: number, end: number): never {
  const len = b[off] | (b[off + 1] << 8);
  const type = (b[off + 2] | (b[off + 3] << 8)) & NLA_TYPE_MASK;
  if (len < 4) throw new DecodeError(`${table.name}: attribute length ${len} is below 4`, off);
  throw new DecodeError(`${table.name}: attribute ${type} length ${len} runs past the end (${end - off} bytes left)`, off);
}

/**
 * Source for a constructor `Attrs` whose objects hold a wide table's
 * attributes in-object. It names every key in a branch never taken, so V8
 * sizes its objects for them all (then trims to what is used); `{}` holds 4
 * and moves the rest to a side array it regrows as keys arrive, 2x slower
 * for a link's ~55. Narrow tables keep `{}`: a call per object costs more
 * than it saves until the JIT has inlined it. The prototype is
 * Object.prototype, so results are still plain objects.
 */
function wideObject(table: AttrTable): string {
  const slots = [...table.byKey.keys()].filter((k) => /^[A-Za-z_$][\w$]*$/.test(k)).map((k) => `this.${k} = 0;`);
  return `function Attrs() { if (Attrs.never) { ${slots.join(' ')} } }
  Attrs.prototype = Object.prototype;`;
}

/**
 * Generate a decoder for one table: a switch on the attribute type whose
 * cases read known scalars inline into fixed property names, so V8 sees one
 * shape per attribute order. Anything unusual takes decodeOneAttr.
 */
function compileDecoder(table: AttrTable): TableDecoder {
  const codecs: Codec<any>[] = [];
  const cases: string[] = [];
  for (const entry of table.byType) {
    if (!entry || entry.multi) continue;
    const key = JSON.stringify(entry.key);
    let expr = entry.codec.inline;
    if (entry.codec.terminated === true) expr = `(n > 0 && b[p + n - 1] === 0 ? c${codecs.length}.decode(b, p, n, depth + 1, out) : RAW)`;
    else if (entry.codec.terminated === false) expr = `(n === 0 || b[p + n - 1] !== 0 ? c${codecs.length}.decode(b, p, n, depth + 1, out) : RAW)`;
    else expr ??= `c${codecs.length}.decode(b, p, n, depth + 1, out)`;
    codecs.push(entry.codec);
    cases.push(`case ${entry.type | entry.flags}: if (out[${key}] === undefined) { v = ${expr}; if (v !== RAW) { out[${key}] = v; break; } } slow(table, out, b, off, len, t, depth); break;`);
  }
  const src = `${table.wide ? wideObject(table) : ''}
  return function decode_${table.name.replace(/\W/g, '_')}(b, off, end, depth) {
    if (depth > ${MAX_NEST_DEPTH}) throw new DecodeError(table.name + ': attributes nested deeper than ${MAX_NEST_DEPTH}', off);
    const out = ${table.wide ? 'new Attrs()' : '{}'};
    while (end - off >= 4) {
      const len = b[off] | (b[off + 1] << 8);
      if (len < 4 || len > end - off) attrError(table, b, off, end);
      const t = b[off + 2] | (b[off + 3] << 8);
      const p = off + 4, n = len - 4;
      let v;
      switch (t) {
        ${cases.join('\n        ')}
        default: ${table.skipOthers ? 'if (table.byType[t & 0x3fff] !== undefined) slow(table, out, b, off, len, t, depth);' : 'slow(table, out, b, off, len, t, depth);'}
      }
      off += (len + 3) & ~3;
    }
    return out;
  };`;
  const names = codecs.map((_, i) => `c${i}`);
  return new Function('table', 'RAW', 'slow', 'attrError', 'DecodeError', 'u32At', 'u64At', 'be32At', 'formatIPv4', 'formatIPv6', 'formatLladdr', 'EMPTY_BYTES', ...names, src)(
    table, RAW, decodeOneAttr, attrError, DecodeError, u32At, u64At, be32At, formatIPv4, formatIPv6, formatLladdr, EMPTY_BYTES, ...codecs,
  ) as TableDecoder;
}

/** Decode the attributes in b[off, end) with a table. Byte values are views of b. */
export function decodeAttrs<S extends Record<string, Spec>>(table: AttrTable<S>, b: Uint8Array, off: number, end: number, depth?: number): AttrValues<S>;
export function decodeAttrs(table: AttrTable, b: Uint8Array, off: number, end: number, depth = 0): any {
  return (table.decoder ??= compileDecoder(table))(b, off, end, depth);
}

/** Append one attribute (header, payload, padding) to the writer. */
export function encodeAttr(w: Writer, rawType: number, codec: Codec<unknown>, value: unknown, parent: unknown): void {
  const start = w.pos;
  w.reserve(4);
  w.pos += 4;
  codec.encode(w, value, parent);
  const len = w.pos - start;
  if (len > 0xffff) throw new EncodeError(`attribute ${rawType & NLA_TYPE_MASK} is ${len} bytes, over the 65535 limit`);
  w.patchU16(start, len);
  w.patchU16(start + 2, rawType);
  w.pad4();
}

/**
 * A projection of a table: only these attributes are decoded, the others are
 * skipped outright (not kept raw). For readers that want a few fields of a
 * big message fast (a link listing needs a dozen of a link's ~60 attributes);
 * not lossless, so not for re-encoding.
 */
export function pick<S extends Record<string, Spec>, K extends keyof S & string>(table: AttrTable<S>, keys: readonly K[]): AttrTable<Pick<S, K>> {
  const spec = Object.fromEntries(keys.map((k) => [k, table.spec[k]])) as Pick<S, K>;
  return { ...attrs(`${table.name}(${keys.length} of ${table.byKey.size})`, spec), skipOthers: true, wide: table.wide };
}

/** Encode an attribute object in its key order (decoded objects keep wire order). */
export function encodeAttrs<S extends Record<string, Spec>>(w: Writer, table: AttrTable<S>, values: AttrValues<S>): void;
export function encodeAttrs(w: Writer, table: AttrTable, values: any): void {
  const flagOverrides: Record<string, number> | undefined = values[NLA_FLAGS];
  const nulOverrides: Record<string, boolean> | undefined = values[STR_NUL];
  for (const key of Object.keys(values)) {
    const v = values[key];
    if (v === undefined) continue;
    if (key.charCodeAt(0) === 35 /* '#' */) {
      const rawType = Number(key.slice(1));
      if (!Number.isInteger(rawType) || rawType < 0 || rawType > 0xffff) throw new EncodeError(`${table.name}: bad raw attribute key ${key}`);
      for (const bytes of Array.isArray(v) ? v : [v]) encodeAttr(w, rawType, binary, bytes, values);
      continue;
    }
    const entry = table.byKey.get(key);
    if (!entry) throw new EncodeError(`${table.name}: unknown attribute "${key}"`);
    const rawType = entry.type | (flagOverrides?.[key] ?? entry.flags);
    const nul = nulOverrides?.[key];
    const codec = nul === undefined || nul === entry.codec.terminated ? entry.codec : nul ? cstring : string;
    if (entry.multi) {
      if (!Array.isArray(v)) throw new EncodeError(`${table.name}.${key}: expected an array`);
      for (const item of v) encodeAttr(w, rawType, codec, item, values);
    } else {
      encodeAttr(w, rawType, codec, v, values);
    }
  }
}

// ---------------------------------------------------------------- nesting

/** A nested attribute set. `table` may be a thunk for tables that refer to each other. */
export function nested<S extends Record<string, Spec>>(table: AttrTable<S> | (() => AttrTable<S>), opts?: { flag?: boolean }): Codec<AttrValues<S>>;
export function nested(table: AttrTable | (() => AttrTable), opts: { flag?: boolean } = {}): Codec<any> {
  const get = typeof table === 'function' ? table : () => table;
  return {
    name: 'nested',
    nestedFlag: opts.flag ?? false,
    table: get,
    decode: (b, off, len, depth) => decodeAttrs(get(), b, off, off + len, depth),
    encode: (w, v) => encodeAttrs(w, get(), v),
  };
}

/**
 * A payload whose layout depends on a sibling, e.g. IFLA_INFO_DATA keyed by
 * IFLA_INFO_KIND: `select` is the sibling's key, or a function of the
 * enclosing object that names the kind. Kinds not in the map stay raw bytes.
 */
export function byKind(select: string | ((parent: unknown) => string | undefined), kinds: Record<string, Codec<unknown>>): Codec<unknown>;
export function byKind(select: string | ((parent: any) => string | undefined), kinds: Record<string, Codec<any>>): Codec<any> {
  const siblingKey = typeof select === 'string' ? select : 'kind';
  const nameOf = typeof select === 'string' ? (parent: any): unknown => parent?.[select] : select;
  // Own keys only: a kind named "constructor" must not find Object.prototype's.
  const kindOf = (parent: any): Codec<any> | undefined => {
    const k = nameOf(parent);
    return typeof k === 'string' && Object.hasOwn(kinds, k) ? kinds[k] : undefined;
  };
  return {
    name: 'byKind',
    decode(b, off, len, depth, parent) {
      const codec = kindOf(parent);
      return codec ? codec.decode(b, off, len, depth, parent) : RAW;
    },
    encode(w, v, parent: any) {
      if (v instanceof Uint8Array) return w.bytes(v);
      const codec = kindOf(parent);
      if (!codec) throw new EncodeError(`no attribute layout for ${siblingKey} ${JSON.stringify(nameOf(parent))}`);
      codec.encode(w, v, parent);
    },
  };
}

/** A fixed header followed by attributes inside one attribute (VETH_INFO_PEER: ifinfomsg + IFLA_*). */
export function headerThenAttrs<H, S extends Record<string, Spec>>(header: StructCodec<H>, table: AttrTable<S> | (() => AttrTable<S>)): Codec<{ header: H; attrs: AttrValues<S> }>;
export function headerThenAttrs<H>(header: StructCodec<H>, table: AttrTable | (() => AttrTable)): Codec<{ header: H; attrs: any }> {
  const get = typeof table === 'function' ? table : () => table;
  return {
    name: 'headerThenAttrs',
    decode(b, off, len, depth) {
      if (len < header.size) return RAW;
      return { header: header.read(b, off), attrs: decodeAttrs(get(), b, off + align4(header.size), off + len, depth) };
    },
    encode(w, v) {
      header.write(w, v.header);
      w.pad4();
      encodeAttrs(w, get(), v.attrs ?? {});
    },
  };
}

/** An integer codec (u8, u16, u32...) whose numbers have names; unknown numbers stay numbers. */
export function enumOf<const N extends Record<number, string>>(base: Codec<number>, name: string, names: N): Codec<N[keyof N] | number> {
  const byName = new Map<string, number>(Object.entries(names).map(([k, v]) => [v as string, Number(k)]));
  const max = base.input?.type === 'int' ? base.input.max : 0xffffffff;
  return {
    name,
    input: { type: 'enum', names: Object.values(names), max },
    decode(b, off, len, depth, parent) {
      const n = base.decode(b, off, len, depth, parent);
      return n === RAW ? RAW : (((names as Record<number, N[keyof N]>)[n]) ?? n);
    },
    encode(w, v, parent) {
      const n = typeof v === 'number' ? v : byName.get(v as string);
      if (n === undefined) throw new EncodeError(`${name}: unknown value ${JSON.stringify(v)}`);
      base.encode(w, n, parent);
    },
  };
}

/** A u32 enum (see enumOf). */
export const u32Enum = <const N extends Record<number, string>>(name: string, names: N): Codec<N[keyof N] | number> => enumOf(u32, name, names);
/** A u16 enum (see enumOf). */
export const u16Enum = <const N extends Record<number, string>>(name: string, names: N): Codec<N[keyof N] | number> => enumOf(u16, name, names);

/**
 * One attribute sent in either of two forms (IFLA_VXLAN_TTL_INHERIT: a flag
 * in requests, a u8 in replies): decodes with the first codec that takes the
 * bytes, encodes with the one `pick` names for the value.
 */
export function oneOf<A, B>(name: string, a: Codec<A>, b: Codec<B>, pick: (v: A | B) => 0 | 1): Codec<A | B> {
  return {
    name,
    decode(bytes, off, len, depth, parent) {
      const v = a.decode(bytes, off, len, depth, parent);
      return v !== RAW ? v : b.decode(bytes, off, len, depth, parent);
    },
    encode: (w, v, parent) => (pick(v) === 0 ? a.encode(w, v as A, parent) : b.encode(w, v as B, parent)),
  };
}
