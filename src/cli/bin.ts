#!/usr/bin/env node
// The `vethcon` executable, as ES modules (the package's bin is the one-file
// build of the same code, dist/vethcon.cjs; see scripts/bundle.mjs).
import { runCli } from './start.js';

void runCli(process.argv.slice(2));
