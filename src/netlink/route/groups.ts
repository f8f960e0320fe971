// rtnetlink multicast groups: the numbers a socket joins (setsockopt
// SOL_NETLINK NETLINK_ADD_MEMBERSHIP) to be sent the kernel's notifications,
// like `ip monitor`. From enum rtnetlink_groups in linux/rtnetlink.h; the
// number is the group itself, not the (1 << (n - 1)) bit of the old
// nl_groups bind mask, which only reaches groups 1..32.

export const RTNLGRP_NONE = 0;
/** RTM_NEWLINK / RTM_DELLINK: links appear, change (flags, MTU, name, master...) and go. */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_NOTIFY = 2;
/** RTM_NEWNEIGH / RTM_DELNEIGH. */
export const RTNLGRP_NEIGH = 3;
export const RTNLGRP_TC = 4;
/** RTM_NEWADDR / RTM_DELADDR for IPv4 addresses. */
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_MROUTE = 6;
/** RTM_NEWROUTE / RTM_DELROUTE for IPv4 routes. */
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV4_RULE = 8;
/** RTM_NEWADDR / RTM_DELADDR for IPv6 addresses. */
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_MROUTE = 10;
/** RTM_NEWROUTE / RTM_DELROUTE for IPv6 routes. */
export const RTNLGRP_IPV6_ROUTE = 11;
export const RTNLGRP_IPV6_IFINFO = 12;
export const RTNLGRP_DECNET_IFADDR = 13;
export const RTNLGRP_NOP2 = 14;
export const RTNLGRP_DECNET_ROUTE = 15;
export const RTNLGRP_DECNET_RULE = 16;
export const RTNLGRP_NOP4 = 17;
export const RTNLGRP_IPV6_PREFIX = 18;
export const RTNLGRP_IPV6_RULE = 19;
export const RTNLGRP_ND_USEROPT = 20;
export const RTNLGRP_PHONET_IFADDR = 21;
export const RTNLGRP_PHONET_ROUTE = 22;
export const RTNLGRP_DCB = 23;
export const RTNLGRP_IPV4_NETCONF = 24;
export const RTNLGRP_IPV6_NETCONF = 25;
export const RTNLGRP_MDB = 26;
export const RTNLGRP_MPLS_ROUTE = 27;
/** RTM_NEWNSID / RTM_DELNSID: namespace ids assigned and freed. */
export const RTNLGRP_NSID = 28;
export const RTNLGRP_MPLS_NETCONF = 29;
export const RTNLGRP_IPV4_MROUTE_R = 30;
export const RTNLGRP_IPV6_MROUTE_R = 31;
export const RTNLGRP_NEXTHOP = 32;
export const RTNLGRP_BRVLAN = 33;
export const RTNLGRP_MCTP_IFADDR = 34;
export const RTNLGRP_TUNNEL = 35;
export const RTNLGRP_STATS = 36;
// Newer than the 6.1 uapi headers: recent kernels only (joining one an older kernel lacks fails EINVAL).
export const RTNLGRP_IPV4_MCADDR = 37;
export const RTNLGRP_IPV6_MCADDR = 38;
export const RTNLGRP_IPV6_ACADDR = 39;

/** The groups that carry address notifications, both families. */
export const RTNLGRPS_IFADDR: readonly number[] = [RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR];
