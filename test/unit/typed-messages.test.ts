// The typed codec surface: decoding with a protocol yields the union of its
// layouts' messages (discriminated by `type`), guards narrow one to its typed
// header and attributes, and the protocol is required, at compile time and at
// run time. The type checks here are compile-time: `tsc -p .` fails if one
// does not hold (expectType demands the exact type).

import assert from 'node:assert/strict';
import {
  Protocol, RAW_PROTOCOL, RTNETLINK, IFINFOMSG, IFLA, IFA, NLMSG_ERROR, NLMSG_DONE,
  RTM_NEWLINK, RTM_DELLINK, RTM_NEWLINKPROP, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWNEIGH, RTM_GETNEIGHTBL, RTM_NEWNSID,
  decodeMessages, forEachMessage, encodeMessage, encodeMessages, requestBytes, decodeAttrs, encodeAttrs, nested, attrs, u32, cstring,
  isLayout, isError, isDone, isLink, isAddr, isRoute, isNeigh, isNeighTbl, isNsid,
  addLink, addAddress, addRoute, addNeighbour, setNsid, dumpLinks,
  Writer, DecodeError, EncodeError,
  type AttrsOf, type LayoutMessage, type DecodedMessage, type Message, type RawMessage, type ErrorMessage, type DoneMessage,
  type RtnlMessage, type RtnlLayoutMessage, type LayoutsOf, type LinkMessage, type AddrMessage, type RouteMessage,
  type NeighMessage, type NeighTblMessage, type NsidMessage, type IfInfoMsg, type LinkAttrs, type LinkInfoAttrs, type Request,
} from '../../src/netlink/index.js';

/** True only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only when `value`'s type is exactly T. */
const expectType = <T>() => <V>(value: V & (Equal<V, T> extends true ? unknown : never)): V => value;
const assertType = <T extends true>(): T | void => undefined;

/** A request's bytes as the kernel would get them, decoded again. */
const roundTrip = (req: Request): RtnlMessage[] => decodeMessages(requestBytes(req, RTNETLINK, 7, 0), RTNETLINK);

/** An nlmsghdr with `body` after it. */
function message(type: number, body: number[] = [], flags = 0): Uint8Array {
  const len = 16 + body.length;
  return new Uint8Array([len & 255, len >> 8, 0, 0, type & 255, type >> 8, flags & 255, flags >> 8, 1, 0, 0, 0, 0, 0, 0, 0, ...body]);
}

describe('typed messages', () => {
  it('decodeMessages with RTNETLINK returns RtnlMessage, a union discriminated by type', () => {
    const ms = roundTrip(addLink({ ifname: 'va0', kind: 'veth', peer: { ifname: 'vb0' } }));
    expectType<DecodedMessage<RtnlLayoutMessage>[]>()(decodeMessages(new Uint8Array(0), RTNETLINK));
    assertType<Equal<RtnlMessage, LinkMessage | AddrMessage | RouteMessage | NeighMessage | NeighTblMessage | NsidMessage | ErrorMessage | DoneMessage | RawMessage>>();
    assertType<Equal<LayoutsOf<typeof RTNETLINK>, RtnlLayoutMessage>>();
    assertType<Equal<LinkMessage['type'], 16 | 17 | 18 | 19 | 108 | 109>>();
    assertType<Equal<LinkMessage['header'], IfInfoMsg>>();
    assertType<Equal<LinkMessage['attrs'], AttrsOf<typeof IFLA>>>();
    assertType<Equal<AddrMessage['attrs'], AttrsOf<typeof IFA>>>();
    assertType<Equal<ErrorMessage['type'], typeof NLMSG_ERROR>>();
    assertType<Equal<DoneMessage['type'], typeof NLMSG_DONE>>();
    assert.equal(ms.length, 1);
    const [m] = ms;
    // Comparing `type` narrows to the layout's message, or a raw message of that type (a body too short for its header).
    if (m.type === RTM_NEWLINK) {
      expectType<LinkMessage | RawMessage>()(m);
      expectType<string | undefined>()(m.attrs?.ifname);
      if (m.header) expectType<LinkMessage>()(m);
    } else {
      assert.fail('not a link message');
    }
    assert.ok(isLink(m));
    expectType<LinkMessage>()(m);
    expectType<IfInfoMsg>()(m.header);
    expectType<LinkAttrs>()(m.attrs);
    expectType<LinkInfoAttrs | undefined>()(m.attrs.linkinfo);
    assert.equal(m.attrs.linkinfo?.kind, 'veth');
    assert.equal(m.attrs.ifname, 'va0');
  });

  it('each guard narrows to its message and recognises what the builders send', () => {
    const link = roundTrip(addLink({ ifname: 'a', kind: 'bridge' }))[0];
    const addr = roundTrip(addAddress({ index: 2, cidr: '10.0.0.1/24' }))[0];
    const route = roundTrip(addRoute({ dst: '10.1.0.0/16', gateway: '10.0.0.2' }))[0];
    const neigh = roundTrip(addNeighbour({ ifindex: 2, dst: '10.0.0.9', lladdr: '02:00:00:00:00:09' }))[0];
    const nsid = roundTrip(setNsid(5, 7))[0];
    const all = [link, addr, route, neigh, nsid];
    const guards = [isLink, isAddr, isRoute, isNeigh, isNsid];
    guards.forEach((g, i) => assert.deepEqual(all.map((m) => g(m)), all.map((_, j) => i === j), `guard ${i}`));

    if (isAddr(addr)) expectType<string | undefined>()(addr.attrs.local);
    if (isRoute(route)) expectType<number>()(route.header.dstLen);
    if (isNeigh(neigh)) expectType<number>()(neigh.header.ifindex);
    if (isNsid(nsid)) expectType<number | undefined>()(nsid.attrs.nsid);
    assert.ok(isNsid(nsid) && nsid.attrs.nsid === 7);
    // isNeighTbl: an RTM_GETNEIGHTBL request is a 4-byte ndtmsg and no attributes.
    const [tbl] = decodeMessages(message(RTM_GETNEIGHTBL, [2, 0, 0, 0]), RTNETLINK);
    assert.ok(isNeighTbl(tbl) && !isLink(tbl));
    expectType<NeighTblMessage>()(tbl);
  });

  it('isLayout(m, type) narrows to the message that type decodes to', () => {
    const [m] = roundTrip(addLink({ ifname: 'x', kind: 'bridge' }));
    assert.ok(isLayout(m, RTM_NEWLINK));
    expectType<LinkMessage>()(m);
    const [d] = decodeMessages(message(RTM_DELLINK, new Array(16).fill(0)), RTNETLINK);
    assert.ok(isLayout(d, RTM_DELLINK) && !isLayout(d, RTM_NEWLINK));
    const [prop] = decodeMessages(message(RTM_NEWLINKPROP, new Array(16).fill(0)), RTNETLINK);
    assert.ok(isLayout(prop, RTM_NEWLINKPROP) && isLink(prop));
    if (isLayout(m, RTM_NEWADDR)) expectType<AddrMessage>()(m);
    if (isLayout(m, RTM_NEWNEIGH)) expectType<NeighMessage>()(m);
    if (isLayout(m, RTM_NEWNSID)) expectType<NsidMessage>()(m);
    if (isLayout(m, RTM_NEWROUTE)) expectType<RouteMessage>()(m);
    // A wide Message narrows to a layout message of unknown shape.
    const wide: Message = m;
    if (isLayout(wide, RTM_NEWLINK)) expectType<LayoutMessage>()(wide);
  });

  it('guards do not take a raw message for a layout one, nor a short error or done for one', () => {
    // A type-16 message whose body is shorter than an ifinfomsg decodes raw.
    const [short] = decodeMessages(message(RTM_NEWLINK, [0, 0, 0, 0]), RTNETLINK);
    assert.ok('payload' in short);
    assert.equal(isLink(short), false);
    assert.equal(isLayout(short, RTM_NEWLINK), false);
    const [shortError] = decodeMessages(message(NLMSG_ERROR, [0, 0, 0, 0]), RTNETLINK);
    assert.equal(isError(shortError), false);
    const [ack] = decodeMessages(message(NLMSG_ERROR, [0, 0, 0, 0, ...message(RTM_NEWLINK)], 0x100), RTNETLINK);
    assert.ok(isError(ack) && ack.error === 0 && !isDone(ack));
    const [done] = decodeMessages(message(NLMSG_DONE, [0, 0, 0, 0], 0x2), RTNETLINK);
    assert.ok(isDone(done) && !isError(done));
    expectType<DoneMessage>()(done);
  });

  it('a Protocol chain accumulates its layouts in its type', () => {
    const LINKS = new Protocol('links only').register([RTM_NEWLINK, RTM_DELLINK], { name: 'link', header: IFINFOMSG, table: IFLA });
    expectType<Protocol<LayoutMessage<IfInfoMsg, LinkAttrs, 16 | 17>>>()(LINKS);
    const TWO = LINKS.register([RTM_NEWADDR], { name: 'addr', header: IFINFOMSG, table: IFA });
    expectType<Protocol<LayoutMessage<IfInfoMsg, LinkAttrs, 16 | 17> | LayoutMessage<IfInfoMsg, AttrsOf<typeof IFA>, 20>>>()(TWO);
    const [m] = decodeMessages(requestBytes(dumpLinks(), RTNETLINK), LINKS);
    expectType<DecodedMessage<LayoutMessage<IfInfoMsg, LinkAttrs, 16 | 17>>>()(m);
    assert.ok('payload' in m, 'RTM_GETLINK is not registered in LINKS: raw');
    const [n] = decodeMessages(requestBytes(addLink({ ifname: 'q', kind: 'bridge' }), RTNETLINK), LINKS);
    assert.ok(isLayout(n, RTM_NEWLINK) && n.attrs.ifname === 'q');
    // RAW_PROTOCOL decodes nothing but errors and dump ends.
    const raw = decodeMessages(requestBytes(addLink({ ifname: 'q', kind: 'bridge' }), RTNETLINK), RAW_PROTOCOL);
    expectType<(ErrorMessage | DoneMessage | RawMessage)[]>()(raw);
    assert.ok('payload' in raw[0]);
  });

  it('attribute helpers are typed by their table', () => {
    const T = attrs('T', { a: [1, u32], name: [2, cstring], inner: [3, nested(attrs('U', { b: [1, u32] }))] });
    const w = new Writer();
    encodeAttrs(w, T, { a: 1, name: 'x', inner: { b: 2 } });
    // @ts-expect-error a is a number
    assert.throws(() => encodeAttrs(new Writer(), T, { a: 'one' }));
    const bytes = w.take();
    const v = decodeAttrs(T, bytes, 0, bytes.length);
    expectType<number | undefined>()(v.a);
    expectType<number | undefined>()(v.inner?.b);
    assert.deepEqual({ a: v.a, name: v.name, b: v.inner?.b }, { a: 1, name: 'x', b: 2 });
  });
});

describe('the protocol is required', () => {
  const bytes = requestBytes(addLink({ ifname: 'a', kind: 'bridge' }), RTNETLINK);
  const missing = (e: unknown): boolean => !(e instanceof TypeError) && e instanceof Error && /no protocol given.*RTNETLINK.*RAW_PROTOCOL/.test(e.message);

  it('decodeMessages and forEachMessage: a compile error, and a DecodeError naming the fix', () => {
    // @ts-expect-error the protocol is required
    assert.throws(() => decodeMessages(bytes), (e) => missing(e) && e instanceof DecodeError);
    // @ts-expect-error the protocol is required
    assert.throws(() => forEachMessage(bytes, undefined, () => {}), (e) => missing(e) && e instanceof DecodeError);
    // Even a buffer of only an ack (which needs no layout) is refused without one.
    // @ts-expect-error not a protocol
    assert.throws(() => decodeMessages(message(NLMSG_ERROR, [0, 0, 0, 0, ...message(16)], 0x100), 'rtnetlink'), missing);
  });

  it('encodeMessage, encodeMessages and requestBytes: a compile error, and an EncodeError naming the fix', () => {
    const [m] = decodeMessages(bytes, RTNETLINK);
    // @ts-expect-error the protocol is required
    assert.throws(() => encodeMessages([m]), (e) => missing(e) && e instanceof EncodeError);
    // @ts-expect-error the protocol is required
    assert.throws(() => encodeMessages([]), (e) => missing(e) && e instanceof EncodeError);
    // @ts-expect-error the protocol is required
    assert.throws(() => encodeMessage(new Writer(), m), (e) => missing(e) && e instanceof EncodeError);
    // @ts-expect-error the protocol is required
    assert.throws(() => requestBytes(addLink({ ifname: 'a', kind: 'bridge' })), (e) => missing(e) && e instanceof EncodeError);
  });

  it('RAW_PROTOCOL still decodes every payload raw, and encodes raw messages back', () => {
    const raw = decodeMessages(bytes, RAW_PROTOCOL);
    assert.equal(Buffer.compare(encodeMessages(raw, RAW_PROTOCOL), bytes), 0);
  });
});
