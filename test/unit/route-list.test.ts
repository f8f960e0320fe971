// RouteList (src/api/route-list.ts) keeps a route dump as its datagrams and
// makes each Route on demand: it must hold exactly the routes listRoutes()
// gives, in order, for the table asked for. Checked on every captured route
// datagram (fixtures and samples), fed through the builder as a dump would.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessages, messageLength, u16At } from '../../src/netlink/index.js';
import { readRoute } from '../../src/api/readers.js';
import { toRoute } from '../../src/api/convert.js';
import { SUMMARY } from '../../src/api/summary.js';
import { RouteListBuilder, routeTableOf } from '../../src/api/route-list.js';
import { loadFixtures, bytesOf, repoRoot } from '../support/fixtures.js';
import type { LayoutMessage } from '../../src/netlink/index.js';

const RTM_NEWROUTE = 24;

function datagrams(): Uint8Array[] {
  const out = loadFixtures().flatMap((f) => f.messages.map(bytesOf));
  const dir = join(repoRoot, 'test', 'unit', 'samples');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.startsWith('{')) out.push(new Uint8Array(Buffer.from(JSON.parse(line).hex, 'hex')));
    }
  }
  return out;
}

/** [datagram, offset, length] of every RTM_NEWROUTE message the captures hold. */
function routeMessages(): [Uint8Array, number, number][] {
  const out: [Uint8Array, number, number][] = [];
  for (const d of datagrams()) {
    for (let off = 0; off + 16 <= d.length;) {
      let len: number;
      try { len = messageLength(d, off, d.length); } catch { break; }
      if (u16At(d, off + 4) === RTM_NEWROUTE) out.push([d, off, len]);
      off += (len + 3) & ~3;
    }
  }
  return out;
}

const general = (b: Uint8Array, off: number, len: number) => toRoute(decodeMessages(b, SUMMARY, off, off + len)[0] as LayoutMessage);

describe('RouteList: a route dump kept as bytes', () => {
  const messages = routeMessages();

  it('has captured route messages to check', () => {
    assert.ok(messages.length >= 5, `only ${messages.length} route messages in the captures`);
  });

  it('reads each message\'s table as the general decoding does (RTA_TABLE, else rtm_table)', () => {
    for (const [b, off, len] of messages) assert.equal(routeTableOf(b, off, len), general(b, off, len).table);
  });

  it('holds every route of the table asked for, in order, the same as listRoutes() makes them', () => {
    const readable = messages.filter(([b, off, len]) => { try { readRoute(b, off, len); return true; } catch { return false; } });
    for (const table of [undefined, 254, 255]) {
      const builder = new RouteListBuilder(table);
      for (const [b, off, len] of readable) builder.add(b, off, len);
      const list = builder.done();
      const expected = readable.map(([b, off, len]) => general(b, off, len)).filter((r) => table === undefined || r.table === table);
      assert.equal(list.length, expected.length, `table ${table}`);
      assert.deepEqual(list.toArray(), expected);
      assert.deepEqual([...list], expected);
      assert.deepEqual(list.at(0), expected[0]);
      assert.equal(list.at(list.length), undefined);
      assert.equal(list.at(-1), undefined);
    }
  });

  it('grows past its first 1,024 routes', () => {
    const [b, off, len] = messages[0];
    const builder = new RouteListBuilder(undefined);
    for (let i = 0; i < 3000; i++) builder.add(b, off, len);
    const list = builder.done();
    assert.equal(list.length, 3000);
    assert.deepEqual(list.at(2999), general(b, off, len));
  });
});
