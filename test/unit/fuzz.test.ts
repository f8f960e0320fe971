// 200,000 mutated and random buffers through the decoder, fixed seed:
// nothing but DecodeError may come out.
import assert from 'node:assert/strict';
import { fuzz } from '../fuzz/fuzz.js';

describe('decoder fuzz (fixed seed)', () => {
  it('200,000 mutated, truncated and random buffers raise only DecodeError', function () {
    this.timeout(120_000);
    const r = fuzz(20261127, 200_000);
    assert.equal(r.cases, 200_000);
    assert.deepEqual(r.failures, [], `non-DecodeError failures:\n${r.failures.map((f) => f.error).join('\n')}`);
    // Both outcomes must really happen, or the fuzzer is not exercising anything.
    assert.ok(r.decoded > 10_000 && r.rejected > 10_000, `decoded ${r.decoded}, rejected ${r.rejected}`);
  });
});
