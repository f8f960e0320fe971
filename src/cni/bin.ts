#!/usr/bin/env node
// The `vethcon-cni` executable, as ES modules (the package's bin is the
// one-file build of the same code, dist/vethcon-cni.cjs; see scripts/bundle.mjs).
import { runPlugin } from './main.js';

void runPlugin();
