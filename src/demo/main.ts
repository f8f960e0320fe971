#!/usr/bin/env node
// `npm run demo`: two new namespaces, one veth pair, one TCP echo between
// them, everything removed again (see ./run.ts).

import { runDemo } from './run.js';

runDemo().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`vethcon demo: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
