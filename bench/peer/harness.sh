#!/bin/bash
# The README's speed table, reproduced: RUNS (default 3) full runs of the
# shared peer harness (../shared/bench/peers) with vethcon beside Go's
# netlink, the C floor and ip-batch, then the table of each run
# (bench/peer/table.ts). Root; build first (npm run build).
#
#   bash bench/peer/harness.sh [RUNS]
#
# The harness writes build/ and results/ where it runs, so it runs from a
# copy in a fresh /tmp/vethcon-peers.* directory (kept: results/run<k>/ holds
# each run's results.tsv, summary.md and raw.log). PB_HARNESS names another
# harness directory; the harness's own variables (W1_N, PB_SETTLE, ...) pass
# through.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
harness=${PB_HARNESS:-$root/../shared/bench/peers}
runs=${1:-3}
[[ -f $root/dist/bench/peer/cli.js ]] || { echo "harness.sh: build first (npm run build)" >&2; exit 2; }
[[ -x $harness/run-all.sh ]] || { echo "harness.sh: no harness at $harness (set PB_HARNESS)" >&2; exit 2; }
copy=$(mktemp -d /tmp/vethcon-peers.XXXXXX)
cp -a "$harness/." "$copy/"
chmod -R u+w "$copy"
for ((k = 1; k <= runs; k++)); do
  PB_RESULTS=$copy/results/run$k PB_EXT_NAME=vethcon PB_EXT_CMD="node $root/dist/bench/peer/cli.js" \
    PB_PEERS="vethcon go-netlink c-raw ip-batch" "$copy/run-all.sh" floor w1 w2 w3 w4 w5 >&2
done
node "$root/dist/bench/peer/table.js" "$copy"/results/run*/results.tsv
echo "results in $copy/results" >&2
