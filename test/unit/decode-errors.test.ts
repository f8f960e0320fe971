// Malformed input: one DecodeError that says where and why, never a
// RangeError/TypeError, never an endless loop.
import assert from 'node:assert/strict';
import { decodeMessages, decodeAttrs, DecodeError, RTNETLINK, IFLA, attrs, nested, u32, MAX_NEST_DEPTH } from '../../src/netlink/index.js';

const hdr = (len: number, type = 16, extra: number[] = []) => {
  const b = new Uint8Array(Math.max(16, 16 + extra.length));
  new DataView(b.buffer).setUint32(0, len, true);
  new DataView(b.buffer).setUint16(4, type, true);
  b.set(extra, 16);
  return b;
};
const rejects = (bytes: Uint8Array, why: RegExp, at?: number) =>
  assert.throws(() => decodeMessages(bytes, RTNETLINK), (e: unknown) => e instanceof DecodeError && why.test(e.message) && (at === undefined || e.offset === at));

describe('decode errors', () => {
  it('message length 0 (with non-zero bytes after it)', () => rejects(hdr(0, 16), /length 0 is below the header size/, 0));
  it('message length below 16', () => rejects(hdr(15, 16), /length 15 is below/, 0));
  it('message length past the end', () => rejects(hdr(64, 16), /runs past the end \(16 bytes left\)/, 0));
  it('a truncated header', () => rejects(new Uint8Array([20, 0, 0, 0, 16, 0]), /truncated netlink header: 6 bytes/, 0));
  it('trailing zeros after the last message are padding, not a message', () => {
    const ok = new Uint8Array(40);
    ok.set(hdr(20, 3, [0, 0, 0, 0]));
    assert.equal(decodeMessages(ok, RTNETLINK).length, 1);
  });

  const ifinfo = new Array(16).fill(0);
  const link = (attrBytes: number[]) => hdr(16 + 16 + attrBytes.length, 16, [...ifinfo, ...attrBytes]);
  it('attribute length 0', () => rejects(link([0, 0, 3, 0]), /IFLA: attribute length 0 is below 4/, 32));
  it('attribute length 3', () => rejects(link([3, 0, 3, 0]), /attribute length 3 is below 4/, 32));
  it('attribute length past the end', () => rejects(link([200, 0, 3, 0]), /IFLA: attribute 3 length 200 runs past the end \(4 bytes left\)/, 32));
  it('a nested attribute whose inner length is wrong', () => rejects(link([12, 0, 18, 0, 0, 0, 1, 0, 9, 9, 9, 9]), /IFLA_LINKINFO: attribute length 0 is below 4/));

  it('nesting deeper than the limit', () => {
    const deep: any = attrs('DEEP', {});
    (deep.byType as any)[1] = { key: 'inner', type: 1, codec: nested(() => deep), multi: false, flags: 0 };
    deep.byKey.set('inner', deep.byType[1]);
    let payload = new Uint8Array([8, 0, 2, 0, 1, 0, 0, 0]);
    for (let i = 0; i < MAX_NEST_DEPTH + 2; i++) {
      const next = new Uint8Array(payload.length + 4);
      next.set([(payload.length + 4) & 255, (payload.length + 4) >> 8, 1, 0]);
      next.set(payload, 4);
      payload = next;
    }
    assert.throws(() => decodeAttrs(deep, payload, 0, payload.length), (e: unknown) => e instanceof DecodeError && /nested deeper than 16/.test(e.message));
  });

  it('values of the wrong size stay raw instead of failing (lossless)', () => {
    const m = decodeMessages(link([6, 0, 4, 0, 1, 2, 0, 0]), RTNETLINK)[0] as any; // IFLA_MTU with 2 bytes
    assert.deepEqual([...m.attrs['#4']], [1, 2]);
    assert.equal(m.attrs.mtu, undefined);
    void IFLA; void u32;
  });
});
