#!/bin/sh
# Re-capture the event samples for test/unit/monitor-events.test.ts (needs
# root and strace): what the kernel sends `ip monitor link address` (RTM_NEWLINK,
# RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR notifications) while a throwaway
# namespace vcmon-cap gets a veth, an IPv4 and an IPv6 address, loses the
# IPv4 one and then the veth. Recorded with ../../../../shared/tools/nlcapture
# around `ip monitor` only (the changes are made outside the capture).
# Output: monitor-link-address.jsonl, lines {"dir":"recv","hex":"..."}: the
# notifications only (ip's own start-up dump and nsid lookups are dropped:
# datagrams holding anything but RTM_NEW/DELLINK and RTM_NEW/DELADDR, or
# NLM_F_MULTI dump parts).
set -u
cd "$(dirname "$0")"
NLCAPTURE=${NLCAPTURE:-/work/shared/tools/nlcapture}
NS=vcmon-cap
OUT=monitor-link-address.jsonl

cleanup() { ip netns del $NS 2>/dev/null; }
cleanup
ip netns add $NS || exit 1
trap cleanup EXIT

(
  sleep 1
  ip -n $NS link add va0 address 02:00:00:00:00:01 type veth peer name vb0 address 02:00:00:00:00:02
  ip -n $NS link set va0 up
  ip -n $NS addr add 10.200.1.1/24 dev va0
  ip -n $NS addr add 2001:db8:1::1/64 dev va0 nodad
  ip -n $NS addr del 10.200.1.1/24 dev va0
  ip -n $NS link del va0
) &
"$NLCAPTURE" -- timeout -s INT 2 ip -n $NS monitor link address 2>/dev/null | grep '^{' | python3 -c '
import json, struct, sys
for line in sys.stdin:
    d = json.loads(line)
    b = bytes.fromhex(d["hex"]); off = 0; ok = d["dir"] == "recv"
    while ok and off + 16 <= len(b):
        n, t, f = struct.unpack_from("<IHH", b, off)
        if n < 16: break
        ok = t in (16, 17, 20, 21) and not f & 2
        off += (n + 3) & ~3
    if ok: sys.stdout.write(line)
' > "$OUT"
wait
echo "$OUT: $(wc -l < "$OUT") datagrams"
