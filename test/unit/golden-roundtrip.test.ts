// Every datagram iproute2 sent and the kernel answered, in every fixture,
// decodes and encodes back to the very same bytes.

import assert from 'node:assert/strict';
import { decodeMessages, encodeMessages, RTNETLINK, type Message } from '../../src/netlink/index.js';
import { loadFixtures, bytesOf } from '../support/fixtures.js';

const RTM_FIRST = 16;
const RTM_LAST = 127;

describe('golden fixtures: decode then encode gives the same bytes', () => {
  const fixtures = loadFixtures();

  it('has at least 25 captured fixtures', () => {
    assert.ok(fixtures.length >= 25, `only ${fixtures.length} fixtures`);
  });

  for (const f of fixtures) {
    it(`${f.area}/${f.name}`, () => {
      for (const [i, m] of f.messages.entries()) {
        if (m.role === 'other') continue;
        const bytes = bytesOf(m);
        const messages = decodeMessages(bytes, RTNETLINK);
        assert.ok(messages.length > 0, `message ${i} decoded to nothing`);
        for (const msg of messages) assertKnownLayout(msg, `${f.name} message ${i}`);
        const again = encodeMessages(messages, RTNETLINK);
        // iproute2 sends its whole zeroed request buffer: bytes past the last message must be zeros.
        const tail = bytes.subarray(again.length);
        assert.ok(tail.every((x) => x === 0), `message ${i}: non-zero bytes after the last message`);
        assert.equal(Buffer.from(again).toString('hex'), Buffer.from(bytes.subarray(0, again.length)).toString('hex'), `message ${i} (${m.dir}) re-encoded differently`);
      }
    });
  }
});

/** rtnetlink messages must use a registered layout, not fall back to raw payload. */
function assertKnownLayout(m: Message, where: string): void {
  if (m.type >= RTM_FIRST && m.type <= RTM_LAST) {
    assert.ok(!('payload' in m), `${where}: RTM type ${m.type} decoded as raw payload (no layout registered)`);
  }
}
