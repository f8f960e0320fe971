// Numbers from the Linux and libc headers that the system layer and its
// callers share (sys/socket.h, linux/netlink.h, sched.h, sys/mount.h).

export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const O_RDONLY = 0;
export const O_CLOEXEC = 0o2000000;
export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_SHARED = 1 << 20;
export const MNT_DETACH = 2;

export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
export const O_NONBLOCK = 0o4000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
export const SOL_NETLINK = 270;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const NETLINK_GET_STRICT_CHK = 12;
export const SOCKET_BUFFER_BYTES = 1 << 20;
export const SOCKADDR_NL_BYTES = 12; // sa_family u16, pad u16, nl_pid u32, nl_groups u32

export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const SIOCGSKNS = 0x894c; // linux/sockios.h: socket's netns as a new fd
