#!/bin/bash
# One round of the W5 start-up figures in bench/README.md ("W5 start-up"), as
# root from the package root after `npm run build`:
#   ORIG=/path/to/a/build/of/8e3c8af bash bench/peer/results/w5-startup/measure.sh LABEL
# (ORIG: `git archive 8e3c8af | tar x -C DIR`, node_modules linked, `npx tsc -p tsconfig.json`.)
# W5 runs as the harness runs it (hyperfine -N, teardown with a 50 ms settle
# untimed); the command connects existing namespaces, made untimed in --prepare.
set -u
out=bench/peer/results/w5-startup/$1
mkdir -p "$out"
DEL="ip netns del pb-w5x-a 2>/dev/null; ip netns del pb-w5x-b 2>/dev/null; sleep 0.05; exit 0"
ADD="ip netns del pb-w5x-a 2>/dev/null; ip netns del pb-w5x-b 2>/dev/null; sleep 0.05; ip netns add pb-w5x-a; ip netns add pb-w5x-b; exit 0"
CLI_ARGS="-n pb-w5x-a:va:10.10.1.2/24 -n pb-w5x-b:vb:10.10.1.3/24"
cat /proc/loadavg >"$out/load-before"
hyperfine -N --style basic -w 3 -r 30 --prepare "sh -c '$DEL'" --export-json "$out/w5.json" \
  -n node-e0 'node -e 0' \
  -n w5 'node dist/bench/peer/cli.js w5 pb-w5x-a pb-w5x-b' \
  -n w5-orig "node $ORIG/dist/bench/peer/cli.js w5 pb-w5x-a pb-w5x-b" \
  -n nop 'node dist/bench/peer/cli.js nop' >"$out/w5.txt" 2>&1
hyperfine -N --style basic -w 3 -r 30 --prepare "sh -c '$ADD'" --export-json "$out/cli.json" \
  -n node-e0 'node -e 0' \
  -n cli "node dist/vethcon.cjs $CLI_ARGS" \
  -n cli-orig "node $ORIG/dist/src/cli/bin.js $CLI_ARGS" >"$out/cli.txt" 2>&1
node dist/bench/peer/interleave.js --runs 30 --prepare "$DEL" -- 'node -e 0' 'node dist/bench/peer/cli.js w5 pb-w5x-a pb-w5x-b' >"$out/w5-interleaved.txt"
node dist/bench/peer/interleave.js --runs 30 --prepare "$ADD" -- 'node -e 0' "node dist/vethcon.cjs $CLI_ARGS" >"$out/cli-interleaved.txt"
sh -c "$DEL"
cat /proc/loadavg >"$out/load-after"
