// What the command prints about a failure, and its exit status: control
// characters escaped (printable, jsonText), the need for root named however
// deep the EPERM is wrapped, exit 2 when nothing was changed, 1 after a
// change; --docker-timeout on the command line.

import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { reportFailure } from '../../src/cli/main.js';
import { jsonText, printable } from '../../src/cli/printable.js';
import { NetlinkError } from '../../src/netlink/kernel-error.js';
import { WiringError } from '../../src/wire/errors.js';
import { DockerError } from '../../src/docker/index.js';
import { NetnsError } from '../../src/ns/index.js';

/** Run reportFailure with stdout and stderr captured. */
function report(e: unknown, opts: { json?: boolean; changed?: boolean } = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const saved = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try {
    return { code: reportFailure(e, opts.json ?? false, undefined, opts.changed ?? false), out, err };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}

const NEEDS_ROOT = /^vethcon needs root \(CAP_SYS_ADMIN to enter namespaces, CAP_NET_ADMIN to change links\)\.$/m;
const EVIL = 'a\u001b[31mb\u0007c\r\nd\u007fe\u009b2Jf\u0085g\u0000h\tﬁ é 中';

describe('printable() and jsonText()', () => {
  it('printable escapes every C0 control, DEL and every C1 control, and nothing else', () => {
    assert.equal(printable(EVIL), 'a\\x1b[31mb\\x07c\\r\\nd\\x7fe\\x9b2Jf\\x85g\\x00h\\tﬁ é 中');
    for (let c = 0; c < 0x100; c++) {
      const s = printable(String.fromCharCode(c));
      const control = c < 0x20 || (c >= 0x7f && c < 0xa0);
      assert.equal(s.length > 1, control, `U+${c.toString(16)} -> ${JSON.stringify(s)}`);
      assert.doesNotMatch(s, /[\u0000-\u001f\u007f-\u009f]/);
    }
  });

  it('jsonText is JSON.stringify with DEL and the C1 controls escaped too: the same value', () => {
    const v = { message: EVIL, list: [EVIL] };
    const text = jsonText(v);
    assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f]/);
    assert.deepEqual(JSON.parse(text), v);
    assert.deepEqual(JSON.parse(jsonText(v, 2)), v);
    assert.equal(jsonText({ a: 'plain' }), JSON.stringify({ a: 'plain' }));
  });
});

describe('reportFailure: what is printed, and the exit status', () => {
  const eperm = () => new NetlinkError(1, 'create veth a in netns x <-> b in netns y in netns x');

  it('a WiringError whose cause is the kernel\'s EPERM, nothing created: the need for root named, exit 2', () => {
    const r = report(new WiringError(`cannot create veth a <-> b: ${eperm().message}`, eperm()));
    assert.equal(r.code, 2);
    assert.match(r.err, /^vethcon: cannot create veth/);
    assert.match(r.err, NEEDS_ROOT);
  });

  it('the same after a change (the pair was created, then removed again): the need for root named, exit 1', () => {
    const r = report(new WiringError('veth a <-> b: ...; the pair was removed again', eperm()), { changed: true });
    assert.equal(r.code, 1);
    assert.match(r.err, NEEDS_ROOT);
  });

  it('EPERM wrapped twice, or EACCES, is found too; a NetnsError from setns (errnoCode EPERM) exits 2', () => {
    const deep = new Error('outer', { cause: new WiringError('middle', eperm()) });
    assert.match(report(deep).err, NEEDS_ROOT);
    assert.equal(report(deep).code, 2);
    const eacces = new WiringError('x', new NetlinkError(13, 'op'));
    assert.match(report(eacces).err, NEEDS_ROOT);
    const setns = new NetnsError('ESYSCALL', 'netns a: setns: Operation not permitted (EPERM)', { errnoCode: 'EPERM' });
    const r = report(setns);
    assert.equal(r.code, 2);
    assert.match(r.err, NEEDS_ROOT);
  });

  it('a DeleteError (links already deleted) is after a change: exit 1 even for EPERM', () => {
    const e = Object.assign(new Error('delete link x: Operation not permitted (EPERM); already deleted: y in netns a', { cause: eperm() }), { name: 'DeleteError' });
    assert.equal(report(e).code, 1);
  });

  it('other failures while wiring stay exit 1, with no word about root', () => {
    const r = report(new WiringError('cannot create veth a <-> b: No space left on device (ENOSPC)', new NetlinkError(28, 'create')));
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.err, /needs root/);
  });

  it('a DockerError EACCES says which permission itself: exit 2, no root line', () => {
    const r = report(new DockerError('EACCES', 'c1', 'cannot look up container "c1": permission denied on /var/run/docker.sock: run as root or as a member of the docker group'));
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.err, /needs root/);
  });

  it('a DockerError ETIMEDOUT says how to wait longer', () => {
    const r = report(new DockerError('ETIMEDOUT', 'c1', 'cannot look up container "c1": the Docker engine at unix:///x did not answer within 10 s'));
    assert.equal(r.code, 2);
    assert.match(r.err, /--docker-timeout SECONDS/);
  });

  it('control characters in a message are escaped on stderr, and in the JSON on stdout', () => {
    const r = report(new DockerError('EBADENGINE', 'c1', `the engine said ${EVIL}`), { json: true });
    assert.doesNotMatch(r.err, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    assert.equal(r.err.split('\n').length, 2, 'one line');
    assert.doesNotMatch(r.out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    assert.equal(JSON.parse(r.out).error.message, `the engine said ${EVIL}`);
  });
});

describe('--docker-timeout', () => {
  it('takes seconds (whole or not) for connect and delete, in ms', () => {
    const c = parseArgs(['-n', 'a,x', '-n', 'b,y', '--docker-timeout', '2.5']);
    assert.equal(c.action === 'connect' && c.dockerTimeoutMs, 2500);
    const d = parseArgs(['--docker-timeout', '30', '-D', 'c1,eth1']);
    assert.equal(d.action === 'delete' && d.dockerTimeoutMs, 30_000);
    assert.equal('dockerTimeoutMs' in parseArgs(['-n', 'a,x', '-n', 'b,y']), false);
  });

  it('refuses anything but a number of seconds above 0 and at most 3600', () => {
    for (const v of ['0', '0.0', 'x', '3601', '1e3', '', '10s']) {
      assert.throws(() => parseArgs(['-n', 'a,x', '-n', 'b,y', '--docker-timeout', v]), UsageError, v);
    }
    assert.throws(() => parseArgs(['-n', 'a,x', '-n', 'b,y', '--docker-timeout']), /--docker-timeout needs a value/);
  });
});
