// bridge: IFLA_INFO_DATA of a bridge device (IFLA_BR_*), and the per-port
// IFLA_INFO_SLAVE_DATA of a bridge port (IFLA_BRPORT_*). Numbers from
// linux/if_link.h and if_bridge.h; wire types as the kernel sends them
// (br_fill_info, br_port_fill_attrs in net/bridge/br_netlink.c), which differ
// from the YNL spec in places: the BRPORT on/off options are u8, not flags,
// and IFLA_BR_VLAN_PROTOCOL is big-endian.

import { attrs, nested, struct, binary, flag, lladdr, ip, u8, u16, u32, u64, be16, type AttrsOf } from '../../attr.js';
import { defineKind } from './kind.js';

/** struct ifla_bridge_id: the priority (big-endian, e.g. 0x8000), then the MAC. */
export const bridgeId = struct('ifla_bridge_id', [['prio', 'be16'], ['addr', 'mac']] as const);
export type BridgeId = ReturnType<typeof bridgeId.read>;

/** struct br_boolopt_multi: bit per BR_BOOLOPT_* option. */
export const BR_BOOLOPT_MULTI = struct('br_boolopt_multi', [['optval', 'u32'], ['optmask', 'u32']] as const);

/** BR_BOOLOPT_* bit numbers (linux/if_bridge.h). */
export const BR_BOOLOPT_NO_LL_LEARN = 0;
export const BR_BOOLOPT_MCAST_VLAN_SNOOPING = 1;
export const BR_BOOLOPT_MST_ENABLE = 2;

/** IFLA_BR_MCAST_QUERIER_STATE (BRIDGE_QUERIER_*): the querier the bridge has seen. */
export const BRIDGE_QUERIER = attrs('BRIDGE_QUERIER', {
  ipAddress: [1, ip],
  ipPort: [2, u32],
  ipOtherTimer: [3, u64],
  pad: [4, binary],
  ipv6Address: [5, ip],
  ipv6Port: [6, u32],
  ipv6OtherTimer: [7, u64],
});

export const BRIDGE = attrs('IFLA_BR', {
  /** Centiseconds (clock_t), like every bridge time below. */
  forwardDelay: [1, u32],
  helloTime: [2, u32],
  maxAge: [3, u32],
  ageingTime: [4, u32],
  stpState: [5, u32],
  priority: [6, u16],
  vlanFiltering: [7, u8],
  /** 0x8100 (802.1Q) or 0x88a8 (802.1ad), big-endian on the wire. */
  vlanProtocol: [8, be16],
  groupFwdMask: [9, u16],
  rootId: [10, bridgeId],
  bridgeId: [11, bridgeId],
  rootPort: [12, u16],
  rootPathCost: [13, u32],
  topologyChange: [14, u8],
  topologyChangeDetected: [15, u8],
  helloTimer: [16, u64],
  tcnTimer: [17, u64],
  topologyChangeTimer: [18, u64],
  gcTimer: [19, u64],
  groupAddr: [20, lladdr],
  fdbFlush: [21, flag],
  mcastRouter: [22, u8],
  mcastSnooping: [23, u8],
  mcastQueryUseIfaddr: [24, u8],
  mcastQuerier: [25, u8],
  mcastHashElasticity: [26, u32],
  mcastHashMax: [27, u32],
  mcastLastMemberCnt: [28, u32],
  mcastStartupQueryCnt: [29, u32],
  mcastLastMemberIntvl: [30, u64],
  mcastMembershipIntvl: [31, u64],
  mcastQuerierIntvl: [32, u64],
  mcastQueryIntvl: [33, u64],
  mcastQueryResponseIntvl: [34, u64],
  mcastStartupQueryIntvl: [35, u64],
  nfCallIptables: [36, u8],
  nfCallIp6tables: [37, u8],
  nfCallArptables: [38, u8],
  vlanDefaultPvid: [39, u16],
  pad: [40, binary],
  vlanStatsEnabled: [41, u8],
  mcastStatsEnabled: [42, u8],
  mcastIgmpVersion: [43, u8],
  mcastMldVersion: [44, u8],
  vlanStatsPerPort: [45, u8],
  multiBoolopt: [46, BR_BOOLOPT_MULTI],
  mcastQuerierState: [47, nested(BRIDGE_QUERIER, { flag: true })],
  /** Not in the 6.1 uapi headers (nor is the next). */
  fdbNLearned: [48, u32],
  fdbMaxLearned: [49, u32],
});
export type BridgeAttrs = AttrsOf<typeof BRIDGE>;

/** BR_STATE_* port states (IFLA_BRPORT_STATE). */
export const BR_STATE_DISABLED = 0;
export const BR_STATE_LISTENING = 1;
export const BR_STATE_LEARNING = 2;
export const BR_STATE_FORWARDING = 3;
export const BR_STATE_BLOCKING = 4;

/** A bridge port (IFLA_INFO_SLAVE_KIND "bridge"). On/off options are u8 0/1. */
export const BRIDGE_PORT = attrs('IFLA_BRPORT', {
  state: [1, u8],
  priority: [2, u16],
  cost: [3, u32],
  /** Hairpin mode. */
  mode: [4, u8],
  guard: [5, u8],
  protect: [6, u8],
  fastLeave: [7, u8],
  learning: [8, u8],
  unicastFlood: [9, u8],
  proxyarp: [10, u8],
  learningSync: [11, u8],
  proxyarpWifi: [12, u8],
  rootId: [13, bridgeId],
  bridgeId: [14, bridgeId],
  designatedPort: [15, u16],
  designatedCost: [16, u16],
  id: [17, u16],
  no: [18, u16],
  topologyChangeAck: [19, u8],
  configPending: [20, u8],
  messageAgeTimer: [21, u64],
  forwardDelayTimer: [22, u64],
  holdTimer: [23, u64],
  /** Request only: flush the port's dynamic fdb entries. */
  flush: [24, flag],
  multicastRouter: [25, u8],
  pad: [26, binary],
  mcastFlood: [27, u8],
  mcastToUcast: [28, u8],
  vlanTunnel: [29, u8],
  bcastFlood: [30, u8],
  groupFwdMask: [31, u16],
  neighSuppress: [32, u8],
  isolated: [33, u8],
  backupPort: [34, u32],
  mrpRingOpen: [35, u8],
  mrpInOpen: [36, u8],
  mcastEhtHostsLimit: [37, u32],
  mcastEhtHostsCnt: [38, u32],
  locked: [39, u8],
  /** Not in the 6.1 uapi headers (nor are the ones below). */
  mab: [40, u8],
  mcastNGroups: [41, u32],
  mcastMaxGroups: [42, u32],
  neighVlanSuppress: [43, u8],
  backupNhid: [44, u32],
});
export type BridgePortAttrs = AttrsOf<typeof BRIDGE_PORT>;

/** Like `ip link add NAME type bridge [forward_delay N] [ageing_time N] [mcast_snooping 0|1] ...` (times in centiseconds). */
export const bridge = defineKind({
  kind: 'bridge',
  key: 'bridge',
  data: BRIDGE,
  slaveData: BRIDGE_PORT,
  options: {
    forwardDelay: { attr: 'forwardDelay' },
    helloTime: { attr: 'helloTime' },
    maxAge: { attr: 'maxAge' },
    ageingTime: { attr: 'ageingTime' },
    stp: { attr: 'stpState', boolean: true },
    priority: { attr: 'priority' },
    vlanFiltering: { attr: 'vlanFiltering', boolean: true },
    mcastSnooping: { attr: 'mcastSnooping', boolean: true },
  },
});
