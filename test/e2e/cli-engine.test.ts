// e2e: the vethcon CLI against a Docker engine that misbehaves, and against
// text it must not pass raw to a terminal. The engine is a fake: a tiny HTTP
// server on a unix socket made by this test (DOCKER_HOST=unix:///tmp/...),
// answering the container inspect with a huge body, a slow one, nothing at
// all, an HTTP 500 full of escape sequences, or a container whose name and
// state carry them. The CLI's peak RSS is measured with /usr/bin/time.
// Then runs without privileges: as nobody (the engine's socket refused) and
// as root without capabilities (nothing changed: exit 2, and why).
// Needs root (setpriv, named netns); skips without, fails under CI=true.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, inCI, ipIn, netnsAdd, netnsDel, netnsNs, show, snapshot, vethcon, HOST, type CliResult } from './cli-helpers.js';

const TAG = process.pid.toString(36);
const NS_A = `vctrust-${TAG}-a`;
const NS_B = `vctrust-${TAG}-b`;
const FAKE_ID = 'f'.repeat(64);
const MiB = 1 << 20;

/** Control characters that must never reach the terminal: C0 but newline, DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function problems(): string[] {
  const p: string[] = [];
  if (process.getuid?.() !== 0) p.push(`not root (uid ${process.getuid?.()}): the tests make named netns and drop privileges with setpriv`);
  if (spawnSync('setpriv', ['--version']).status !== 0) p.push('setpriv is missing (util-linux)');
  if (!existsSync('/usr/bin/time')) p.push('/usr/bin/time is missing (apt-get install time): it measures the CLI\'s peak RSS');
  if (!existsSync(CLI)) p.push(`${CLI} is missing: build with npm run build`);
  return p;
}

type Handler = (req: IncomingMessage, res: ServerResponse, engine: FakeEngine) => void;

/** A fake Docker engine on a unix socket of its own; counts what it sent. */
class FakeEngine {
  readonly dir = mkdtempSync(join(tmpdir(), `vctrust-${TAG}-`));
  readonly path = join(this.dir, 'docker.sock');
  readonly host = `unix://${this.path}`;
  sent = 0;
  requests: string[] = [];
  private server?: Server;

  constructor(private handler: Handler) {}

  async start(): Promise<this> {
    chmodSync(this.dir, 0o755);
    this.server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      this.handler(req, res, this);
    });
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(this.path, resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Write `total` bytes of a JSON-looking body, respecting back-pressure, until done or the client goes away. */
function stream(res: ServerResponse, engine: FakeEngine, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const head = Buffer.from(`{"Id":"${FAKE_ID}","Name":"/x","Labels":"`);
  let closed = false;
  res.on('close', () => { closed = true; });
  const pump = (): void => {
    while (!closed && engine.sent < total) {
      const part = engine.sent === 0 ? head : chunk;
      engine.sent += part.length;
      if (!res.write(part)) return void res.once('drain', pump);
    }
    if (!closed) res.end('"}');
  };
  pump();
}

/** Run the CLI under /usr/bin/time: its result and its peak RSS in MiB. */
async function measured(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult & { rssMiB: number }> {
  const out = join(mkdtempSync(join(tmpdir(), `vctrust-${TAG}-time-`)), 'rss');
  try {
    const r = await vethcon(args, { env, timeoutMs, wrap: ['/usr/bin/time', '-f', '%M', '-o', out] });
    const kb = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
    assert.ok(kb > 0, `no RSS from /usr/bin/time: ${readFileSync(out, 'utf8')}`);
    return { ...r, rssMiB: kb / 1024 };
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
}

/** Nothing on stderr or stdout a terminal would act on. */
function assertPrintable(r: CliResult): void {
  for (const [name, text] of [['stderr', r.stderr], ['stdout', r.stdout]] as const) {
    const m = RAW_CONTROL.exec(text);
    assert.equal(m, null, `${name} has a raw control character U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m?.index}\n${show(r)}`);
  }
}

describe('e2e: the CLI and a misbehaving Docker engine, terminal-safe output, privileges', function () {
  this.timeout(120_000);
  let engine: FakeEngine | undefined;

  before(async function () {
    const p = problems();
    if (p.length) {
      if (inCI) throw new Error(`CI=true, so failing instead of skipping: ${p.join('; ')}`);
      this.skip();
    }
    await netnsAdd(NS_A);
    await netnsAdd(NS_B);
  });

  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  after(async () => {
    await Promise.all([NS_A, NS_B].map((n) => netnsDel(n).catch(() => {})));
  });

  const withEngine = async (h: Handler): Promise<FakeEngine> => (engine = await new FakeEngine(h).start());
  /** A container end on the fake engine and a named netns end: the container is resolved first. */
  const ARGS = ['-d', 'vctrust-fake:vctx1', '-n', `${NS_A}:vctx2`];

  describe('the engine\'s answer is bounded in size and in time', () => {
    it('a 300 MB body (chunked): refused past 1 MiB, exit 2, the CLI\'s peak RSS stays under 150 MB', async () => {
      const e = await withEngine((_req, res, eng) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        stream(res, eng, 300 * MiB);
      });
      const r = await measured(ARGS, { DOCKER_HOST: e.host });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, new RegExp(`^vethcon: cannot look up container "vctrust-fake": the Docker engine at unix://${e.path} sent more than 1 MiB`), show(r));
      assert.ok(r.rssMiB < 150, `peak RSS ${r.rssMiB.toFixed(1)} MiB\n${show(r)}`);
      assert.ok(e.sent < 32 * MiB, `the engine got to send ${(e.sent / MiB).toFixed(1)} MiB before the CLI hung up`);
      assertPrintable(r);
    });

    it('a 300 MB body announced by Content-Length: refused before reading it', async () => {
      const e = await withEngine((_req, res, eng) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(300 * MiB + 2) });
        stream(res, eng, 300 * MiB);
      });
      const r = await measured(ARGS, { DOCKER_HOST: e.host });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /sent more than 1 MiB/, show(r));
      assert.ok(r.rssMiB < 150, `peak RSS ${r.rssMiB.toFixed(1)} MiB\n${show(r)}`);
      assert.ok(e.sent < 32 * MiB, `the engine got to send ${(e.sent / MiB).toFixed(1)} MiB`);
    });

    it('a body that trickles: --docker-timeout 1 gives up after a second, exit 2, and says how to wait longer', async () => {
      const e = await withEngine((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{');
        const t = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(t));
      });
      const r = await vethcon(['--docker-timeout', '1', ...ARGS], { env: { DOCKER_HOST: e.host } });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, new RegExp(`^vethcon: cannot look up container "vctrust-fake": the Docker engine at unix://${e.path} did not answer within 1 s\\n`), show(r));
      assert.match(r.stderr, /--docker-timeout SECONDS/, show(r));
      assert.ok(r.ms >= 900 && r.ms < 8000, `took ${r.ms} ms\n${show(r)}`);
    });

    it('an engine that never answers: the default timeout (10 s) ends the wait, exit 2', async () => {
      const e = await withEngine(() => { /* accept the request, never answer */ });
      const r = await vethcon(ARGS, { env: { DOCKER_HOST: e.host } });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /did not answer within 10 s/, show(r));
      assert.ok(r.ms >= 9500 && r.ms < 25_000, `took ${r.ms} ms\n${show(r)}`);
      assert.equal(e.requests.length, 1, `one request: ${e.requests.join(', ')}`);
    });

    it('--docker-timeout takes seconds above 0, at most 3600: anything else is a usage error', async () => {
      for (const bad of ['0', '-1', 'x', '3601', '1e3']) {
        const r = await vethcon(['--docker-timeout', bad, ...ARGS]);
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, /--docker-timeout/, show(r));
      }
    });
  });

  describe('nothing from the engine or the user reaches the terminal raw', () => {
    const EVIL = '\u001b[2J\u001b[31mengine on fire\u001b]0;pwned\u0007\r\nvethcon: fake line\u009b31m\u007f';

    it('an HTTP 500 whose body is full of escape sequences: quoted with every control character escaped, exit 2', async () => {
      const e = await withEngine((_req, res) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(EVIL);
      });
      for (const json of [false, true]) {
        const r = await vethcon([...ARGS, ...(json ? ['--json'] : [])], { env: { DOCKER_HOST: e.host } });
        assert.equal(r.code, 2, show(r));
        assertPrintable(r);
        assert.match(r.stderr, /answered HTTP 500 \(".*engine on fire.*"\); is it a Docker engine\?/, show(r));
        assert.ok(r.stderr.includes('\\u001b[2J') || r.stderr.includes('\\x1b[2J'), `the escape is shown escaped: ${show(r)}`);
        assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line, no fake line: ${show(r)}`);
        if (json) {
          const out = JSON.parse(r.stdout);
          assert.equal(out.error.code, 'EBADENGINE');
          assert.ok(out.error.message.includes(JSON.stringify(EVIL).slice(1, -1)), 'the JSON keeps the text (escaped, as JSON does)');
        }
      }
    });

    it('a JSON error message with escapes (Docker\'s {"message": ...}) is shown escaped too', async () => {
      const e = await withEngine((_req, res) => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: EVIL }));
      });
      const r = await vethcon(ARGS, { env: { DOCKER_HOST: e.host } });
      assert.equal(r.code, 2, show(r));
      assertPrintable(r);
      assert.match(r.stderr, /engine on fire/, show(r));
    });

    it('a stopped container whose name and state (from the engine) carry escapes: the name the user gave, state unknown', async () => {
      const e = await withEngine((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ Id: FAKE_ID, Name: `/${EVIL}`, State: { Running: false, Status: EVIL, Pid: 0 } }));
      });
      const r = await vethcon(ARGS, { env: { DOCKER_HOST: e.host } });
      assert.equal(r.code, 2, show(r));
      assertPrintable(r);
      assert.match(r.stderr, /^vethcon: container "vctrust-fake" is not running \(status: unknown; start it with: docker start vctrust-fake\)\n$/, show(r));
    });

    it('names the user gave with control characters (netns, link, option): escaped in every message, exit 2', async () => {
      const before = await snapshot([HOST, netnsNs(NS_A)]);
      for (const args of [
        ['-n', `nosuch\u001b[31m\u009b2J,x1`, '-n', `${NS_A}:x2`],
        ['-N', `${NS_A},x\u001b[2J`],
        ['-n', `${NS_A},x1`, '-n', `${NS_B},x2`, `--bogus\u001b]0;pwned\u0007`],
        ['-N', `nosuch\u0007\u007f,x1`],
        ['-n', `${NS_A},x1,10.0.0.1/24\u001b[1m`, '-n', `${NS_B},x2`],
      ]) {
        for (const json of [false, true]) {
          const r = await vethcon(json ? [...args, '--json'] : args);
          assert.equal(r.code, 2, show(r));
          assert.match(r.stderr, /^vethcon: /, show(r));
          assertPrintable(r);
        }
      }
      assert.deepEqual(await snapshot([HOST, netnsNs(NS_A)]), before);
    });

    it('--dry-run with a name carrying C1 and DEL controls: refused (no such namespace), the name printed escaped, in text and in JSON', async () => {
      const name = `vctrust\u009b\u007f`;
      for (const json of [false, true]) {
        // A dry run makes a real run's checks: no such namespace, so it is refused, naming it.
        const r = await vethcon(['-n', `${name},x1`, '-n', `${NS_B},x2`, '--dry-run', ...(json ? ['--json'] : [])]);
        assert.equal(r.code, 2, show(r));
        assertPrintable(r);
        assert.match(r.stderr, /netns vctrust\\x9b\\x7f: not found/, show(r));
        if (json) assert.equal(JSON.parse(r.stdout).error.message.includes(name), true, 'the JSON value is the same name');
      }
    });
  });

  describe('without the privileges it needs: the first refusal says which, exit 2, nothing changed', () => {
    const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

    const sockets: [string, number | undefined, number, RegExp][] = [
      ['root:root 0600', 0, 0o600, /permission denied on (\S+): run as root \(the socket is root:root, mode 0600\)$/],
    ];
    const docker = spawnSync('getent', ['group', 'docker'], { encoding: 'utf8' }).stdout.split(':')[2];
    if (docker) sockets.push(['root:docker 0660', Number(docker), 0o660, /permission denied on (\S+): run as root or as a member of the docker group \(the socket is root:docker, mode 0660\)$/]);

    for (const [what, gid, mode, message] of sockets) {
      it(`as nobody, the engine's socket (${what}) refused: the Docker error comes first and says who may use it`, async () => {
        const e = await withEngine((_req, res) => { res.writeHead(404).end('{"message":"No such container: vctrust-fake"}'); });
        chownSync(e.path, 0, gid ?? 0);
        chmodSync(e.path, mode);
        const before = await snapshot([HOST, netnsNs(NS_A)]);
        const r = await vethcon(ARGS, { env: { DOCKER_HOST: e.host }, wrap: NOBODY });
        assert.equal(r.code, 2, show(r));
        const [first, ...rest] = r.stderr.trimEnd().split('\n');
        assert.match(first, /^vethcon: cannot look up container "vctrust-fake": permission denied on /, show(r));
        assert.match(first, message, show(r));
        assert.equal(message.exec(first)?.[1], e.path, show(r));
        assert.deepEqual(rest, [], `nothing after the Docker error (no namespace was entered): ${show(r)}`);
        assert.equal(e.requests.length, 0, 'the engine was never reached');
        assert.deepEqual(await snapshot([HOST, netnsNs(NS_A)]), before);
      });
    }

    it('as nobody, no Docker end: entering the namespace is refused (EPERM), the need for root named', async () => {
      const r = await vethcon(['-n', `${NS_A}:vctx1`, '-n', `${NS_B}:vctx2`], { wrap: NOBODY });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, new RegExp(`^vethcon: netns ${NS_A}: setns: Operation not permitted \\(EPERM\\)\\nvethcon needs root`), show(r));
    });

    it('root without CAP_NET_ADMIN (setpriv, CAP_SYS_ADMIN kept): the kernel refuses the veth (EPERM inside a WiringError): the need for root named, exit 2', async () => {
      const nss = [HOST, netnsNs(NS_A), netnsNs(NS_B)];
      const before = await snapshot(nss);
      for (const json of [false, true]) {
        const r = await vethcon(['-n', `${NS_A}:vctx1:10.20.9.1/24`, '-n', `${NS_B}:vctx2:10.20.9.2/24`, ...(json ? ['--json'] : [])], {
          wrap: ['setpriv', '--inh-caps=-all,+sys_admin', '--bounding-set=-all,+sys_admin'],
        });
        assert.equal(r.code, 2, show(r));
        // Said once: the kernel's refusal, not the operation named a second time.
        assert.match(r.stderr, new RegExp(`^vethcon: cannot create veth vctx1 in netns ${NS_A} <-> vctx2 in netns ${NS_B}: Operation not permitted \\(EPERM\\)\\n`), show(r));
        assert.match(r.stderr, /\nvethcon needs root \(CAP_SYS_ADMIN to enter namespaces, CAP_NET_ADMIN to change links\)\.\n$/, show(r));
        if (json) assert.equal(JSON.parse(r.stdout).error.kind, 'WiringError');
      }
      assert.deepEqual(await snapshot(nss), before);
    });

    it('root with no capabilities, -c: the host refuses the veth (EPERM inside a WiringError): exit 2, the need for root named, nothing changed', async () => {
      const before = await snapshot([HOST]);
      const r = await vethcon(['-c', `vct${TAG}h1`, '-c', `vct${TAG}h2`], { wrap: ['setpriv', '--inh-caps=-all', '--bounding-set=-all'] });
      try {
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, /Operation not permitted \(EPERM\)\nvethcon needs root/, show(r));
        assert.deepEqual(await snapshot([HOST]), before);
      } finally {
        await ipIn(HOST, 'link', 'del', `vct${TAG}h1`).catch(() => {});
      }
    });
  });
});
