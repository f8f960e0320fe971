// What the library exports for containers: connect() throws DockerError, so
// callers can catch it by class, and resolveContainer turns a container name
// into what vethcon wires (its init PID and network namespace file).

import assert from 'node:assert/strict';

describe('library exports', () => {
  it('resolveContainer and DockerError come from the package entry', async () => {
    const lib = await import('../../src/index.js');
    assert.equal(typeof lib.resolveContainer, 'function');
    const e = new lib.DockerError('ENOCONTAINER', 'c1', 'container "c1" does not exist');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'DockerError');
    assert.equal(e.code, 'ENOCONTAINER');
  });

  it('a malformed container name is refused without asking any engine', async () => {
    const { resolveContainer, DockerError } = await import('../../src/index.js');
    await assert.rejects(resolveContainer('bad name!'), (e: unknown) => e instanceof DockerError && e.code === 'ENOCONTAINER');
  });
});
