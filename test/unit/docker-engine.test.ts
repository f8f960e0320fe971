// resolveContainer against a fake engine (an HTTP server on a unix socket of
// this test): the answer is bounded in size and in time, and what the engine
// says is checked before it is used. No Docker and no root needed.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerError, engineLimits, resolveContainer, setEngineLimits, type ResolveContainerOptions } from '../../src/docker/index.js';

const ID = 'a'.repeat(64);

describe('resolveContainer and an engine that misbehaves (fake engine on a unix socket)', function () {
  this.timeout(20_000);
  let dir: string;
  let server: Server;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  let docker: Docker;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vctrust-unit-'));
    const path = join(dir, 'docker.sock');
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    docker = new Docker({ socketPath: path });
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function fails(code: string, message: RegExp, opts: ResolveContainerOptions = {}): Promise<void> {
    await assert.rejects(resolveContainer('c1', { docker, ...opts }), (e: unknown) => {
      assert.ok(e instanceof DockerError, String(e));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, message);
      return true;
    });
  }

  const answer = (status: number, body: string | object) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  it('a running container: its pid and netns path', async () => {
    handler = answer(200, { Id: ID, Name: '/c1', State: { Running: true, Pid: 4242, Status: 'running' } });
    assert.deepEqual(await resolveContainer('c1', { docker }), { id: ID, name: 'c1', pid: 4242, netnsPath: '/proc/4242/ns/net' });
  });

  it('an answer over maxBytes: EBADENGINE, whether announced (Content-Length) or not', async () => {
    handler = answer(200, { Id: ID, Name: '/c1', State: { Running: true, Pid: 1 }, Pad: 'x'.repeat(5000) });
    await fails('EBADENGINE', /sent more than 4 KiB/, { maxBytes: 4096 });
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"Id":"');
      const t = setInterval(() => res.write('a'.repeat(1024)), 1);
      res.on('close', () => clearInterval(t));
    };
    await fails('EBADENGINE', /sent more than 4 KiB/, { maxBytes: 4096 });
  });

  it('no complete answer within timeoutMs: ETIMEDOUT, whether nothing came or a body trickles', async () => {
    handler = () => {};
    const t0 = Date.now();
    await fails('ETIMEDOUT', /did not answer within 0\.3 s/, { timeoutMs: 300 });
    assert.ok(Date.now() - t0 < 3000);
    handler = (_req, res) => {
      res.writeHead(200);
      const t = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(t));
    };
    await fails('ETIMEDOUT', /within 0\.3 s/, { timeoutMs: 300 });
  });

  it('setEngineLimits sets the defaults later calls use; bad limits are refused', async () => {
    const saved = engineLimits();
    try {
      setEngineLimits({ timeoutMs: 200 });
      handler = () => {};
      await fails('ETIMEDOUT', /within 0\.2 s/);
    } finally {
      setEngineLimits(saved);
    }
    assert.deepEqual(engineLimits(), { timeoutMs: 10_000, maxBytes: 1 << 20 });
    for (const bad of [{ timeoutMs: 0 }, { timeoutMs: -1 }, { timeoutMs: Infinity }, { maxBytes: 0.5 }, { maxBytes: -1 }]) {
      assert.throws(() => setEngineLimits(bad), RangeError, JSON.stringify(bad));
    }
  });

  it('an HTTP error: EBADENGINE with the engine\'s message quoted (JSON-escaped), at most 200 characters of it', async () => {
    handler = answer(500, { message: `boom\u001b[31m${'y'.repeat(500)}` });
    await fails('EBADENGINE', /answered HTTP 500 \("boom\\u001b\[31my+\.\.\."\); is it a Docker engine\?$/);
  });

  it('404 "no such container" is ENOCONTAINER; a bare 404 is not an engine', async () => {
    handler = answer(404, { message: 'No such container: c1' });
    await fails('ENOCONTAINER', /does not exist/);
    handler = answer(404, '404 page not found');
    await fails('EBADENGINE', /answered HTTP 404/);
  });

  it('200 with something that is not a container: EBADENGINE', async () => {
    for (const body of ['not json', '[]', '{"Id": 5}', `{"Id":"${ID}/../x"}`, 'null']) {
      handler = answer(200, body);
      await fails('EBADENGINE', /answered with (something that is not JSON|JSON that does not describe a container)/);
    }
  });

  it('a container not running, or with a pid that is not one: ENOTRUNNING, engine text used only if it looks like a name and a state', async () => {
    handler = answer(200, { Id: ID, Name: '/c1', State: { Running: false, Status: 'exited', Pid: 0 } });
    await fails('ENOTRUNNING', /^container "c1" is not running \(status: exited; start it with: docker start c1\)$/);
    handler = answer(200, { Id: ID, Name: '/\u001b[2Jx', State: { Running: true, Status: '\u001b[2J', Pid: -5 } });
    await fails('ENOTRUNNING', /^container "c1" is not running \(status: unknown; start it with: docker start c1\)$/);
    handler = answer(200, { Id: ID, Name: '/c1', State: { Running: true, Pid: 1.5 } });
    await fails('ENOTRUNNING', /not running/);
  });

  it('the engine closing the connection mid-answer: EBADENGINE, not a hang', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('{"Id":');
      setTimeout(() => req.socket.destroy(), 20);
    };
    await fails('EBADENGINE', /broke off its answer/);
  });
});
