// vethcon: wire network namespaces (Docker containers, named netns, PIDs,
// namespace files) together with veth pairs, over our own netlink code.
// The pure codec is importable alone as 'vethcon/netlink'.

export { Vethcon, open } from './api/client.js';
export { ValidationError } from './rules/index.js';
export { Netns, type LinkName, type LinkAddOptions, type LinkSetOptions, type LinkFilter, type RouteListOptions, type RouteOptions } from './api/netns.js';
export type { NetnsTarget, ContainerTarget } from './api/sockets.js';
export type { Link, Address, Route, Neighbour, NextHop } from './api/convert.js';
export { Monitor, describeEvent, type MonitorOptions, type MonitorEvent, type MonitorEventKind, type MonitorEventType } from './api/monitor.js';
export { NetlinkError } from './netlink/kernel-error.js';
export { NetnsError, NamespaceThreads, type NetnsRef } from './ns/index.js';
export { connect, checkConnect, type EndResult, type ConnectOptions } from './wire/connect.js';
export { attach, checkAttach, type AttachOptions, type AttachResult, type AttachLinkInput, type AttachKindName } from './wire/attach.js';
export type { PlanStep } from './wire/plan.js';
export { disconnect, disconnectAll, checkDisconnectAll, DeleteError, type Deleted } from './wire/disconnect.js';
export { ConflictError, InterruptedError, NotFoundError, WiringError } from './wire/errors.js';
export { gc, GcError, type GcOptions, type GcResult, type GcPair, type GcEnd } from './wire/gc.js';
export { show, SHOW_SCHEMA, type ShowOptions, type ShowResult, type ShowLink, type ShowEnd, type ShowMark } from './wire/show.js';
export type { EndInput, EndpointNs } from './rules/index.js';
export { DockerError, resolveContainer, type DockerErrorCode, type ResolveContainerOptions, type ResolvedContainer } from './docker/index.js';
export {
  applyLab, destroyLab, planLab, watchLab, parseLab, loadLab, labJsonSchema,
  type Lab, type LabNode, type LabLink, type LabEnd, type LabFileInput, type ApplyOptions, type ApplyResult, type LinkOutcome, type LinkOutcomeEnd, type LinkAction, type WatchOptions,
} from './lab/index.js';
