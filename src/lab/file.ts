// Reading a lab file's JSON, before any check of what it says; and a first
// look at the named namespaces it mentions, so their sockets can be opened
// while the rest of the lab code loads and the file is checked. Kept apart
// from model.ts so that reading it loads no more than node:fs.

import { readFileSync } from 'node:fs';
import { ValidationError } from '../rules/index.js';

/** The file's JSON, unchecked; ValidationError if it cannot be read or is not JSON. */
export function readLabJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ValidationError(`cannot read lab file ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${path}: not JSON: ${(e as Error).message}`);
  }
}

/** The names of the named namespaces (`{"netns": NAME}` nodes) in unchecked lab JSON: a hint, not a check. */
export function netnsNamesIn(value: unknown): string[] {
  const nodes = (value as { nodes?: unknown } | null)?.nodes;
  if (typeof nodes !== 'object' || nodes === null) return [];
  const names: string[] = [];
  for (const node of Object.values(nodes)) {
    const name = (node as { netns?: unknown } | null)?.netns;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}
