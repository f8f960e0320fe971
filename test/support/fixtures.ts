// Loads the golden fixtures captured from real iproute2 and kernel traffic
// (fixtures/<area>/<case>.json, made by scripts/capture-fixtures.sh).

import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FixtureMessage {
  dir: 'send' | 'recv';
  hex: string;
  role: 'request' | 'reply' | 'other';
}

export interface Fixture {
  name: string;
  area: string;
  description: string;
  command: string;
  messages: FixtureMessage[];
}

/** The repository root, found from this file whether run from src or dist. */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === 'vethcon') return dir;
    } catch { /* keep looking upward */ }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the vethcon package root');
    dir = up;
  }
})();

export function loadFixtures(): Fixture[] {
  const root = join(repoRoot, 'fixtures');
  const out: Fixture[] = [];
  for (const area of readdirSync(root, { withFileTypes: true })) {
    if (!area.isDirectory()) continue;
    for (const file of readdirSync(join(root, area.name)).filter((f) => f.endsWith('.json')).sort()) {
      out.push({ ...JSON.parse(readFileSync(join(root, area.name, file), 'utf8')), area: area.name });
    }
  }
  return out;
}

export function fixture(name: string): Fixture {
  const f = loadFixtures().find((x) => x.name === name);
  if (!f) throw new Error(`no fixture named ${name}`);
  return f;
}

export const bytesOf = (m: FixtureMessage): Uint8Array => new Uint8Array(Buffer.from(m.hex, 'hex'));

/** The single request datagram of a fixture. */
export function requestOf(f: Fixture): Uint8Array {
  const reqs = f.messages.filter((m) => m.role === 'request');
  if (reqs.length !== 1) throw new Error(`${f.name}: expected one request, found ${reqs.length}`);
  return bytesOf(reqs[0]);
}

export function repliesOf(f: Fixture): Uint8Array[] {
  return f.messages.filter((m) => m.role === 'reply').map(bytesOf);
}
