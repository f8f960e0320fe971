// e2e: resolveContainer against a real Docker engine (scripts/docker-up.sh).
// Without an engine the suite skips, except under CI=true where it fails.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import Docker from 'dockerode';
import { DockerError, resolveContainer } from '../../src/docker/index.js';
import { DOCKER_UNAVAILABLE, dockerAvailable, removeContainer, startContainer, stopContainer } from './docker-helpers.js';

const inCI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

async function rejectsWith(p: Promise<unknown>, code: string, ...mentions: string[]): Promise<DockerError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DockerError, `expected a DockerError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const m of mentions) assert.ok(caught.message.includes(m), `message should mention ${m}: ${caught.message}`);
  return caught;
}

describe('e2e: docker resolveContainer', function () {
  this.timeout(60_000);
  const tag = `${process.pid}`;
  const running = `vethcon-e2e-run-${tag}`;
  const stopped = `vethcon-e2e-stopped-${tag}`;

  before(async function () {
    if (!(await dockerAvailable())) {
      if (inCI) throw new Error(`CI=true but Docker is unavailable: ${DOCKER_UNAVAILABLE}`);
      this.skip();
    }
    await startContainer(running);
    await startContainer(stopped);
    await stopContainer(stopped);
  });

  after(async function () {
    await removeContainer(running).catch(() => {});
    await removeContainer(stopped).catch(() => {});
  });

  it('resolves a running container to its init pid and network namespace', async () => {
    const c = await resolveContainer(running);
    assert.equal(c.name, running);
    assert.match(c.id, /^[0-9a-f]{64}$/);
    assert.ok(Number.isInteger(c.pid) && c.pid > 0, `pid ${c.pid}`);
    assert.equal(c.netnsPath, `/proc/${c.pid}/ns/net`);
    const ns = statSync(c.netnsPath);
    const self = statSync('/proc/self/ns/net');
    assert.ok(ns.ino !== self.ino || ns.dev !== self.dev, 'container netns must differ from ours');
  });

  it('resolves the same container by id prefix', async () => {
    const byName = await resolveContainer(running);
    const byId = await resolveContainer(byName.id.slice(0, 12));
    assert.deepEqual(byId, byName);
  });

  it('reports a stopped container as ENOTRUNNING', async () => {
    await rejectsWith(resolveContainer(stopped), 'ENOTRUNNING', `"${stopped}"`, `docker start ${stopped}`);
  });

  it('reports a missing container as ENOCONTAINER', async () => {
    const name = `vethcon-e2e-missing-${tag}`;
    const err = await rejectsWith(resolveContainer(name), 'ENOCONTAINER', `"${name}"`);
    assert.equal(err.container, name);
  });

  it('rejects a malformed name as ENOCONTAINER without asking the engine', async () => {
    await rejectsWith(resolveContainer('../../images/json?x='), 'ENOCONTAINER');
  });

  it('reports an unreachable engine (DOCKER_HOST=unix:///nonexistent.sock) as ENOENGINE', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent.sock';
    let docker: Docker;
    try {
      docker = new Docker();
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    await rejectsWith(resolveContainer(running, { docker }), 'ENOENGINE', `"${running}"`, '/nonexistent.sock');
  });
});
