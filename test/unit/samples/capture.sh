#!/bin/sh
# Re-capture the working samples for test/unit/tables.test.ts (needs root and
# strace). Builds throwaway namespaces vctab-a/vctab-b, records what iproute2
# sends and what the kernel answers with ../../../../shared/tools/nlcapture,
# and removes the namespaces again. Output: one *.jsonl per command, lines
# {"dir":"send"|"recv","hex":"..."} (lines not starting with '{' are dropped).
set -u
[ "${VERBOSE:-}" ] && set -x
cd "$(dirname "$0")"
NLCAPTURE=${NLCAPTURE:-/work/shared/tools/nlcapture}
A=vctab-a B=vctab-b C=vctab-c

cap() { # cap NAME cmd...
  name=$1; shift
  "$NLCAPTURE" -- "$@" 2>/dev/null | grep '^{' > "$name.jsonl"
  echo "$name: $(wc -l < "$name.jsonl") datagrams"
}
# capnolinks NAME cmd...: like cap, but drops the link dump iproute2 makes to
# map ifindexes to names (datagrams holding only RTM_NEWLINK replies), to keep
# the samples small.
capnolinks() {
  name=$1; shift
  "$NLCAPTURE" -- "$@" 2>/dev/null | grep '^{' | python3 -c '
import json, struct, sys
for line in sys.stdin:
    b = bytes.fromhex(json.loads(line)["hex"]); off = 0; types = set()
    while off + 16 <= len(b):
        n, t = struct.unpack_from("<IH", b, off)
        if n < 16: break
        types.add(t); off += (n + 3) & ~3
    if types != {16}: sys.stdout.write(line)
' > "$name.jsonl"
  echo "$name: $(wc -l < "$name.jsonl") datagrams"
}
cleanup() { for n in $A $B $C; do ip netns del $n 2>/dev/null; done; }
cleanup
ip netns add $A && ip netns add $B && ip netns add $C || exit 1
trap cleanup EXIT

ia() { ip -n $A "$@"; }
# links: veth into B, a bridge with a veth port, vxlan (v4 and v6), macvlan, macvtap
cap link-add-veth ip -n $A link add va0 type veth peer name vb0 netns $B
ia link add vp0 type veth peer name vp1
cap link-add-bridge ip -n $A link add br0 type bridge stp_state 0 mcast_snooping 1 forward_delay 500 group_fwd_mask 0x4000
cap link-set-master ip -n $A link set vp0 master br0
cap link-set-bridge-slave ip -n $A link set dev vp0 type bridge_slave learning off cost 7 priority 9
cap link-add-vxlan ip -n $A link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 remote 10.0.0.9 dev va0 srcport 5000 6000 ttl 64 tos 0x10 ageing 120 gbp
cap link-add-vxlan6 ip -n $A link add vx6 type vxlan id 4242 dstport 4790 local 2001:db8::1 group ff05::100 dev va0 nolearning udp6zerocsumtx udp6zerocsumrx flowlabel 0x12345 ttl inherit
cap link-add-macvlan ip -n $A link add mv0 link va0 type macvlan mode bridge
cap link-add-macvlan-source ip -n $A link add mvs0 link va0 type macvlan mode source
ia link set mvs0 type macvlan macaddr add 02:00:00:00:aa:01
cap link-set-macvlan-macaddr ip -n $A link set mvs0 type macvlan macaddr add 02:00:00:00:aa:02
cap link-add-macvtap ip -n $A link add mvt0 link va0 type macvtap mode vepa
for l in va0 vp0 vp1 br0 vx0 mv0 lo; do ia link set $l up; done
ip -n $B link set vb0 up
# requests the kernel here refuses (no vlan / ipvlan): only the request bytes matter
cap link-add-vlan ip -n $A link add link va0 name v10 type vlan protocol 802.1ad id 10 reorder_hdr on gvrp on loose_binding on egress-qos-map 1:2 3:4 ingress-qos-map 2:5
cap link-add-ipvlan ip -n $A link add link va0 name ipv0 type ipvlan mode l3s private

# addresses
capnolinks addr-add ip -n $A addr add 10.0.0.1/24 broadcast 10.0.0.255 dev va0 label va0:main
ia addr add 10.0.1.1/24 dev va0
ia addr add 10.0.0.7/24 dev va0
capnolinks addr-add6 ip -n $A addr add 2001:db8::1/64 dev va0 nodad
ia addr add 2001:db8:1::1/64 dev va0 nodad valid_lft 3600 preferred_lft 1800
ia addr add 192.0.2.1/32 peer 192.0.2.2 dev vp0

# routes
ia route add default via 10.0.0.2
cap route-add-multipath ip -n $A route add 10.9.0.0/16 nexthop via 10.0.0.2 weight 1 nexthop via 10.0.1.2 weight 3
capnolinks route-add-metrics ip -n $A route add 10.8.0.0/16 via 10.0.0.2 mtu 1400 window 65535 congctl cubic advmss 1360 table 100 proto static metric 20
ia -6 route add 2001:db8:9::/48 nexthop via 2001:db8::2 dev va0 weight 1 nexthop via 2001:db8:1::2 dev va0 weight 2
capnolinks route6-add-expires ip -n $A -6 route add 2001:db8:8::/48 via 2001:db8::3 dev va0 expires 600 pref high

# neighbours, fdb
capnolinks neigh-add ip -n $A neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev va0 nud permanent
ia neigh add 2001:db8::2 lladdr 02:00:00:00:00:06 dev va0 nud permanent
ia neigh add 10.0.1.2 lladdr 02:00:00:00:00:03 dev va0 nud reachable
capnolinks fdb-append ip netns exec $A bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.10 port 4790 vni 100 via va0
ip netns exec $A bridge fdb add 02:00:00:00:00:09 dev vp0 master static

# nsid
cap nsid-set ip -n $A netns set $C 7

# the dumps
cap link-show ip -n $A -d link show
capnolinks addr-show ip -n $A addr show
capnolinks route-show ip -n $A route show table all
capnolinks route6-show ip -n $A -6 route show table all
capnolinks neigh-show ip -n $A neigh show nud all
capnolinks neigh6-show ip -n $A -6 neigh show
capnolinks fdb-show ip netns exec $A bridge fdb show
capnolinks ntable-show ip -n $A ntable show dev va0
cap nsid-show ip -n $A netns list-id
