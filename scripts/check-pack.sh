#!/usr/bin/env bash
# scripts/check-pack.sh: the package as a user gets it. Packs this checkout
# (npm pack runs prepare: a full build), installs the tarball in an empty
# temporary folder (its dependencies come from the npm registry: needs the
# network, which is why no test script runs this), and checks that:
#   - `npm pack --json` printed JSON only, with LICENSE and both code caches in;
#   - `npx vethcon --help` and `--version` work;
#   - require('vethcon') and import('vethcon/netlink') work;
#   - the installed code caches are accepted by this Node;
#   - a real run (two namespaces made here with `ip netns add`) wires them and
#     leaves the installed package byte-identical (every file under
#     node_modules/vethcon hashed, with sizes and mtimes, before and after);
#   - installed with --omit=optional (no ffi-rs binary), vethcon says so in one
#     line, exit 1.
# Needs root (ip netns add). Cleans up its folder and namespaces on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "$(id -u)" != 0 ]; then
  echo "check-pack: needs root (it creates two network namespaces)" >&2
  exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vethcon-check-pack.XXXXXX")
NS_A="vcpack-a-$$"
NS_B="vcpack-b-$$"
cleanup() {
  local status=$?
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT INT TERM

say() { printf 'check-pack: %s\n' "$*"; }
fail() { printf 'check-pack: FAILED: %s\n' "$*" >&2; exit 1; }
npmq() { npm --no-audit --no-fund --loglevel=error "$@"; }

# 1. Pack. Build output goes to stderr, so stdout is JSON alone.
npm pack --json --pack-destination "$TMP" >"$TMP/pack.json" 2>"$TMP/pack.log" || { cat "$TMP/pack.log" >&2; fail "npm pack"; }
node -e '
  const [j] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const files = j.files.map((f) => f.path);
  for (const want of ["LICENSE", "README.md", "package.json", "dist/vethcon.cjs", "dist/vethcon-cni.cjs", "dist/vethcon-rest.cache", "dist/vethcon-worker-rest.cache", "dist/src/index.d.ts", "dist/src/netlink/index.d.ts"]) {
    if (!files.includes(want)) throw new Error("not in the tarball: " + want);
  }
  const extra = files.filter((f) => f.startsWith("dist/test") || f.startsWith("dist/bench") || f.includes(".build-") || f.endsWith(".tmp"));
  if (extra.length) throw new Error("in the tarball but should not be: " + extra.join(", "));
  console.log(`check-pack: packed ${j.filename}: ${j.entryCount} files, ${(j.size / 1024).toFixed(0)} KiB; npm pack --json printed valid JSON`);
' "$TMP/pack.json"
TARBALL="$TMP/$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].filename' "$TMP/pack.json")"

# 2. Install it in an empty folder.
mkdir "$TMP/app"
cd "$TMP/app"
npmq install "$TARBALL" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log" >&2; fail "npm install $TARBALL"; }
say "installed in an empty folder: vethcon $(node -p 'require("vethcon/package.json").version'), engines $(node -p 'JSON.stringify(require("vethcon/package.json").engines)')"

# 3. The bin.
npx vethcon --help >"$TMP/help.txt" || fail "npx vethcon --help"
say "npx vethcon --help: $(head -1 "$TMP/help.txt")"
say "npx vethcon --version: $(npx vethcon --version)"
# The CNI plugin, as README's "CNI plugin" installs it: a link in a CNI_PATH folder named as its type.
mkdir "$TMP/cni-bin"
ln -s "$(node -p 'require("path").dirname(require.resolve("vethcon/package.json"))')/dist/vethcon-cni.cjs" "$TMP/cni-bin/vethcon"
echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$TMP/cni-bin/vethcon" >"$TMP/cni-version.json" || fail "vethcon-cni VERSION"
grep -q '"supportedVersions":\[' "$TMP/cni-version.json" || fail "vethcon-cni VERSION printed $(cat "$TMP/cni-version.json")"
say "vethcon-cni (linked into a CNI_PATH folder) VERSION: $(cat "$TMP/cni-version.json")"

# 4. The library, both ways.
node -e "const m = require('vethcon'); if (typeof m.Vethcon !== 'function') throw new Error('no Vethcon')" || fail "require('vethcon')"
say "node -e \"require('vethcon')\": ok"
node --input-type=module -e "const n = await import('vethcon/netlink'); if (typeof n.requestBytes !== 'function') throw new Error('no requestBytes')" || fail "import('vethcon/netlink')"
say "import('vethcon/netlink'): ok"

# 5. The installed code caches are V8's for this Node (the build's, where they now are).
node -e '
  const fs = require("fs"), vm = require("vm"), path = require("path");
  const dist = path.dirname(require.resolve("vethcon/package.json")) + "/dist";
  for (const name of ["vethcon-rest", "vethcon-worker-rest"]) {
    const data = fs.readFileSync(`${dist}/${name}.cache`);
    const file = `${dist}/${name}.js`;
    const s = new vm.Script(fs.readFileSync(file, "latin1"), { filename: file, cachedData: data.subarray(8) });
    if (data.toString("latin1", 0, 4) !== "VCC2" || s.cachedDataRejected) throw new Error(`${name}.cache is not accepted`);
  }
' || fail "the installed code caches"
say "the installed code caches (dist/vethcon-rest.cache, dist/vethcon-worker-rest.cache) are accepted by $(node --version)"

# 6. A real run leaves the installed package as it was.
tree_state() {
  (cd node_modules/vethcon && find . -printf '%y %p %s %T@\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
tree_state >"$TMP/before.txt"
ip netns add "$NS_A"
ip netns add "$NS_B"
say "$(npx vethcon -n "$NS_A:x:10.9.0.1/24" -n "$NS_B:y:10.9.0.2/24")"
ip -n "$NS_A" -o -4 addr show dev x | grep -q '10.9.0.1/24' || fail "x has no 10.9.0.1/24 in $NS_A"
ip -n "$NS_B" -o -4 addr show dev y | grep -q '10.9.0.2/24' || fail "y has no 10.9.0.2/24 in $NS_B"
say "$(npx vethcon -N "$NS_A,x")"
tree_state >"$TMP/after.txt"
if ! diff -u "$TMP/before.txt" "$TMP/after.txt"; then fail "the run changed node_modules/vethcon"; fi
say "node_modules/vethcon unchanged by the run: $(grep -c '^f ' "$TMP/before.txt") files, same paths, sizes, mtimes and sha256"
ip netns del "$NS_A"
ip netns del "$NS_B"

# 7. Without the optional ffi-rs binary: one clear line, exit 1.
mkdir "$TMP/app-no-optional"
cd "$TMP/app-no-optional"
npmq install --omit=optional "$TARBALL" >"$TMP/install2.log" 2>&1 || { cat "$TMP/install2.log" >&2; fail "npm install --omit=optional"; }
set +e
npx vethcon -n vcpack-none-a:x -n vcpack-none-b:y >"$TMP/out.txt" 2>"$TMP/err.txt"
status=$?
set -e
[ "$status" = 1 ] || fail "--omit=optional: exit $status, not 1: $(cat "$TMP/err.txt")"
[ "$(wc -l <"$TMP/err.txt")" = 1 ] || fail "--omit=optional: not one line: $(cat "$TMP/err.txt")"
grep -q '^vethcon: cannot load ffi-rs: .*--omit=optional' "$TMP/err.txt" || fail "--omit=optional: $(cat "$TMP/err.txt")"
say "installed with --omit=optional: exit 1, $(cat "$TMP/err.txt")"

say "all checks passed"
