#!/usr/bin/env bash
# capture-fixtures.sh: record golden netlink fixtures from real iproute2
# requests and real kernel replies (never from vethcon's own encoder).
#
# For every case it: deletes any leftover vcfx-* namespaces, runs the case's
# setup commands (untimed, not captured), runs the case's command under
# strace via nlcapture, decides the role of every datagram (request / reply /
# other) from the nlmsghdr, and writes fixtures/<area>/<case>.json.
# Finally it verifies the set and regenerates fixtures/README.md.
#
# Needs: root, iproute2 (ip), strace, python3 (stdlib only).
# Usage:  sudo scripts/capture-fixtures.sh            (all cases)
#         sudo scripts/capture-fixtures.sh link-add   (only cases whose name
#                                                      contains "link-add"; the
#                                                      other fixtures are kept)
# Env:    NLCAPTURE=/path/to/nlcapture  force this capture tool (see below).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/fixtures"
SHARED_NLCAPTURE="$ROOT/../shared/tools/nlcapture"
[ -x "$SHARED_NLCAPTURE" ] || SHARED_NLCAPTURE=/work/shared/tools/nlcapture
FILTER="${1:-}"
AREAS=(link addr route neigh nsid error)

[ "$(id -u)" = 0 ] || { echo "capture-fixtures: must run as root" >&2; exit 1; }
command -v ip >/dev/null || { echo "capture-fixtures: iproute2 'ip' missing" >&2; exit 1; }
command -v python3 >/dev/null || { echo "capture-fixtures: python3 missing" >&2; exit 1; }
if ! command -v strace >/dev/null; then
  echo "capture-fixtures: installing strace" >&2
  apt-get update -qq && apt-get install -y -qq strace >/dev/null
fi

TMP="$(mktemp -d /tmp/capture-fixtures.XXXXXX)"

del_namespaces() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^vcfx-' || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
}
cleanup() {
  local rc=$?
  del_namespaces
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

IPROUTE2_VERSION="$(ip -V | sed -n 's/.*iproute2-\([0-9][0-9.]*\).*/\1/p')"
KERNEL_VERSION="$(uname -r)"

# ---------------------------------------------------------------------------
# Capture tool.  /work/shared/tools/nlcapture recognises a netlink syscall by
# the text "AF_NETLINK" on strace's line, which strace only prints when the
# call carries a sockaddr.  iproute2 sends its dump requests and the empty
# RTM_NEWLINK probe with send()/sendto(fd, buf, len, 0, NULL, 0), so those
# datagrams are silently dropped and dump fixtures would have no request.
# This is the same strace invocation with that one thing fixed: the socket
# type is taken from strace -yy ("3<NETLINK:[...]>"), and MSG_PEEK reads are
# skipped so a peeked datagram can never be counted twice.  If the shared
# nlcapture passes the self-test below (it sees the sendto() dump request),
# it is used instead; NLCAPTURE=... forces a tool.
cat >"$TMP/nlcapture-fixed" <<'PY'
#!/usr/bin/env python3
import json, os, re, subprocess, sys, tempfile
argv = sys.argv[1:]
if "--" in argv:
    argv = argv[argv.index("--") + 1:]
with tempfile.TemporaryDirectory() as d:
    log = os.path.join(d, "strace.txt")
    rc = subprocess.call(["strace", "-f", "-qq", "-yy", "-e", "trace=sendmsg,recvmsg,sendto,recvfrom",
                          "-e", "write=all", "-e", "read=all", "-o", log] + argv)
    call = re.compile(r"^(?:\d+\s+)?(sendmsg|recvmsg|sendto|recvfrom)\(\d+<([^>]*)>")
    hexline = re.compile(r"^\s*\|\s*[0-9a-f]{5,}\s+((?:[0-9a-f]{2}\s{1,2})+)")
    out, current = [], None
    with open(log) as f:
        for line in f:
            m = call.match(line)
            if m:
                if current and current[1]:
                    out.append(current)
                current = None
                peek = re.search(r"MSG_PEEK[|A-Z_]*\)\s+=", line)
                if m.group(2).startswith("NETLINK") and not peek:
                    current = ("send" if m.group(1).startswith("send") else "recv", bytearray())
                continue
            h = hexline.match(line)
            if h and current is not None:
                current[1].extend(bytes.fromhex(h.group(1).replace(" ", "")))
    if current and current[1]:
        out.append(current)
    for direction, data in out:
        print(json.dumps({"dir": direction, "hex": data.hex()}))
sys.exit(rc)
PY
chmod +x "$TMP/nlcapture-fixed"

# Captures run in a private mount namespace whose /run/netns shows only the
# vcfx-* namespaces: iproute2 maps nsids to names by asking the kernel about
# every file in /run/netns (RTM_GETNSID with NETNSA_FD), so namespaces that
# other people keep on this host would otherwise show up in the fixtures.
cat >"$TMP/isolate" <<'SH'
#!/usr/bin/env bash
set -euo pipefail
keep="$(mktemp -d "${TMPDIR:-/tmp}/vcfx-ns.XXXXXX")"
for f in /run/netns/vcfx-*; do
  [ -e "$f" ] || continue
  touch "$keep/${f##*/}"; mount --bind "$f" "$keep/${f##*/}"
done
mount -t tmpfs -o mode=0755 vcfx-netns /run/netns
for f in "$keep"/*; do
  [ -e "$f" ] || continue
  touch "/run/netns/${f##*/}"; mount --bind "$f" "/run/netns/${f##*/}"
done
exec "$@"
SH
chmod +x "$TMP/isolate"

# ---------------------------------------------------------------------------
# Role logic and fixture writer.
cat >"$TMP/build.py" <<'PY'
import json, sys

NLMSG_ERROR, NLMSG_DONE = 2, 3
F_ACK, F_MULTI, F_CAPPED, F_ACK_TLVS, F_DUMP = 0x4, 0x2, 0x100, 0x200, 0x300

def msgs(b):
    """All nlmsghdrs in one datagram as (type, flags, seq, pid, offset, len)."""
    out, off = [], 0
    while off + 16 <= len(b):
        ln = int.from_bytes(b[off:off + 4], "little")
        out.append((int.from_bytes(b[off + 4:off + 6], "little"), int.from_bytes(b[off + 6:off + 8], "little"),
                    int.from_bytes(b[off + 8:off + 12], "little"), int.from_bytes(b[off + 12:off + 16], "little"),
                    off, ln))
        if ln < 16:
            break
        off += (ln + 3) & ~3
    return out

def is_probe(b):
    # iproute2's "does the kernel know RTM_NEWLINK" probe: bare ifinfomsg, no attributes
    m = msgs(b)
    return len(b) == 32 and m and m[0][0] == 16 and not any(b[16:])

def main():
    raw, stderr_file, rc, name, area, desc, cmd, spec, expect, out = sys.argv[1:11]
    setup = sys.argv[11:]
    lines = [json.loads(l) for l in open(raw) if l.startswith('{"dir"')]
    data = [bytes.fromhex(l["hex"]) for l in lines]
    # spec: TYPE[:FLAGS][@N] - the N-th (1-based; default: last) sent datagram
    # whose first nlmsghdr has this type and all of FLAGS set.
    nth = None
    if "@" in spec:
        spec, nth = spec.split("@")
        nth = int(nth)
    want_type, _, want_flags = spec.partition(":")
    want_type, want_flags = int(want_type, 0), int(want_flags or "0", 0)
    cands = [i for i, l in enumerate(lines)
             if l["dir"] == "send" and msgs(data[i]) and not is_probe(data[i])
             and msgs(data[i])[0][0] == want_type and msgs(data[i])[0][1] & want_flags == want_flags]
    roles = ["other"] * len(lines)
    problems = []
    if not cands:
        problems.append("no request datagram matched %s" % spec)
    else:
        req = cands[(nth - 1) if nth else -1]
        roles[req] = "request"
        _, rflags, rseq, _, _, _ = msgs(data[req])[0]
        dump = rflags & F_DUMP == F_DUMP
        pid = None
        for j in range(req + 1, len(lines)):
            if lines[j]["dir"] != "recv":
                continue
            ms = msgs(data[j])
            if not ms or ms[0][2] != rseq or (pid is not None and ms[0][3] != pid):
                continue
            pid = ms[0][3]          # the first answer tells the requesting socket's port id
            roles[j] = "reply"
            types = [m[0] for m in ms]
            if NLMSG_ERROR in types or NLMSG_DONE in types:
                break
            if not dump and not (rflags & F_ACK) and not (ms[-1][1] & F_MULTI):
                break
        if "reply" not in roles:
            problems.append("no reply")
    replies = [data[i] for i, r in enumerate(roles) if r == "reply"]
    err = None
    for b in replies:
        for t, fl, _, _, off, ln in msgs(b):
            if t == NLMSG_ERROR:
                err = int.from_bytes(b[off + 16:off + 20], "little", signed=True)
                tlv = {}
                if fl & F_ACK_TLVS:
                    echo = 16 if fl & F_CAPPED else int.from_bytes(b[off + 20:off + 24], "little")
                    p = off + 20 + ((echo + 3) & ~3)
                    while p + 4 <= off + ln:
                        al, at = int.from_bytes(b[p:p + 2], "little"), int.from_bytes(b[p + 2:p + 4], "little") & 0x3fff
                        if al < 4:
                            break
                        tlv[at] = b[p + 4:p + al]
                        p += (al + 3) & ~3
                if expect == "err-tlv" and not (fl & F_ACK_TLVS and 1 in tlv):
                    problems.append("error reply lacks NLM_F_ACK_TLVS + NLMSGERR_ATTR_MSG")
    if expect == "ok" and err not in (None, 0):
        problems.append("expected success, kernel answered errno %d" % -err)
    if expect.startswith("err") and not err:
        problems.append("expected an error, kernel answered %r" % err)
    fixture = {
        "name": name,
        "description": desc,
        "command": cmd,
        "setup": setup,
        "iproute2": VERSIONS[0],
        "kernel": VERSIONS[1],
        "exit_status": int(rc),
        "stderr": open(stderr_file).read().strip(),
        "messages": [{"dir": l["dir"], "hex": l["hex"], "role": r} for l, r in zip(lines, roles)],
    }
    if problems:
        print("%s: %s" % (name, "; ".join(problems)), file=sys.stderr)
        sys.exit(3)
    with open(out, "w") as f:
        json.dump(fixture, f, indent=2)
        f.write("\n")

import os
VERSIONS = (os.environ["IPROUTE2_VERSION"], os.environ["KERNEL_VERSION"])
main()
PY
export IPROUTE2_VERSION KERNEL_VERSION

# ---------------------------------------------------------------------------
# Pick the capture tool.
if [ -n "${NLCAPTURE:-}" ]; then
  CAPTURE="$NLCAPTURE"
else
  CAPTURE="$TMP/nlcapture-fixed"
  if [ -x "$SHARED_NLCAPTURE" ]; then
    del_namespaces
    ip netns add vcfx-selftest
    if "$SHARED_NLCAPTURE" -- ip -n vcfx-selftest link show 2>/dev/null | python3 -c '
import json, sys
ok = False
for l in sys.stdin:
    if l.startswith("{\"dir\""):
        d = json.loads(l); b = bytes.fromhex(d["hex"])
        ok |= d["dir"] == "send" and len(b) >= 8 and b[4] == 18 and b[6] & 3 == 3
sys.exit(0 if ok else 1)'; then
      CAPTURE="$SHARED_NLCAPTURE"
    else
      echo "capture-fixtures: $SHARED_NLCAPTURE drops sendto() datagrams (dump requests); using the fixed copy" >&2
    fi
    ip netns del vcfx-selftest
  fi
fi
echo "capture-fixtures: capturing with $CAPTURE (iproute2 $IPROUTE2_VERSION, kernel $KERNEL_VERSION)" >&2

mkdir -p "$TMP/out"
for a in "${AREAS[@]}"; do mkdir -p "$TMP/out/$a"; done
FAILED=()
COUNT=0

# setup CMD... : the setup commands of the next case (run in order, untimed, not captured)
SETUP=()
setup() { SETUP=("$@"); }

# run AREA NAME EXPECT SPEC DESCRIPTION COMMAND
#   EXPECT: ok | err (any error reply) | err-tlv (error reply must carry extended-ACK TLVs)
#   SPEC:   which sent datagram is the request, TYPE[:FLAGS][@N] (see build.py)
run() {
  local area=$1 name=$2 expect=$3 spec=$4 desc=$5 cmd=$6 s rc
  if [ -n "$FILTER" ] && [[ "$name" != *"$FILTER"* ]]; then return 0; fi
  del_namespaces
  for s in "${SETUP[@]}"; do
    if ! eval "$s" >/dev/null 2>"$TMP/setup.err"; then
      echo "capture-fixtures: $name: setup failed: $s: $(cat "$TMP/setup.err")" >&2
      FAILED+=("$name"); return 0
    fi
  done
  local -a argv
  eval "argv=($cmd)"
  rc=0
  TMPDIR="$TMP" unshare --mount --propagation private "$TMP/isolate" \
    "$CAPTURE" -- "${argv[@]}" >"$TMP/raw.jsonl" 2>"$TMP/stderr.txt" || rc=$?
  if python3 "$TMP/build.py" "$TMP/raw.jsonl" "$TMP/stderr.txt" "$rc" "$name" "$area" "$desc" "$cmd" \
       "$spec" "$expect" "$TMP/out/$area/$name.json" "${SETUP[@]}"; then
    COUNT=$((COUNT + 1))
    echo "  $area/$name.json" >&2
  else
    echo "capture-fixtures: $name: skipped (exit $rc: $(tr '\n' ' ' <"$TMP/stderr.txt"))" >&2
    FAILED+=("$name")
  fi
  del_namespaces
}

NS_A="ip netns add vcfx-a"
NS_B="ip netns add vcfx-b"
VETH="ip -n vcfx-a link add va0 address 02:00:00:00:00:01 type veth peer name vb0 address 02:00:00:00:00:02"
VETH1="ip -n vcfx-a link add va1 address 02:00:00:00:00:03 type veth peer name vb1 address 02:00:00:00:00:04"
BRIDGE="ip -n vcfx-a link add br0 address 02:00:00:00:00:10 type bridge"
UP="ip -n vcfx-a link set dev va0 up"
UPB="ip -n vcfx-a link set dev vb0 up"
ADDR4="ip -n vcfx-a addr add 10.200.1.1/24 dev va0"
ADDR6="ip -n vcfx-a addr add 2001:db8:1::1/64 dev va0 nodad"

# ----------------------------------------------------------------- link ----
setup "$NS_A"
run link link-add-veth ok 16:0x400 \
  "Create a veth pair va0/vb0 in one namespace (RTM_NEWLINK, NLM_F_CREATE|NLM_F_EXCL, IFLA_LINKINFO/veth with the peer's ifinfomsg and IFLA_IFNAME in VETH_INFO_PEER); the kernel acks." \
  "ip -n vcfx-a link add va0 type veth peer name vb0"

setup "$NS_A" "$NS_B"
run link link-add-veth-peer-netns ok 16:0x400 \
  "Create veth va0 in vcfx-a whose peer vb0 is created directly in vcfx-b (IFLA_NET_NS_FD inside VETH_INFO_PEER; the fd number is process-chosen); the kernel acks." \
  "ip -n vcfx-a link add va0 type veth peer name vb0 netns vcfx-b"

setup "$NS_A"
run link link-add-veth-address-mtu ok 16:0x400 \
  "Create a veth pair with IFLA_ADDRESS and IFLA_MTU given for both ends (the peer's inside VETH_INFO_PEER); the kernel acks." \
  "ip -n vcfx-a link add va0 address 02:00:00:00:00:01 mtu 1400 type veth peer name vb0 address 02:00:00:00:00:02 mtu 1400"

setup "$NS_A" "$VETH"
run link link-add-vxlan ok 16:0x400 \
  "Create vxlan vx0 (VNI 42, local 10.200.0.1, remote 10.200.0.2, dstport 4789, lower device va0 by ifindex); the kernel acks." \
  "ip -n vcfx-a link add vx0 type vxlan id 42 local 10.200.0.1 remote 10.200.0.2 dstport 4789 dev va0"

setup "$NS_A" "$VETH"
run link link-add-macvlan-bridge ok 16:0x400 \
  "Create macvlan mv0 in bridge mode on parent va0 (IFLA_LINK + IFLA_MACVLAN_MODE=4); the kernel acks." \
  "ip -n vcfx-a link add mv0 link va0 type macvlan mode bridge"

setup "$NS_A"
run link link-add-bridge ok 16:0x400 \
  "Create bridge br0 (IFLA_LINKINFO with only IFLA_INFO_KIND=bridge); the kernel acks." \
  "ip -n vcfx-a link add br0 type bridge"

setup "$NS_A" "$VETH"
run link link-add-vlan-unsupported err-tlv 16:0x400 \
  "Create 802.1Q vlan va0.10 (id 10) on va0; this kernel has no vlan support, so it answers EOPNOTSUPP with extack \"Unknown device type\"." \
  "ip -n vcfx-a link add va0.10 link va0 type vlan id 10"

setup "$NS_A" "$VETH"
run link link-add-ipvlan-unsupported err-tlv 16:0x400 \
  "Create ipvlan iv0 (mode l2) on va0; this kernel has no ipvlan support, so it answers EOPNOTSUPP with extack \"Unknown device type\"." \
  "ip -n vcfx-a link add iv0 link va0 type ipvlan mode l2"

setup "$NS_A" "$VETH"
run link link-add-vlan-8021ad-unsupported err-tlv 16:0x400 \
  "Create 802.1ad vlan va0.20 (id 20, IFLA_VLAN_PROTOCOL big-endian 0x88a8) on va0; this kernel has no vlan support, so it answers EOPNOTSUPP with extack \"Unknown device type\"." \
  "ip -n vcfx-a link add va0.20 link va0 type vlan protocol 802.1ad id 20"

setup "$NS_A" "$VETH"
run link link-add-ipvlan-l3-private-unsupported err-tlv 16:0x400 \
  "Create ipvlan iv1 (mode l3, flag private: IFLA_IPVLAN_MODE=1 and IFLA_IPVLAN_FLAGS=1, both u16) on va0; this kernel has no ipvlan support, so it answers EOPNOTSUPP with extack \"Unknown device type\"." \
  "ip -n vcfx-a link add iv1 link va0 type ipvlan mode l3 private"

setup "$NS_A" "$VETH"
run link link-add-macvtap-vepa ok 16:0x400 \
  "Create macvtap mt0 in vepa mode on parent va0 (IFLA_LINK + IFLA_MACVLAN_MODE=2); the kernel acks." \
  "ip -n vcfx-a link add mt0 link va0 type macvtap mode vepa"

setup "$NS_A"
run link link-add-vxlan-ttl-nolearning ok 16:0x400 \
  "Create vxlan vx1 (VNI 7, remote 10.200.0.2, ttl 64, nolearning, dstport 4790, no lower device); the kernel acks." \
  "ip -n vcfx-a link add vx1 type vxlan id 7 remote 10.200.0.2 ttl 64 nolearning dstport 4790"

# Ends of other kinds (vethcon's -x/-M/-V): the link is created in its end's
# namespace vcfx-a on a parent va0 in vcfx-b, named through IFLA_LINK_NETNSID
# (vcfx-b is nsid 0 in vcfx-a). iproute2 looks the parent's name up in vcfx-a,
# so vcfx-a holds a decoy va0 with the same ifindex (2) as the real one; the
# kernel resolves the ifindex in vcfx-b. The `netns` cases are the other way:
# created in the parent's namespace and placed in vcfx-a (IFLA_NET_NS_FD).
KIND_PARENT="ip -n vcfx-b link add vb0 type veth peer name va0"
KIND_DECOY="ip -n vcfx-a link add dd0 type veth peer name va0"
KIND_NSID="ip -n vcfx-a netns set vcfx-b 0"
setup "$NS_A" "$NS_B" "$KIND_PARENT" "$KIND_DECOY" "$KIND_NSID"
run link link-add-vxlan-link-netnsid ok 16:0x400 \
  "Create vxlan vx0 in vcfx-a on parent va0 of vcfx-b (IFLA_LINK_NETNSID 0, IFLA_VXLAN_LINK = va0's ifindex there), in link group 0x76012345 (VNI 42, remote 10.200.0.2, dstport 4789); the kernel acks." \
  "ip -n vcfx-a link add vx0 mtu 1400 link-netnsid 0 group 1979786053 type vxlan id 42 remote 10.200.0.2 dev va0 dstport 4789"

setup "$NS_A" "$NS_B" "$KIND_PARENT" "$KIND_DECOY" "$KIND_NSID"
run link link-add-macvlan-link-netnsid ok 16:0x400 \
  "Create macvlan mv0 (bridge mode) in vcfx-a on parent va0 of vcfx-b (IFLA_LINK + IFLA_LINK_NETNSID 0), with a MAC, in link group 0x76012345; the kernel acks." \
  "ip -n vcfx-a link add link va0 name mv0 address 02:00:00:00:00:0b link-netnsid 0 group 1979786053 type macvlan mode bridge"

setup "$NS_A" "$NS_B" "$KIND_PARENT" "$KIND_DECOY" "$KIND_NSID"
run link link-add-vlan-link-netnsid-unsupported err-tlv 16:0x400 \
  "Create vlan vl0 (id 10) in vcfx-a on parent va0 of vcfx-b (IFLA_LINK + IFLA_LINK_NETNSID 0), in link group 0x76012345; this kernel has no vlan support, so it answers EOPNOTSUPP with extack \"Unknown device type\"." \
  "ip -n vcfx-a link add link va0 name vl0 link-netnsid 0 group 1979786053 type vlan id 10"

setup "$NS_A" "$NS_B" "$KIND_PARENT"
run link link-add-vxlan-netns ok 16:0x400 \
  "Create vxlan vx0 in vcfx-b on its va0 and place it in vcfx-a at creation (IFLA_NET_NS_FD; the fd number is process-chosen), VNI 42, remote 10.200.0.2, dstport 4789; the kernel acks." \
  "ip -n vcfx-b link add vx0 netns vcfx-a type vxlan id 42 remote 10.200.0.2 dev va0 dstport 4789"

setup "$NS_A" "$NS_B" "$KIND_PARENT"
run link link-add-macvlan-netns ok 16:0x400 \
  "Create macvlan mv0 (bridge mode) in vcfx-b on parent va0 and place it in vcfx-a at creation (IFLA_LINK + IFLA_NET_NS_FD); the kernel acks." \
  "ip -n vcfx-b link add link va0 name mv0 netns vcfx-a type macvlan mode bridge"

setup "$NS_A" "$NS_B" "$KIND_PARENT"
run link link-add-vlan-netns-unsupported err-tlv 16:0x400 \
  "Create vlan vl0 (id 10) in vcfx-b on parent va0, placed in vcfx-a at creation (IFLA_LINK + IFLA_NET_NS_FD); this kernel has no vlan support, so it answers EOPNOTSUPP with extack \"Unknown device type\"." \
  "ip -n vcfx-b link add link va0 name vl0 netns vcfx-a type vlan id 10"

setup "$NS_A"
run link link-add-bridge-options ok 16:0x400 \
  "Create bridge br1 with forward delay 4 s and ageing time 300 s (centiseconds) and multicast snooping off (IFLA_BR_FORWARD_DELAY, IFLA_BR_AGEING_TIME, IFLA_BR_MCAST_SNOOPING); the kernel acks." \
  "ip -n vcfx-a link add br1 type bridge forward_delay 400 ageing_time 30000 mcast_snooping 0"

setup "$NS_A" "$VETH"
run link link-set-up ok 16 \
  "Set va0 up (RTM_NEWLINK by ifindex with ifi_flags=ifi_change=IFF_UP, no attributes); the kernel acks." \
  "ip -n vcfx-a link set dev va0 up"

setup "$NS_A" "$VETH" "$UP"
run link link-set-down ok 16 \
  "Set va0 down (RTM_NEWLINK with ifi_change=IFF_UP, ifi_flags=0); the kernel acks." \
  "ip -n vcfx-a link set dev va0 down"

setup "$NS_A" "$VETH"
run link link-set-mtu ok 16 \
  "Set va0's MTU to 1400 (IFLA_MTU); the kernel acks." \
  "ip -n vcfx-a link set dev va0 mtu 1400"

setup "$NS_A" "$VETH"
run link link-set-address ok 16 \
  "Set va0's MAC address to 02:00:00:00:00:0a (IFLA_ADDRESS); the kernel acks." \
  "ip -n vcfx-a link set dev va0 address 02:00:00:00:00:0a"

setup "$NS_A" "$VETH"
run link link-set-name ok 16 \
  "Rename va0 to vc0 (IFLA_IFNAME on an ifindex-addressed RTM_NEWLINK); the kernel acks." \
  "ip -n vcfx-a link set dev va0 name vc0"

setup "$NS_A" "$VETH"
run link link-set-alias ok 16 \
  "Set va0's alias to \"hello\" (IFLA_IFALIAS, sent by iproute2 without a trailing NUL); the kernel acks." \
  "ip -n vcfx-a link set dev va0 alias \"hello\""

# vethcon's ownership mark (src/wire/mark.ts): the kernel ignores IFLA_IFALIAS
# in a creation, so a new pair is tagged with a link group (IFLA_GROUP, which
# a creation does apply, to the peer too), the alias is set on that group in
# the same send, and completion puts the link back in group 0.
MARK_GROUP=1979786053
setup "$NS_A" "$NS_B"
run link link-add-veth-group ok 16:0x400 \
  "Create veth va0 in vcfx-a in link group 1979786053 (0x76012345, IFLA_GROUP), its peer vb0 directly in vcfx-b in the same group (IFLA_NET_NS_FD and IFLA_GROUP inside VETH_INFO_PEER); the kernel acks." \
  "ip -n vcfx-a link add va0 group $MARK_GROUP type veth peer name vb0 netns vcfx-b group $MARK_GROUP"

setup "$NS_A" "$VETH" "ip -n vcfx-a link set dev va0 group $MARK_GROUP"
run link link-set-group-alias ok 16 \
  "Set the alias of every link in group 1979786053 (RTM_NEWLINK with ifindex 0 and no name: IFLA_GROUP selecting the links, then IFLA_IFALIAS); the kernel acks." \
  "ip -n vcfx-a link set group $MARK_GROUP alias \"vethcon:v1:0123456789abcdef:pending:pid=4242:start=123456:pidns=4026531836\""

setup "$NS_A" "$VETH" "ip -n vcfx-a link set dev va0 group $MARK_GROUP"
run link link-set-up-group-alias ok 16 \
  "Set va0 up, back in group 0 and its alias to \"vethcon:v1:0123456789abcdef\" in one RTM_NEWLINK (IFF_UP, IFLA_GROUP, IFLA_IFALIAS); the kernel acks." \
  "ip -n vcfx-a link set dev va0 up group 0 alias \"vethcon:v1:0123456789abcdef\""

setup "$NS_A" "$NS_B" "$VETH"
run link link-set-netns ok 16 \
  "Move va0 into namespace vcfx-b (IFLA_NET_NS_FD; the fd number is process-chosen); the kernel acks." \
  "ip -n vcfx-a link set dev va0 netns vcfx-b"

setup "$NS_A" "$VETH" "$BRIDGE"
run link link-set-master ok 16 \
  "Enslave va0 to bridge br0 (IFLA_MASTER with br0's ifindex); the kernel acks." \
  "ip -n vcfx-a link set dev va0 master br0"

setup "$NS_A" "$VETH" "$BRIDGE" "ip -n vcfx-a link set dev va0 master br0"
run link link-set-nomaster ok 16 \
  "Release va0 from its bridge (IFLA_MASTER=0); the kernel acks." \
  "ip -n vcfx-a link set dev va0 nomaster"

setup "$NS_A" "$VETH"
run link link-del ok 17 \
  "Delete va0, which also removes its peer vb0 (RTM_DELLINK by ifindex); the kernel acks." \
  "ip -n vcfx-a link del dev va0"

setup "$NS_A" "$VETH"
run link link-get ok 18@2 \
  "Get one link by name (RTM_GETLINK, ifi_family AF_PACKET, ifi_index 0, IFLA_IFNAME va0, IFLA_EXT_MASK=RTEXT_FILTER_VF, no NLM_F_DUMP); the kernel answers a single RTM_NEWLINK for va0. The other RTM_GETLINKs (the name-to-index lookup before it and the peer-index lookup after it) are 'other'." \
  "ip -n vcfx-a link show dev va0"

LINKDUMP_SETUP=("$NS_A" "$NS_B"
  "ip -n vcfx-a link add va0 address 02:00:00:00:00:01 type veth peer name vb0 address 02:00:00:00:00:02 netns vcfx-b"
  "$BRIDGE"
  "ip -n vcfx-a link add vx0 address 02:00:00:00:00:20 type vxlan id 42 local 10.200.0.1 remote 10.200.0.2 dstport 4789 dev va0"
  "ip -n vcfx-a link add mv0 link va0 address 02:00:00:00:00:30 type macvlan mode bridge")
setup "${LINKDUMP_SETUP[@]}"
run link link-dump ok 18:0x300 \
  "Dump all links of a namespace holding lo, veth va0 (peer in vcfx-b, so IFLA_LINK_NETNSID), bridge br0, vxlan vx0 and macvlan mv0; the kernel answers a multipart RTM_NEWLINK dump ending in NLMSG_DONE." \
  "ip -n vcfx-a link show"

setup "${LINKDUMP_SETUP[@]}"
run link link-dump-detailed ok 18:0x300 \
  "Same namespace as link-dump, dumped by ip -d (the request is identical in kind; the kernel's multipart answer carries full IFLA_LINKINFO/INFO_DATA per link)." \
  "ip -n vcfx-a -d link show"

# Attributes the kernel and iproute2 flag NLA_F_NESTED (the tables must set the
# flag on objects built from scratch), and one the tables keep as raw bytes.
setup "$NS_A" "$VETH"
run link link-property-add-altname ok 108 \
  "Add the alternative name vcfx-alt0 to va0 (RTM_NEWLINKPROP; iproute2 flags IFLA_PROP_LIST NLA_F_NESTED around IFLA_ALT_IFNAME); the kernel acks." \
  "ip -n vcfx-a link property add dev va0 altname vcfx-alt0"

setup "$NS_A" "$VETH" "ip -n vcfx-a link property add dev va0 altname vcfx-alt0"
run link link-property-del-altname ok 109 \
  "Remove the alternative name vcfx-alt0 from va0 (RTM_DELLINKPROP with IFLA_PROP_LIST flagged NLA_F_NESTED around IFLA_ALT_IFNAME); the kernel acks." \
  "ip -n vcfx-a link property del dev va0 altname vcfx-alt0"

setup "$NS_A" "$VETH" "ip -n vcfx-a link property add dev va0 altname vcfx-alt0"
run link link-get-altname ok 18@2 \
  "Get va0, which has the alternative name vcfx-alt0; the kernel's RTM_NEWLINK carries IFLA_PROP_LIST flagged NLA_F_NESTED holding IFLA_ALT_IFNAME. The other RTM_GETLINKs (name lookup before, peer lookup after) are 'other'." \
  "ip -n vcfx-a link show dev va0"

setup "$NS_A" "ip -n vcfx-a link add br0 address 02:00:00:00:00:10 type bridge mcast_querier 1"
run link link-get-bridge-querier ok 18@2 \
  "Get bridge br0 (down, multicast querier on) with details; its IFLA_INFO_DATA carries IFLA_BR_MCAST_QUERIER_STATE flagged NLA_F_NESTED (BRIDGE_QUERIER_IP_ADDRESS 0.0.0.0 and BRIDGE_QUERIER_IPV6_ADDRESS). The name lookup before it is 'other'." \
  "ip -n vcfx-a -d link show dev br0"

setup "$NS_A" "$VETH" "$BRIDGE" "ip -n vcfx-a link set dev va0 master br0"
run link link-dump-bridge-family ok 18:0x300 \
  "iproute2's bridge tool dumps the AF_BRIDGE view of the links (RTM_GETLINK, family AF_BRIDGE); the kernel's RTM_NEWLINK for port va0 carries IFLA_PROTINFO flagged NLA_F_NESTED (the IFLA_BRPORT_* of the port), a form the IFLA table keeps as raw bytes (#32780)." \
  "bridge -n vcfx-a -d link show"

# ----------------------------------------------------------------- addr ----
setup "$NS_A" "$VETH"
run addr addr-add-ipv4 ok 20:0x400 \
  "Add 10.200.1.1/24 to va0 (RTM_NEWADDR with IFA_LOCAL and IFA_ADDRESS); the kernel acks." \
  "ip -n vcfx-a addr add 10.200.1.1/24 dev va0"

setup "$NS_A" "$VETH"
run addr addr-add-ipv4-broadcast ok 20:0x400 \
  "Add 10.200.1.1/24 with \"broadcast +\" so iproute2 computes and sends IFA_BROADCAST 10.200.1.255; the kernel acks." \
  "ip -n vcfx-a addr add 10.200.1.1/24 broadcast + dev va0"

setup "$NS_A" "$VETH"
run addr addr-add-ipv4-label ok 20:0x400 \
  "Add 10.200.1.2/24 to va0 with label va0:foo (IFA_LABEL); the kernel acks." \
  "ip -n vcfx-a addr add 10.200.1.2/24 dev va0 label va0:foo"

setup "$NS_A" "$VETH"
run addr addr-add-ipv6-nodad ok 20:0x400 \
  "Add 2001:db8:1::1/64 to va0 with nodad (IFA_F_NODAD in ifa_flags); the kernel acks." \
  "ip -n vcfx-a addr add 2001:db8:1::1/64 dev va0 nodad"

setup "$NS_A" "$VETH" "$ADDR4"
run addr addr-del-ipv4 ok 21 \
  "Delete 10.200.1.1/24 from va0 (RTM_DELADDR); the kernel acks." \
  "ip -n vcfx-a addr del 10.200.1.1/24 dev va0"

setup "$NS_A" "$VETH" "$VETH1" "$ADDR4" \
  "ip -n vcfx-a addr add 10.200.1.2/24 dev va0 label va0:foo" \
  "ip -n vcfx-a addr add 198.18.0.1/15 dev va0" \
  "ip -n vcfx-a addr add 10.200.2.1/24 dev va1" \
  "$ADDR6" \
  "ip -n vcfx-a addr add 2001:db8:2::1/64 dev va1 nodad" \
  "ip -n vcfx-a addr add 2001:db8:2::2/64 dev va1 nodad"
run addr addr-dump ok 22:0x300 \
  "Dump all addresses (links down, so no link-local or loopback addresses): four IPv4 and three IPv6 on va0/va1; the kernel answers a multipart RTM_NEWADDR dump ending in NLMSG_DONE (iproute2's preceding link dump is 'other')." \
  "ip -n vcfx-a addr show"

# ---------------------------------------------------------------- route ----
ROUTE_BASE=("$NS_A" "$VETH" "$UP" "$UPB" "$ADDR4")
setup "${ROUTE_BASE[@]}"
run route route-add-ipv4-via ok 24:0x400 \
  "Add 10.200.50.0/24 via 10.200.1.254 (RTM_NEWROUTE with RTA_DST and RTA_GATEWAY, no device); the kernel acks." \
  "ip -n vcfx-a route add 10.200.50.0/24 via 10.200.1.254"

setup "${ROUTE_BASE[@]}"
run route route-add-ipv4-dev-metric-table ok 24:0x400 \
  "Add 10.200.51.0/24 dev va0 metric 100 in table 100 (table only in rtm_table since it is < 256, then RTA_DST, RTA_PRIORITY, RTA_OIF); the kernel acks." \
  "ip -n vcfx-a route add 10.200.51.0/24 dev va0 metric 100 table 100"

setup "${ROUTE_BASE[@]}" "$ADDR6"
run route route-add-ipv6-via ok 24:0x400 \
  "Add 2001:db8:50::/64 via 2001:db8:1::fe (AF_INET6 RTM_NEWROUTE); the kernel acks." \
  "ip -n vcfx-a -6 route add 2001:db8:50::/64 via 2001:db8:1::fe"

setup "${ROUTE_BASE[@]}" "$VETH1" "ip -n vcfx-a link set dev va1 up" "ip -n vcfx-a link set dev vb1 up" \
  "ip -n vcfx-a addr add 10.200.2.1/24 dev va1"
run route route-add-multipath ok 24:0x400 \
  "Add 10.200.52.0/24 with two nexthops (RTA_MULTIPATH holding two rtnexthop entries, each with a nested RTA_GATEWAY); the kernel acks." \
  "ip -n vcfx-a route add 10.200.52.0/24 nexthop via 10.200.1.254 dev va0 nexthop via 10.200.2.254 dev va1"

setup "${ROUTE_BASE[@]}" "ip -n vcfx-a route add 10.200.50.0/24 via 10.200.1.254"
run route route-replace ok 24:0x500 \
  "Replace 10.200.50.0/24's gateway with 10.200.1.253 (RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE); the kernel acks." \
  "ip -n vcfx-a route replace 10.200.50.0/24 via 10.200.1.253"

setup "${ROUTE_BASE[@]}" "ip -n vcfx-a route add 10.200.50.0/24 via 10.200.1.254"
run route route-del ok 25 \
  "Delete 10.200.50.0/24 via 10.200.1.254 (RTM_DELROUTE); the kernel acks." \
  "ip -n vcfx-a route del 10.200.50.0/24 via 10.200.1.254"

# shellcheck disable=SC2016 # the loop is expanded by eval when the setup runs
setup "${ROUTE_BASE[@]}" \
  'for i in $(seq 0 1999); do echo "route add 198.18.$((i / 256)).$((i % 256))/32 dev va0"; done | ip -n vcfx-a -batch -'
run route route-dump-ipv4 ok 26:0x300 \
  "Dump the IPv4 main table (request carries RTA_TABLE=254) holding 2001 routes (2000 /32s in 198.18.0.0/15 plus 10.200.1.0/24); the kernel answers a multipart RTM_NEWROUTE dump (NLM_F_MULTI|NLM_F_DUMP_FILTERED) over several datagrams, ending in NLMSG_DONE." \
  "ip -n vcfx-a route show"

setup "${ROUTE_BASE[@]}" "$ADDR6" "ip -n vcfx-a -6 route add 2001:db8:50::/64 via 2001:db8:1::fe"
run route route-dump-ipv6 ok 26:0x300 \
  "Dump the IPv6 main table (connected 2001:db8:1::/64, gateway route 2001:db8:50::/64, fe80::/64 on va0 and on vb0); the kernel answers a multipart RTM_NEWROUTE dump (NLM_F_MULTI|NLM_F_DUMP_FILTERED) ending in NLMSG_DONE." \
  "ip -n vcfx-a -6 route show"

setup "${ROUTE_BASE[@]}"
run route route-get-ipv4 ok 26 \
  "Look up the route to 10.200.1.9 (RTM_GETROUTE with RTA_DST, no dump); the kernel answers one RTM_NEWROUTE with RTM_F_CLONED, RTA_TABLE, RTA_DST, RTA_OIF, RTA_PREFSRC, RTA_UID and RTA_CACHEINFO." \
  "ip -n vcfx-a route get 10.200.1.9"

# ---------------------------------------------------------------- neigh ----
setup "$NS_A" "$VETH"
run neigh neigh-add-permanent ok 28:0x400 \
  "Add a permanent neighbour 10.200.1.9 -> 02:00:00:00:00:09 on va0 (RTM_NEWNEIGH, NUD_PERMANENT, NDA_DST, NDA_LLADDR); the kernel acks." \
  "ip -n vcfx-a neigh add 10.200.1.9 lladdr 02:00:00:00:00:09 dev va0 nud permanent"

setup "$NS_A" "$VETH" \
  "ip -n vcfx-a neigh add 10.200.1.9 lladdr 02:00:00:00:00:09 dev va0 nud permanent"
run neigh neigh-del ok 29 \
  "Delete neighbour 10.200.1.9 on va0 (RTM_DELNEIGH); the kernel acks." \
  "ip -n vcfx-a neigh del 10.200.1.9 dev va0"

setup "$NS_A" "$VETH" \
  "ip -n vcfx-a neigh add 10.200.1.9 lladdr 02:00:00:00:00:09 dev va0 nud permanent" \
  "ip -n vcfx-a neigh add 10.200.1.10 lladdr 02:00:00:00:00:0a dev va0 nud permanent" \
  "ip -n vcfx-a neigh add 2001:db8:1::9 lladdr 02:00:00:00:00:09 dev va0 nud permanent"
run neigh neigh-dump ok 30:0x300 \
  "Dump the neighbour tables holding three permanent entries (two IPv4, one IPv6) on va0 (links kept down, so no kernel-made ff02:: NOARP entries); the kernel answers a multipart RTM_NEWNEIGH dump ending in NLMSG_DONE." \
  "ip -n vcfx-a neigh show"

# ----------------------------------------------------------------- nsid ----
setup "$NS_A" "$NS_B"
run nsid nsid-set ok 88 \
  "From inside vcfx-a, assign nsid 7 to namespace vcfx-b (RTM_NEWNSID with NETNSA_NSID and NETNSA_FD); the kernel acks." \
  "ip -n vcfx-a netns set vcfx-b 7"

setup "$NS_A" "$NS_B" "ip -n vcfx-a netns set vcfx-b 7"
run nsid nsid-list ok 90:0x300 \
  "List the nsids vcfx-a knows (RTM_GETNSID dump); the kernel answers one RTM_NEWNSID (nsid 7) plus NLMSG_DONE. The non-dump RTM_GETNSIDs with NETNSA_FD are iproute2 mapping /run/netns names to ids ('other')." \
  "ip -n vcfx-a netns list-id"

setup "$NS_A" "$NS_B" "ip -n vcfx-a netns set vcfx-b 7"
run nsid nsid-get ok 90 \
  "From inside vcfx-a, ask the nsid of a namespace given by an open file (RTM_GETNSID with NETNSA_FD, not a dump): ip netns list asks it for every file in /run/netns; this is the last of those, and the kernel answers one RTM_NEWNSID (NETNSA_NSID: 7 for vcfx-b, -1 (not assigned) for vcfx-a itself)." \
  "ip -n vcfx-a netns list"

# ---------------------------------------------------------------- error ----
setup "${ROUTE_BASE[@]}"
run error error-route-invalid-gateway err-tlv 24:0x400 \
  "Add a route via 10.200.99.1 on va0, a gateway that is not on any connected network; the kernel answers ENETUNREACH with extack \"Nexthop has invalid gateway\"." \
  "ip -n vcfx-a route add 10.200.50.0/24 via 10.200.99.1 dev va0"

setup "${ROUTE_BASE[@]}"
run error error-route-invalid-prefix err-tlv 24:0x400 \
  "Add 10.200.1.1/24 (host bits set) dev va0; the kernel answers EINVAL with extack \"Invalid prefix for given prefix length\"." \
  "ip -n vcfx-a route add 10.200.1.1/24 dev va0"

setup "$NS_A" "$VETH"
run error error-addr-del-missing err-tlv 21 \
  "Delete 10.200.9.9/24, which va0 does not have; the kernel answers EADDRNOTAVAIL with extack \"ipv4: Address not found\"." \
  "ip -n vcfx-a addr del 10.200.9.9/24 dev va0"

setup "$NS_A" "$VETH"
run error error-link-altname-too-long err-tlv 108 \
  "Add a 130-character alternative name to va0 (RTM_NEWLINKPROP with IFLA_PROP_LIST/IFLA_ALT_IFNAME); the kernel answers ERANGE with extack \"Attribute failed policy validation\", NLMSGERR_ATTR_OFFS and NLMSGERR_ATTR_POLICY." \
  "ip -n vcfx-a link property add dev va0 altname xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

setup "$NS_A" "$VETH"
run error error-link-mtu-too-small err-tlv 16 \
  "Set va0's MTU to 10, below the device minimum; the kernel answers EINVAL with extack \"mtu less than device minimum\"." \
  "ip -n vcfx-a link set dev va0 mtu 10"

setup "$NS_A" "$NS_B" "ip -n vcfx-a netns set vcfx-b 7"
run error error-nsid-already-assigned err-tlv 88 \
  "Assign nsid 8 to vcfx-b, which already has nsid 7 in vcfx-a; the kernel answers EEXIST with extack \"Peer netns already has a nsid assigned\" and NLMSGERR_ATTR_OFFS." \
  "ip -n vcfx-a netns set vcfx-b 8"

setup "$NS_A" "$VETH" "$UP" "$UPB" "$ADDR4"
run error error-neigh-invalid-lladdr err-tlv 28:0x400 \
  "Add a neighbour with a 2-byte link-layer address on an Ethernet device; the kernel answers EINVAL with extack \"Invalid link address\"." \
  "ip -n vcfx-a neigh add 10.200.1.9 lladdr 02:00 dev va0"

setup "$NS_A" "$VETH"
run error error-link-add-exists err 16:0x400 \
  "Create veth va0 when a link named va0 already exists (NLM_F_EXCL); the kernel answers a plain EEXIST without extended-ACK attributes." \
  "ip -n vcfx-a link add va0 type veth peer name vb9"

# ---------------------------------------------------------------------------
# Install the new fixtures: a full run replaces every area; a filtered run
# only replaces the files it regenerated.
if [ -z "$FILTER" ]; then
  for a in "${AREAS[@]}"; do rm -rf "${OUT:?}/$a"; done
fi
mkdir -p "$OUT"
for a in "${AREAS[@]}"; do
  mkdir -p "$OUT/$a"
  find "$TMP/out/$a" -name '*.json' -exec cp {} "$OUT/$a/" \;
done

# ---------------------------------------------------------------------------
# Verify the whole set and regenerate the table in fixtures/README.md.
python3 - "$OUT" <<'PY'
import glob, json, os, re, sys
out = sys.argv[1]
files = sorted(glob.glob(os.path.join(out, "*", "*.json")))
bad = []
rows = []
for f in files:
    fx = json.load(open(f))
    roles = [m["role"] for m in fx["messages"]]
    if "request" not in roles:
        bad.append("%s: no request" % f)
    if "reply" not in roles:
        bad.append("%s: no reply" % f)
    area = os.path.basename(os.path.dirname(f))
    if area == "error":
        ok = False
        for m in fx["messages"]:
            b = bytes.fromhex(m["hex"])
            if m["role"] == "reply" and b[4] == 2:
                flags = int.from_bytes(b[6:8], "little")
                ok = bool(flags & 0x200) or fx["name"] == "error-link-add-exists"
        if not ok:
            bad.append("%s: error reply without NLM_F_ACK_TLVS" % f)
    rows.append("| `%s/%s.json` | `%s` | %s |" % (area, fx["name"], fx["command"].replace("|", "\\|"), fx["description"].replace("|", "\\|")))
readme = os.path.join(out, "README.md")
if os.path.exists(readme):
    text = open(readme).read()
    table = "<!-- fixtures:begin -->\n| file | command | description |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n<!-- fixtures:end -->"
    text = re.sub(r"<!-- fixtures:begin -->.*<!-- fixtures:end -->", lambda _: table, text, flags=re.S)
    open(readme, "w").write(text)
print("capture-fixtures: %d fixture files" % len(files), file=sys.stderr)
for b in bad:
    print("capture-fixtures: VERIFY FAILED: " + b, file=sys.stderr)
if len(files) < 30:
    bad.append("fewer than 30 fixtures")
sys.exit(1 if bad else 0)
PY

echo "capture-fixtures: wrote $COUNT fixtures this run" >&2
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "capture-fixtures: failed or skipped: ${FAILED[*]}" >&2
  exit 1
fi
