// The command-line syntaxes: the 2017 tool's colon form and koko's comma form.
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { check, endSpec, ValidationError } from '../../src/rules/index.js';

const connect = (argv: string[]) => {
  const c = parseArgs(argv);
  assert.equal(c.action, 'connect');
  return c as Extract<typeof c, { action: 'connect' }>;
};

describe('CLI arguments', () => {
  it("accepts the seed's line verbatim", () => {
    const c = connect(['-d', 'centos1:nic1:10.10.1.2/24', '-d', 'centos2:nic2:10.10.1.3/24']);
    assert.deepEqual(c.ends[0], { ns: { type: 'docker', container: 'centos1' }, ifname: 'nic1', addresses: ['10.10.1.2/24'] });
    assert.deepEqual(c.ends[1].ns, { type: 'docker', container: 'centos2' });
    assert.equal(c.ends[1].ifname, 'nic2');
  });

  it('takes container:link without an address, and named netns in any pairing', () => {
    const c = connect(['-d', 'c1:eth1', '-n', 'blue:veth0:10.0.0.2/24']);
    assert.deepEqual(c.ends[0].addresses, []);
    assert.deepEqual(c.ends[1].ns, { type: 'netns', name: 'blue' });
  });

  it('takes an IPv6 CIDR after the second colon', () => {
    assert.deepEqual(connect(['-n', 'a:x:2001:db8::1/64', '-n', 'b:y']).ends[0].addresses, ['2001:db8::1/64']);
  });

  it("takes koko's comma form with several addresses, mtu= and mac=", () => {
    const c = connect(['-d', 'c1,link1,192.168.1.1/24,2001:db8::1/64,mtu=9000,mac=02:00:00:00:00:01', '-p', '1234,link2', '--json']);
    assert.deepEqual(c.ends[0].addresses, ['192.168.1.1/24', '2001:db8::1/64']);
    assert.equal(c.ends[0].mtu, 9000);
    assert.equal(c.ends[0].mac, '02:00:00:00:00:01');
    assert.deepEqual(c.ends[1].ns, { type: 'pid', pid: 1234 });
    assert.equal(c.json, true);
  });

  it('takes -a path and -c current, and --mtu/--mac after an end', () => {
    const c = connect(['-a', '/run/netns/x,l1,10.0.0.1/30', '-c', 'l2,10.0.0.2/30', '--mtu', '1400', '--mac', '02:00:00:00:00:02', '--dry-run']);
    assert.deepEqual(c.ends[0].ns, { type: 'path', path: '/run/netns/x' });
    assert.deepEqual(c.ends[1], { ns: { type: 'current' }, ifname: 'l2', addresses: ['10.0.0.2/30'], mtu: 1400, mac: '02:00:00:00:00:02' });
    assert.equal(c.dryRun, true);
  });

  it('parses gc with --dry-run and --json, and nothing else', () => {
    assert.deepEqual(parseArgs(['gc']), { action: 'gc', json: false, dryRun: false });
    assert.deepEqual(parseArgs(['gc', '--dry-run', '--json']), { action: 'gc', json: true, dryRun: true });
    assert.deepEqual(parseArgs(['gc', '--help']), { action: 'help' });
    assert.throws(() => parseArgs(['gc', '-n', 'a,x']), (e: unknown) => e instanceof UsageError && /gc takes only --dry-run and --json/.test(e.message));
  });

  it('parses deletions', () => {
    assert.deepEqual(parseArgs(['-D', 'c1,link1', '-N', 'red,veth0', '-P', '42,l']), {
      action: 'delete', json: false, dryRun: false,
      ends: [
        { ns: { type: 'docker', container: 'c1' }, ifname: 'link1' },
        { ns: { type: 'netns', name: 'red' }, ifname: 'veth0' },
        { ns: { type: 'pid', pid: 42 }, ifname: 'l' },
      ],
    });
  });

  it('gives help and version (no arguments is a usage error: see trust-input.test.ts)', () => {
    assert.deepEqual(parseArgs(['-h']), { action: 'help' });
    assert.deepEqual(parseArgs(['--version']), { action: 'version' });
  });

  const bad: [string[], RegExp][] = [
    [['-d', 'c1:nic1'], /exactly two/],
    [['-d', 'c1:nic1', '-d', 'c2:nic2', '-d', 'c3:nic3'], /exactly two/],
    [['-d'], /needs a value/],
    [['-z', 'foo'], /unknown option -z/],
    [['-d', 'c1', '-d', 'c2:n'], /expected CONTAINER:LINK/],
    [['-d', ':nic1', '-d', 'c2:n'], /container is missing/],
    [['-d', 'c1:', '-d', 'c2:n'], /link name is missing/],
    [['-n', 'a,x,mtu=abc', '-n', 'b,y'], /not a number/],
    [['-p', 'abc:x', '-n', 'b:y'], /not a number/],
    [['--mtu', '1500', '-n', 'a:x', '-n', 'b:y'], /applies to the end/],
    [['-D', 'c1'], /expected -D TARGET,LINK/],
    [['-D', 'c1,l', '-n', 'a:x', '-n', 'b:y'], /not both/],
    [['stray'], /unexpected argument/],
    [['-n', 'a:x,mtu=1400', '-n', 'b:y'], /-n a:x,mtu=1400: the colon form and the comma form do not mix/],
    [['-d', 'c1:x,10.0.0.1/24', '-n', 'b:y'], /do not mix/],
    [['-p', '123:x,mtu=1400', '-n', 'b:y'], /do not mix/],
    [['-c', 'host0:10.1.1.1/24', '-n', 'b:y'], /-c takes LINK\[,CIDR\.\.\.\]; did you mean -c host0,10\.1\.1\.1\/24\?/],
  ];
  for (const [argv, why] of bad) {
    it(`rejects ${argv.join(' ')}`, () => {
      assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && why.test(e.message));
    });
  }

  // Parsing only splits the words; the ends are checked once, by the rules that
  // connect() and its dry run (planConnect) apply: a ValidationError, exit 2.
  const invalid: [string[], RegExp][] = [
    [['-n', 'a:waytoolonginterface', '-n', 'b:x'], /15/],
    [['-n', 'a:bad/name', '-n', 'b:x'], /must not contain/],
    [['-n', 'a:x:10.0.0.1', '-n', 'b:y'], /prefix length/],
    [['-n', 'a:x:10.0.0.1/33', '-n', 'b:y'], /outside 0\.\.32/],
    [['-n', 'a:x:300.0.0.1/24', '-n', 'b:y'], /not a valid IPv4/],
    [['-n', 'a,x,mtu=20', '-n', 'b,y'], /at least 68/],
    [['-n', 'a,x,mac=zz', '-n', 'b,y'], /MAC/],
    [['-n', 'a,x,mac=01:00:00:00:00:01', '-n', 'b,y'], /multicast/],
    [['-d', 'bad name!:x', '-n', 'b:y'], /container name/],
  ];
  for (const [argv, why] of invalid) {
    it(`parses ${argv.join(' ')}, and the rules refuse it`, () => {
      const c = connect(argv);
      assert.throws(() => c.ends.forEach((end, i) => check(endSpec, end, `end ${i + 1}`)), (e: unknown) => e instanceof ValidationError && why.test(e.message));
    });
  }
});

describe('CLI arguments: ends of another kind (-x, -M, -V, as koko)', () => {
  const attach = (argv: string[]) => {
    const c = parseArgs(argv);
    assert.equal(c.action, 'attach', JSON.stringify(c));
    return c as Extract<typeof c, { action: 'attach' }>;
  };

  it('-x PARENT,REMOTE,VNI[,PORT] after the first end: a vxlan made as that end', () => {
    const c = attach(['-d', 'c1:vx0:10.0.0.1/24', '-x', 'eth0,192.0.2.2,42']);
    assert.deepEqual(c.end, { ns: { type: 'docker', container: 'c1' }, ifname: 'vx0', addresses: ['10.0.0.1/24'] });
    assert.deepEqual(c.link, { kind: 'vxlan', parent: 'eth0', remote: '192.0.2.2', id: 42 });
    assert.deepEqual(attach(['-n', 'red,vx1', '-x', 'eth0,192.0.2.2,42,4790', '--json']).link, { kind: 'vxlan', parent: 'eth0', remote: '192.0.2.2', id: 42, port: 4790 });
    // koko's first syntax, colons, and the value glued to the flag.
    assert.deepEqual(attach(['-n', 'red:vx1', '-xeth1:10.1.1.1:1']).link, { kind: 'vxlan', parent: 'eth1', remote: '10.1.1.1', id: 1 });
  });

  it('-M PARENT[,MODE] and -V PARENT,VID, after any kind of first end', () => {
    assert.deepEqual(attach(['-p', '4242,mv0', '-M', 'eth0']).link, { kind: 'macvlan', parent: 'eth0' });
    assert.deepEqual(attach(['-a', '/run/netns/x,mv0', '-M', 'eth0,vepa']).link, { kind: 'macvlan', parent: 'eth0', mode: 'vepa' });
    const v = attach(['-c', 'vl0,10.1.0.1/24', '-V', 'eth0,10', '--dry-run']);
    assert.deepEqual(v.link, { kind: 'vlan', parent: 'eth0', id: 10 });
    assert.equal(v.dryRun, true);
  });

  it('mtu= and mac= items (on either end) and --mtu/--mac after the kind end set the made link', () => {
    const c = attach(['-n', 'red,vx0,10.0.0.1/24', '-x', 'eth0,192.0.2.2,42,mtu=1400,mac=02:00:00:00:00:09']);
    assert.equal(c.end.mtu, 1400);
    assert.equal(c.end.mac, '02:00:00:00:00:09');
    assert.equal(attach(['-n', 'red,mv0,mtu=1400', '-M', 'eth0']).end.mtu, 1400);
    assert.equal(attach(['-n', 'red,mv0', '-M', 'eth0', '--mtu', '1300']).end.mtu, 1300);
    assert.throws(() => parseArgs(['-n', 'red,mv0,mtu=1400', '-M', 'eth0,mtu=1300']), (e: unknown) => e instanceof UsageError && /mtu given twice for mv0/.test(e.message));
  });

  it('-V alone prints the version (as --version does); -V with a value is a vlan end', () => {
    assert.deepEqual(parseArgs(['-V']), { action: 'version' });
    assert.deepEqual(parseArgs(['--version']), { action: 'version' });
    assert.equal(parseArgs(['-n', 'red,vl0', '-V', 'eth0,5']).action, 'attach');
    assert.throws(() => parseArgs(['-V', '--json']), (e: unknown) => e instanceof UsageError && /-V needs a value: -V PARENT,VID \(for the version: --version, or -V alone\)/.test(e.message));
  });

  const bad: [string[], RegExp][] = [
    [['-x', 'eth0,192.0.2.2,42'], /-x makes the second end: give the first end/],
    [['-n', 'a,x', '-n', 'b,y', '-x', 'eth0,192.0.2.2,42'], /give the first end .* and only one \(got 2\)/],
    [['-n', 'a,x', '-x', 'eth0,192.0.2.2,42', '-n', 'b,y'], /-x is the second end: give exactly one other end/],
    [['-n', 'a,x', '-x', 'eth0,192.0.2.2,42', '-M', 'eth0'], /not two \(-x and -M\)/],
    [['-n', 'a,x', '-x', 'eth0,192.0.2.2'], /the remote address and the VNI are needed/],
    [['-n', 'a,x', '-x', 'eth0,192.0.2.2,forty'], /the VNI "forty" is not a number/],
    [['-n', 'a,x', '-x', 'eth0,192.0.2.2,4,4789,9'], /too many fields/],
    [['-n', 'a,x', '-x', ',192.0.2.2,4'], /the parent device is missing/],
    [['-n', 'a,x', '-M', 'eth0,sideways'], /mode "sideways" is not one of private, vepa, bridge, passthru, source/],
    [['-n', 'a,x', '-V', 'eth0'], /the VLAN id is missing/],
    [['-n', 'a,x', '-x'], /-x needs a value: -x PARENT,REMOTE,VNI\[,PORT\]/],
    [['-N', 'a,x', '-M', 'eth0'], /-M makes the second end/],
  ];
  for (const [argv, re] of bad) {
    it(`refuses ${argv.join(' ')}`, () => {
      assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), `${argv.join(' ')} should fail with ${re}`);
    });
  }
});
