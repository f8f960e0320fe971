// Errno names and texts, checked against two independent sources: Node's
// os.constants.errno (the platform's headers) for names and numbers, and
// glibc's strerror (through perl, which Debian always has) for texts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { errnoName, errnoNumber, errnoText } from '../../src/netlink/errno.js';

describe('errno table', () => {
  it('agrees with the platform headers on every name Node knows', () => {
    const known = Object.entries(constants.errno);
    assert.ok(known.length > 70);
    for (const [name, n] of known) {
      assert.equal(errnoNumber(name), n, name);
      // Aliases (EWOULDBLOCK = EAGAIN, ...) map back to the first name.
      assert.equal(errnoNumber(errnoName(n)), n, name);
    }
  });

  it("has glibc's text for every number 1..133", () => {
    const perl = spawnSync('perl', ['-e', 'print join("\\n", map { $! = $_; "$!" } 1..133)'], { encoding: 'utf8' });
    assert.equal(perl.status, 0, perl.stderr);
    const texts = perl.stdout.split('\n');
    assert.equal(texts.length, 133);
    texts.forEach((text, i) => {
      // glibc has no errno 41 or 58: it prints "Unknown error N", as we do.
      assert.equal(errnoText(i + 1), text, `errno ${i + 1}`);
    });
  });

  it('accepts negative numbers and names the unknown', () => {
    assert.equal(errnoName(-17), 'EEXIST');
    assert.equal(errnoText(-19), 'No such device');
    assert.equal(errnoName(999), 'E999');
    assert.equal(errnoText(999), 'Unknown error 999');
    assert.equal(errnoNumber('ENOTSUPP'), 524);
    assert.equal(errnoNumber('NOT_AN_ERRNO'), undefined);
  });
});
