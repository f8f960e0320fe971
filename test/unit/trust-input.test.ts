// Input the kernel (or iproute2) would read differently from what we report,
// or would refuse late: each is refused by the rules, before any change, with
// a message naming the field and the rule. And what the kernel accepts that
// we used to refuse is accepted.
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { parseIPv6 } from '../../src/netlink/bytes.js';
import { resolveNetns, NetnsError } from '../../src/ns/handle.js';
import { check, endSpec, ifname, ValidationError, type EndInput } from '../../src/rules/index.js';

/** A netns end named `name` with these addresses (and MTU / MAC). */
const end = (name: string, addresses: string[] = [], more: Partial<EndInput> = {}): EndInput =>
  ({ ns: { type: 'netns', name: 'a' }, ifname: name, addresses, ...more });

/** check(endSpec) refuses `e` with a ValidationError whose message matches every pattern. */
function refuses(e: EndInput, ...why: RegExp[]): void {
  assert.throws(() => check(endSpec, e, 'end 1'), (err: unknown) => {
    assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
    for (const w of why) assert.match(err.message, w);
    return true;
  });
}

const accepts = (e: EndInput): void => { check(endSpec, e, 'end 1'); };

describe('trust: input the kernel would reinterpret is refused before any change', () => {
  describe('interface names', () => {
    it("refuses '%' in a name: the kernel reads ve%d as a template and makes ve0", () => {
      for (const name of ['ve%d', 'vf%d', 'x%s', '%', 'a%']) refuses(end(name), /end 1 ifname: interface name "[^"]*%[^"]*"/, /'%'/);
    });

    it("refuses the names 'all' and 'default', reserved by /proc/sys/net/ipv{4,6}/conf", () => {
      for (const name of ['all', 'default']) refuses(end(name), new RegExp(`interface name "${name}"`), /reserved/, /\/proc\/sys\/net/);
      accepts(end('all0'));
      accepts(end('Default'));
    });

    it('accepts a name with U+2003 (EM SPACE): the kernel refuses only ASCII white space', () => {
      accepts(end('a\u2003b'));
      accepts(end('\u2003'));
      for (const ws of [' ', '\t', '\n', '\v', '\f', '\r']) refuses(end(`a${ws}b`), /white space/);
    });

    it('refuses a NUL inside a name (the kernel would cut the name there)', () => {
      refuses(end('lo\0x'), /NUL/);
      refuses(end('\0'), /NUL/);
    });

    it('refuses a name whose UTF-8 holds the byte 0xA0, which the kernel counts as white space (U+00A0, à)', () => {
      refuses(end('a\u00a0b'), /0xA0/);
      refuses(end('à'), /0xA0/);
      accepts(end('é'));
    });

    it('refuses a name with a lone surrogate (it would reach the kernel as U+FFFD)', () => {
      refuses(end('a\ud800'), /Unicode/);
    });
  });

  describe('addresses, prefixes, MACs, MTUs', () => {
    it('refuses 0.0.0.0/24 and ::/64 as an address (the kernel takes 0.0.0.0 and adds nothing)', () => {
      refuses(end('x', ['0.0.0.0/24']), /address "0\.0\.0\.0\/24"/, /unspecified/);
      refuses(end('x', ['0.0.0.0/0']), /unspecified/);
      refuses(end('x', ['::/64']), /address "::\/64"/, /unspecified/);
    });

    it('refuses 1.2.3.4::/64 (an IPv4 part only as the last 32 bits, as in ::ffff:1.2.3.4)', () => {
      assert.equal(parseIPv6('1.2.3.4::'), undefined);
      assert.equal(parseIPv6('1.2.3.4::1'), undefined);
      assert.equal(parseIPv6('1:1.2.3.4::'), undefined);
      assert.deepEqual([...parseIPv6('::ffff:1.2.3.4')!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
      assert.deepEqual([...parseIPv6('1:2:3:4:5:6:1.2.3.4')!].slice(12), [1, 2, 3, 4]);
      refuses(end('x', ['1.2.3.4::/64']), /address "1\.2\.3\.4::\/64"/, /IPv6/);
    });

    it('refuses a prefix length with a leading zero (/08, /024: iproute2 reads /024 as octal 20)', () => {
      for (const c of ['10.0.0.1/08', '10.0.0.1/024', '10.0.0.1/00', '2001:db8::1/064']) refuses(end('x', [c]), /prefix length/, /leading zero/);
      accepts(end('x', ['10.0.0.1/0']));
      accepts(end('x', ['10.0.0.1/8']));
    });

    it('refuses the all-zero MAC 00:00:00:00:00:00', () => {
      refuses(end('x', [], { mac: '00:00:00:00:00:00' }), /MAC 00:00:00:00:00:00/, /all zeros/);
      accepts(end('x', [], { mac: '02:00:00:00:00:00' }));
    });

    it('refuses an MTU below 1280 on an end with an IPv6 address (IPv6 needs 1280)', () => {
      refuses(end('x', ['10.0.0.1/24', '2001:db8::1/64'], { mtu: 1279 }), /end 1 mtu/, /MTU 1279/, /1280/, /2001:db8::1\/64/);
      accepts(end('x', ['10.0.0.1/24'], { mtu: 1000 }));
      accepts(end('x', ['2001:db8::1/64'], { mtu: 1280 }));
    });
  });

  describe('messages quote a short excerpt, not the whole value', () => {
    it('a 10 MB name is quoted as its first 64 characters and its size', () => {
      const huge = 'x'.repeat(10_000_000);
      assert.throws(() => check(ifname, huge, 'link'), (e: unknown) => {
        assert.ok(e instanceof ValidationError);
        assert.ok(e.message.length < 300, `message of ${e.message.length} characters`);
        assert.ok(e.message.includes(`"${'x'.repeat(64)}"… (10000000 bytes)`), e.message);
        return true;
      });
    });

    it('a 10 MB address, MAC or namespace name too', () => {
      const huge = '1'.repeat(10_000_000);
      for (const e of [end('x', [huge]), end('x', [], { mac: huge }), { ...end('x'), ns: { type: 'netns' as const, name: `a/${huge}` } }]) {
        assert.throws(() => check(endSpec, e, 'end 1'), (err: unknown) => err instanceof ValidationError && err.message.length < 300 && err.message.includes('bytes)'));
      }
    });

    it('a 128 KiB command-line word is quoted short', () => {
      const huge = 'y'.repeat(128 * 1024);
      assert.throws(() => parseArgs(['-n', 'a,x', '-n', 'b,y', huge]), (e: unknown) => e instanceof UsageError && e.message.length < 300);
      assert.throws(() => parseArgs(['-p', `${huge},x`, '-n', 'b,y']), (e: unknown) => e instanceof UsageError && e.message.length < 300);
    });
  });

  describe('namespace files', () => {
    it('a namespace file that is not a network namespace (/proc/self/ns/mnt) is refused: ENOTNETNS', () => {
      for (const path of ['/proc/self/ns/mnt', '/proc/self/ns/uts']) {
        assert.throws(() => resolveNetns({ path }), (e: unknown) => {
          assert.ok(e instanceof NetnsError, String(e));
          assert.equal(e.code, 'ENOTNETNS');
          assert.match(e.message, /not a network namespace/);
          return true;
        }, path);
      }
      assert.equal(resolveNetns({ path: '/proc/self/ns/net' }).path, '/proc/self/ns/net');
    });
  });

  describe('the command line', () => {
    it('no arguments, or --json alone, is a usage error (exit 2), not help', () => {
      for (const argv of [[], ['--json'], ['--dry-run']]) {
        assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && /nothing to do/.test(e.message), argv.join(' '));
      }
      assert.deepEqual(parseArgs(['-h']), { action: 'help' });
      assert.deepEqual(parseArgs(['--json', '--help']), { action: 'help' });
    });
  });
});
