// e2e: the vethcon CLI does not trust its input. What the kernel would read
// differently from what we report (ve%d, 0.0.0.0/24, 1.2.3.4::/64, /024), or
// refuse only once the pair exists (MTU < 1280 with IPv6, a mount namespace
// file), is refused before any change: exit 2, the field and the rule named,
// nothing changed. A long deletion stops at the next step on Ctrl-C.
// Needs root and iproute2 (no Docker): named netns vcti-<pid>-*, removed after.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI, HOST, inCI, ipIn, links, namesOf, netnsAdd, netnsDel, netnsNs, show, snapshot, vethcon, type CliResult,
} from './cli-helpers.js';
import { spawnSync } from 'node:child_process';

const TAG = process.pid.toString(36);
const A = `vcti-${TAG}-a`;
const B = `vcti-${TAG}-b`;
const SIG = `vcti-${TAG}-sig`;

function problems(): string[] {
  const p: string[] = [];
  if (process.getuid?.() !== 0) p.push('not root');
  const ipj = spawnSync('ip', ['-j', 'link', 'show', 'lo'], { encoding: 'utf8' });
  if (ipj.status !== 0 || !ipj.stdout.trim().startsWith('[')) p.push('`ip -j` does not work; install iproute2');
  return p;
}

/** The link names in a namespace. */
const namesIn = async (ns: string): Promise<string[]> => (await links(netnsNs(ns))).map((l) => l.ifname);

describe('e2e: the CLI refuses what the kernel would reinterpret, before any change', function () {
  this.timeout(120_000);

  before(async function () {
    const p = problems();
    if (p.length) {
      if (inCI) throw new Error(`CI=true, so failing instead of skipping: ${p.join('; ')}`);
      this.skip();
    }
    await netnsAdd(A);
    await netnsAdd(B);
  });

  after(async () => {
    await Promise.all([A, B, SIG].map((n) => netnsDel(n).catch(() => {})));
  });

  const nss = () => [HOST, netnsNs(A), netnsNs(B)];

  /** Exit 2, nothing on stdout, stderr names every `mentions`, no link list changed. */
  async function refusedBeforeAnyChange(argv: string[], ...mentions: (string | RegExp)[]): Promise<CliResult> {
    const before = await snapshot(nss());
    const r = await vethcon(argv);
    assert.equal(r.code, 2, `exit code\n${show(r)}`);
    assert.equal(r.stdout, '', `nothing on stdout\n${show(r)}`);
    assert.match(r.stderr, /^vethcon: /, show(r));
    for (const m of mentions) {
      if (typeof m === 'string') assert.ok(r.stderr.includes(m), `stderr should name ${JSON.stringify(m)}\n${show(r)}`);
      else assert.match(r.stderr, m, show(r));
    }
    const after = await snapshot(nss());
    assert.deepEqual(after, before, `link lists changed\nbefore: ${namesOf(before)}\nafter:  ${namesOf(after)}\n${show(r)}`);
    return r;
  }

  describe('names', () => {
    it("'%' in a name: vethcon -n A,ve%d -n B,vf%d makes no ve0/vf0, exit 2", async () => {
      await refusedBeforeAnyChange(['-n', `${A},ve%d`, '-n', `${B},vf%d`], 'end 1 ifname', '"ve%d"', "'%'");
      assert.ok(!(await namesIn(A)).includes('ve0'));
      assert.ok(!(await namesIn(B)).includes('vf0'));
      await refusedBeforeAnyChange(['-n', `${A},x%s`, '-n', `${B},b10`], '"x%s"', "'%'");
      await refusedBeforeAnyChange(['-N', `${A},ve%d`], '"ve%d"', "'%'");
    });

    it("the names 'all' and 'default' (reserved by /proc/sys/net/ipv4/conf): exit 2", async () => {
      await refusedBeforeAnyChange(['-n', `${A},all`, '-n', `${B},b8`], 'end 1 ifname', '"all"', 'reserved');
      await refusedBeforeAnyChange(['-n', `${A},a9`, '-n', `${B},default`], 'end 2 ifname', '"default"', 'reserved');
    });

    it('a name with U+2003 (EM SPACE), which the kernel accepts, is accepted and made', async () => {
      const name = 'em\u2003sp';
      const r = await vethcon(['-n', `${A},${name},10.61.0.1/24`, '-n', `${B},emsp2,10.61.0.2/24`]);
      assert.equal(r.code, 0, show(r));
      assert.ok((await namesIn(A)).includes(name), `ip sees ${JSON.stringify(name)} in ${A}: ${(await namesIn(A)).join(' ')}`);
      assert.equal((await vethcon(['-N', `${A},${name}`])).code, 0);
    });

    it('a name the kernel counts as white space (U+00A0, or à: its UTF-8 holds 0xA0): exit 2, not a late EINVAL', async () => {
      await refusedBeforeAnyChange(['-n', `${A},nb\u00a0sp`, '-n', `${B},b11`], 'end 1 ifname', '0xA0');
      await refusedBeforeAnyChange(['-n', `${A},a12`, '-n', `${B},là`], 'end 2 ifname', '0xA0');
    });
  });

  describe('addresses, MAC, MTU', () => {
    it('0.0.0.0/24 (the kernel adds no address, we would report one): exit 2', async () => {
      await refusedBeforeAnyChange(['-n', `${A},a1,0.0.0.0/24`, '-n', `${B},b1`], 'end 1 addresses.0', '"0.0.0.0/24"', 'unspecified');
    });

    it('1.2.3.4::/64 (parsed as 102:304::/64 before; iproute2 refuses it): exit 2', async () => {
      await refusedBeforeAnyChange(['-n', `${A},a2,1.2.3.4::/64`, '-n', `${B},b2`], '"1.2.3.4::/64"', 'IPv6');
    });

    it('a prefix length with a leading zero (/024, octal 20 to iproute2): exit 2', async () => {
      await refusedBeforeAnyChange(['-n', `${A},a3,10.61.1.1/024`, '-n', `${B},b3`], '"10.61.1.1/024"', 'leading zero');
      await refusedBeforeAnyChange(['-n', `${A}:a4:10.61.1.1/08`, '-n', `${B}:b4`], '"10.61.1.1/08"', 'leading zero');
    });

    it('the all-zero MAC: exit 2', async () => {
      await refusedBeforeAnyChange(['-n', `${A},a5,mac=00:00:00:00:00:00`, '-n', `${B},b5`], 'end 1 mac', '00:00:00:00:00:00', 'all zeros');
    });

    it('MTU below 1280 on an end with an IPv6 address: exit 2, not a late failure on disable_ipv6', async () => {
      await refusedBeforeAnyChange(['-n', `${A},a6,2001:db8:61::1/64,mtu=1200`, '-n', `${B},b6,2001:db8:61::2/64`], 'end 1 mtu', 'MTU 1200', '1280');
      // Without IPv6 the same MTU is fine.
      const r = await vethcon(['-n', `${A},mt1,10.61.2.1/24,mtu=1200`, '-n', `${B},mt2`]);
      assert.equal(r.code, 0, show(r));
      await vethcon(['-N', `${A},mt1`]);
    });
  });

  describe('namespace files', () => {
    it('-a /proc/PID/ns/mnt (a namespace file, not a network namespace): exit 2', async () => {
      const mnt = `/proc/${process.pid}/ns/mnt`;
      await refusedBeforeAnyChange(['-a', `${mnt},a7`, '-n', `${B},b7`], mnt, 'not a network namespace');
      await refusedBeforeAnyChange(['-A', `${mnt},lo`], mnt, 'not a network namespace');
    });

    it('-a FILE where FILE is a bind-mounted UTS namespace (unshare --uts=FILE): exit 2', async () => {
      const file = join(tmpdir(), `vcti-${TAG}-uts`);
      writeFileSync(file, '');
      const made = spawnSync('unshare', [`--uts=${file}`, 'true'], { encoding: 'utf8' });
      assert.equal(made.status, 0, `unshare --uts=${file}: ${made.stderr}`);
      try {
        await refusedBeforeAnyChange(['-a', `${file},a13`, '-n', `${B},b13`], file, 'a UTS namespace', 'not a network namespace');
      } finally {
        spawnSync('umount', [file]);
        rmSync(file, { force: true });
      }
    });
  });

  describe('no command', () => {
    it('no arguments: usage on stderr, exit 2', async () => {
      const r = await refusedBeforeAnyChange([], 'nothing to do', 'Usage:');
      assert.match(r.stderr, /vethcon END END/);
    });

    it('--json alone: exit 2, the error as JSON, usage on stderr', async () => {
      const r = await vethcon(['--json']);
      assert.equal(r.code, 2, show(r));
      assert.equal(JSON.parse(r.stdout).error.kind, 'UsageError', show(r));
      assert.match(r.stderr, /Usage:/, show(r));
    });

    it('-h and --help: help on stdout, exit 0', async () => {
      for (const flag of ['-h', '--help']) {
        const r = await vethcon([flag]);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, /^vethcon: connect network namespaces/);
        assert.equal(r.stderr, '');
      }
    });
  });

  // ------------------------------------------------------------ signals
  describe('Ctrl-C in a long deletion', () => {
    const N = 300;
    const names = Array.from({ length: N }, (_, i) => `v${i + 1}`);

    /** SIG with N veth pairs v1/v1p ... made by one `ip -batch`. */
    async function makePairs(): Promise<void> {
      await netnsAdd(SIG);
      const file = join(tmpdir(), `vcti-${TAG}-batch`);
      writeFileSync(file, names.map((n) => `link add ${n} type veth peer name ${n}p\n`).join(''));
      try {
        await ipIn(HOST, '-n', SIG, '-batch', file);
      } finally {
        rmSync(file, { force: true });
      }
      assert.equal((await namesIn(SIG)).length, 2 * N + 1);
    }

    const vs = async (): Promise<string[]> => (await namesIn(SIG)).filter((n) => /^v\d+$/.test(n));

    interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; exitAt: number }

    /** `vethcon -N SIG,v1 ... -N SIG,v300`; `whenDeleting` runs once some are gone (polled with ip). */
    function deleteAll(whenDeleting: (kill: (s: NodeJS.Signals) => number) => void): Promise<Run> {
      const args = names.flatMap((n) => ['-N', `${SIG},${n}`]);
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      let exited = false;
      const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => {
        exited = true;
        resolve({ code, signal, stdout, stderr, exitAt: performance.now() });
      }));
      const kill = (s: NodeJS.Signals): number => { child.kill(s); return performance.now(); };
      void (async () => {
        while (!exited) {
          // A dump taken while links go may be cut short (ip says "Dump was interrupted"): look again.
          const left = await vs().catch(() => undefined);
          if (left && left.length < N) return whenDeleting(kill);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      return done.finally(() => clearTimeout(timer));
    }

    const said = (r: Run): string => `exit ${r.code} (${r.signal})\n--- stdout:\n${r.stdout.slice(0, 2000)}--- stderr:\n${r.stderr.slice(0, 2000)}`;

    afterEach(() => netnsDel(SIG));

    it('SIGINT while links are being deleted: it stops at the next step, exit 130 at once, the rest is kept, what was deleted is named', async () => {
      await makePairs();
      let sentAt = 0;
      let leftAtSignal = 0;
      const r = await deleteAll((kill) => { sentAt = kill('SIGINT'); void vs().then((l) => { leftAtSignal = l.length; }, () => {}); });
      assert.ok(sentAt > 0, `no SIGINT was sent: it never started deleting?\n${said(r)}`);
      assert.equal(r.code, 130, said(r));
      const ms = r.exitAt - sentAt;
      assert.ok(ms < 300, `it exited ${ms.toFixed(0)} ms after SIGINT: not at the next step\n${said(r)}`);
      const left = await vs();
      assert.ok(left.length > 0, `every link was deleted despite SIGINT\n${said(r)}`);
      assert.match(r.stderr, /interrupted \(SIGINT\)/, said(r));
      assert.match(r.stderr, /not undone/, said(r));
      // Exactly the links it says it deleted are gone.
      const deleted = names.filter((n) => !left.includes(n));
      const m = /deleted (\d+) of 300/.exec(r.stderr);
      assert.ok(m, said(r));
      assert.equal(Number(m[1]), deleted.length, said(r));
      for (const n of deleted) assert.ok(r.stderr.includes(` ${n} in netns ${SIG}`), `stderr should name ${n}\n${said(r)}`);
      assert.ok(leftAtSignal === 0 || leftAtSignal - left.length <= 2, `${leftAtSignal - left.length} links were deleted after the signal`);
    });

    it('a second SIGINT ends it at once: exit 130', async () => {
      await makePairs();
      let secondAt = 0;
      const r = await deleteAll((kill) => {
        kill('SIGINT');
        setTimeout(() => { secondAt = kill('SIGINT'); }, 5);
      });
      assert.ok(secondAt > 0, said(r));
      assert.equal(r.code, 130, said(r));
      const ms = r.exitAt - secondAt;
      assert.ok(ms < 300, `it exited ${ms.toFixed(0)} ms after the second SIGINT\n${said(r)}`);
      assert.ok((await vs()).length > 0, said(r));
    });
  });
});
