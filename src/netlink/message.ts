// Netlink messages: the 16-byte nlmsghdr, several messages per buffer,
// NLMSG_ERROR (with the echoed request and extended ACK) and NLMSG_DONE.
// Protocol families (rtnetlink) register a fixed header and an attribute
// table per message type; anything unregistered decodes to raw payload.
//
// The types follow the registrations: a Protocol<M> carries the messages its
// layouts decode to (M, a union discriminated by `type`), so decoding with
// RTNETLINK yields RtnlMessage and a guard (isLayout, isError, isDone; isLink
// and friends for rtnetlink) narrows one to its typed header and attributes.

import { Writer, align4, u16At, u32At, s32At } from './bytes.js';
import { DecodeError, EncodeError } from './errors.js';
import {
  attrs, decodeAttrs, encodeAttrs, cstring, u32, binary, nested, type AttrTable, type AttrsOf, type AttrValues, type Spec, type StructCodec,
} from './attr.js';

export const NLMSG_HDRLEN = 16;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
// GET requests
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// NEW requests
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
// ACK messages
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** Extended ACK attributes (NLMSGERR_ATTR_*), sent with NLM_F_ACK_TLVS. */
export const NLMSGERR = attrs('NLMSGERR', {
  msg: [1, cstring],
  offset: [2, u32],
  cookie: [3, binary],
  /** The policy the attribute failed (NL_POLICY_TYPE_ATTR_*, kept as `#N`); the kernel flags the nest NLA_F_NESTED. */
  policy: [4, nested(() => POLICY_RAW, { flag: true })],
  missType: [5, u32],
  missNest: [6, u32],
});
const POLICY_RAW = attrs('NL_POLICY_TYPE_ATTR', {});
export type ExtAck = AttrsOf<typeof NLMSGERR>;

export interface Header {
  type: number;
  flags: number;
  seq: number;
  port: number;
}

/**
 * A message of a registered layout: fixed header `H` plus attributes `A`;
 * `T` is the message types the layout is registered for (its `type`).
 */
export interface LayoutMessage<H = unknown, A = unknown, T extends number = number> extends Header {
  type: T;
  header: H;
  attrs: A;
}

/** NLMSG_ERROR: error 0 is an ACK; otherwise a negative errno. */
export interface ErrorMessage extends Header {
  type: typeof NLMSG_ERROR;
  error: number;
  /** The echoed request: its header, and its payload unless the kernel capped it (NLM_F_CAPPED). */
  request: Header & { len: number; payload?: Uint8Array };
  extack?: ExtAck;
}

/** NLMSG_DONE ends a dump; it carries the dump's error code (and extended ACK, if any). */
export interface DoneMessage extends Header {
  type: typeof NLMSG_DONE;
  error: number;
  extack?: ExtAck;
}

/**
 * Any message whose type has no registered layout, or whose body does not
 * hold its layout's header (so a RawMessage may carry any `type`).
 */
export interface RawMessage extends Header {
  payload: Uint8Array;
  /** Never set: lets `m.header !== undefined` tell a layout message from a raw one. */
  header?: undefined;
  /** Never set (see `header`). */
  attrs?: undefined;
}

/**
 * What decoding with a Protocol<M> yields: its layouts' messages M, errors
 * and acks, the end of a dump, and raw messages (types it has no layout for).
 */
export type DecodedMessage<M extends LayoutMessage = LayoutMessage> = M | ErrorMessage | DoneMessage | RawMessage;

/** Any decoded message, of any protocol. */
export type Message = DecodedMessage<LayoutMessage>;

/** How the payload of some message types is laid out: a fixed header, then attributes of one table. */
export interface Layout<H = unknown, S extends Record<string, Spec> = Record<string, Spec>> {
  name: string;
  header: StructCodec<H>;
  table: AttrTable<S>;
}

/** A fresh protocol (M still the default, any layout message) has registered nothing yet. */
type Registered<M extends LayoutMessage> = LayoutMessage extends M ? never : M;

/**
 * Message types of one netlink protocol and how their payloads are laid out.
 * `M` is the union of the messages its layouts decode to: each `register`
 * adds one, so a chain of them types a protocol completely:
 *
 *   const P = new Protocol('rtnetlink').register([RTM_NEWLINK], { name: 'link', header: IFINFOMSG, table: IFLA });
 *   // P: Protocol<LayoutMessage<IfInfoMsg, LinkAttrs, 16>>
 *
 * The bare type `Protocol` is any protocol.
 */
export class Protocol<M extends LayoutMessage = LayoutMessage> {
  readonly layouts = new Map<number, Layout>();
  /** Type only, never set at run time: the messages this protocol's layouts decode to. */
  declare readonly '~messages'?: M;
  constructor(readonly name: string) {}
  /** Lay out `types` with `layout`; returns this protocol, typed with the new messages too. */
  register<const T extends number, H, S extends Record<string, Spec>>(
    types: readonly T[], layout: Layout<H, S>,
  ): Protocol<Registered<M> | LayoutMessage<H, AttrValues<S>, T>> {
    for (const t of types) this.layouts.set(t, layout);
    return this as unknown as Protocol<Registered<M> | LayoutMessage<H, AttrValues<S>, T>>;
  }
}

/** The layout messages of a protocol: `LayoutsOf<typeof RTNETLINK>` is RtnlLayoutMessage. */
export type LayoutsOf<P> = P extends Protocol<infer M> ? M : never;

/** A protocol with no layouts: everything but errors and dump ends decodes raw. */
export const RAW_PROTOCOL = new Protocol<never>('raw');

/** An NLMSG_ERROR message (an ACK when `error` is 0). */
export const isError = (m: Message): m is ErrorMessage => m.type === NLMSG_ERROR && 'error' in m;
/** An NLMSG_DONE message that ends a dump. */
export const isDone = (m: Message): m is DoneMessage => m.type === NLMSG_DONE && 'error' in m;

/** The messages of a union M that a layout registered for type T decodes to. */
export type LayoutOfType<M, T extends number> = M extends LayoutMessage ? (T extends M['type'] ? M : never) : never;

/**
 * A message of type `type` decoded with its layout (not raw): narrows a
 * decoded union to that layout's message, e.g. isLayout(m, RTM_NEWLINK) to
 * LinkMessage, with its typed header and attributes.
 */
export function isLayout<M extends Message, T extends number>(m: M, type: T): m is LayoutOfType<M, T> {
  return m.type === type && 'header' in m && m.header !== undefined;
}

function protocolMissing(fn: string): string {
  return `${fn}: no protocol given: pass the one whose layouts the messages use (RTNETLINK for rtnetlink), or RAW_PROTOCOL to keep payloads raw`;
}

/** Decode every message in b[off, end) with a protocol's layouts. */
export function decodeMessages<M extends LayoutMessage>(b: Uint8Array, protocol: Protocol<M>, off = 0, end = b.length): DecodedMessage<M>[] {
  const out: DecodedMessage<M>[] = [];
  forEachMessage(b, protocol, (m) => { out.push(m); }, off, end);
  return out;
}

/** Decode messages one at a time (no intermediate array), for big dumps. */
export function forEachMessage<M extends LayoutMessage>(
  b: Uint8Array, protocol: Protocol<M>, visit: (m: DecodedMessage<M>) => void, off = 0, end = b.length,
): void {
  if (protocol?.layouts === undefined) throw new DecodeError(protocolMissing('decodeMessages'), off);
  while (off < end) {
    // iproute2 sends its whole request buffer; the zeros past the last
    // message are not a message, and the kernel ignores them too.
    if (b[off] === 0 && allZero(b, off, end)) return;
    const len = messageLength(b, off, end);
    visit(decodeOne(b, off, len, protocol) as DecodedMessage<M>);
    off += align4(len);
  }
}

function allZero(b: Uint8Array, off: number, end: number): boolean {
  for (let i = off; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/** Validate and return the length of the message at off. */
export function messageLength(b: Uint8Array, off: number, end: number): number {
  if (end - off < NLMSG_HDRLEN) throw new DecodeError(`truncated netlink header: ${end - off} bytes left, need ${NLMSG_HDRLEN}`, off);
  const len = u32At(b, off);
  if (len < NLMSG_HDRLEN) throw new DecodeError(`netlink message length ${len} is below the header size`, off);
  if (len > end - off) throw new DecodeError(`netlink message length ${len} runs past the end (${end - off} bytes left)`, off);
  return len;
}

function decodeOne(b: Uint8Array, off: number, len: number, protocol: Protocol): Message {
  const type = u16At(b, off + 4);
  const flags = u16At(b, off + 6);
  const seq = u32At(b, off + 8);
  const port = u32At(b, off + 12);
  const body = off + NLMSG_HDRLEN;
  const end = off + len;
  if (type === NLMSG_ERROR) return decodeError(b, body, end, type, flags, seq, port);
  if (type === NLMSG_DONE && end - body >= 4) {
    const m: DoneMessage = { type: type as typeof NLMSG_DONE, flags, seq, port, error: s32At(b, body) };
    if (flags & NLM_F_ACK_TLVS) m.extack = decodeAttrs(NLMSGERR, b, body + 4, end);
    else if (end - body > 4) return { type, flags, seq, port, payload: b.subarray(body, end) };
    return m;
  }
  const layout = protocol.layouts.get(type);
  if (layout === undefined || end - body < layout.header.size) {
    return { type, flags, seq, port, payload: b.subarray(body, end) };
  }
  const header = layout.header.read(b, body);
  const attrs = decodeAttrs(layout.table, b, body + align4(layout.header.size), end);
  return { type, flags, seq, port, header, attrs };
}

function decodeError(b: Uint8Array, body: number, end: number, type: number, flags: number, seq: number, port: number): Message {
  if (end - body < 4 + NLMSG_HDRLEN) return { type, flags, seq, port, payload: b.subarray(body, end) };
  const error = s32At(b, body);
  const r = body + 4;
  const reqLen = u32At(b, r);
  const request: ErrorMessage['request'] = { len: reqLen, type: u16At(b, r + 4), flags: u16At(b, r + 6), seq: u32At(b, r + 8), port: u32At(b, r + 12) };
  // Without NLM_F_CAPPED the whole request is echoed; an ACK (error 0) echoes only the header.
  let after = r + NLMSG_HDRLEN;
  if (error !== 0 && !(flags & NLM_F_CAPPED)) {
    if (reqLen < NLMSG_HDRLEN || reqLen > end - r) throw new DecodeError(`echoed request length ${reqLen} does not fit the error message`, r);
    request.payload = b.subarray(r + NLMSG_HDRLEN, r + reqLen);
    after = r + align4(reqLen);
  }
  const m: ErrorMessage = { type: type as typeof NLMSG_ERROR, flags, seq, port, error, request };
  if (flags & NLM_F_ACK_TLVS) m.extack = decodeAttrs(NLMSGERR, b, after, end);
  else if (after < end) return { type, flags, seq, port, payload: b.subarray(body, end) };
  return m;
}

// ---------------------------------------------------------------- encoding

/** Write one message; returns nothing, the writer holds the bytes. `protocol` lays out messages with a header and attributes. */
export function encodeMessage(w: Writer, m: Message, protocol: Protocol): void {
  if (protocol?.layouts === undefined) throw new EncodeError(protocolMissing('encodeMessage'));
  const start = w.pos;
  w.reserve(NLMSG_HDRLEN);
  w.pos += NLMSG_HDRLEN;
  if ('payload' in m) {
    w.bytes(m.payload);
  } else if (m.type === NLMSG_ERROR && 'request' in m) {
    w.s32(m.error);
    const r = m.request;
    w.u32(r.len); w.u16(r.type); w.u16(r.flags); w.u32(r.seq); w.u32(r.port);
    if (r.payload) { w.bytes(r.payload); w.pad4(); }
    if (m.extack) encodeAttrs(w, NLMSGERR, m.extack);
  } else if (m.type === NLMSG_DONE && 'error' in m) {
    w.s32(m.error);
    if (m.extack) encodeAttrs(w, NLMSGERR, m.extack);
  } else if ('header' in m) {
    const layout = protocol.layouts.get(m.type);
    if (!layout) throw new EncodeError(`${protocol.name}: no layout for message type ${m.type}`);
    layout.header.write(w, m.header as Partial<unknown>);
    w.pad4();
    encodeAttrs(w, layout.table, (m.attrs ?? {}) as AttrsOf<AttrTable>);
  } else {
    throw new EncodeError(`message of type ${m.type} has neither payload nor header`);
  }
  const len = w.pos - start;
  w.patchU32(start, len);
  w.patchU16(start + 4, m.type);
  w.patchU16(start + 6, m.flags);
  w.patchU32(start + 8, m.seq >>> 0);
  w.patchU32(start + 12, m.port >>> 0);
}

/** Encode messages into one buffer (a batch, or the parts of a dump) with a protocol's layouts. */
export function encodeMessages(messages: readonly Message[], protocol: Protocol, w = new Writer()): Uint8Array {
  if (protocol?.layouts === undefined) throw new EncodeError(protocolMissing('encodeMessages'));
  messages.forEach((m, i) => {
    if (i > 0) w.pad4(); // each message starts aligned; the last one carries no trailing padding
    encodeMessage(w, m, protocol);
  });
  return w.take();
}
