// `vethcon --help`.

export const HELP = `vethcon: connect network namespaces with a veth pair

Usage:
  vethcon END END [--json] [--dry-run]        create a veth with one end in each
  vethcon END KIND-END [--json] [--dry-run]   make END a vxlan, macvlan or vlan
                                              on a device of the current namespace
  vethcon -D|-N|-P|-A|-C TARGET,LINK ...      delete a link (its peer goes too)
  vethcon gc [--dry-run] [--json]             remove pairs that killed runs left half-made
  vethcon monitor [-n NETNS]... [-p PID]... [--json]
                                              print link and address events as they
                                              happen (no -n/-p: the current namespace;
                                              also -a PATH, -c); Ctrl-C ends it (exit 0)
  vethcon apply LAB [--prune] [--dry-run] [--watch] [--json] [--host H]
                                              make the machine match a lab file: create
                                              missing links, fix drifted ones; --prune
                                              removes the lab's links the file dropped;
                                              --watch re-wires restarted containers;
                                              --host: this host's share of a lab
                                              that spans hosts (vxlan between them)
  vethcon destroy LAB [--dry-run] [--json] [--host H]
                                              remove the lab's links, nothing else
  vethcon schema                              print the lab file's JSON Schema
  vethcon show [--all] [--json | --dot] [--netns NAME]... [--container NAME]... [--lab NAME]
                                              list the links vethcon made, both ends
                                              with namespace, name and addresses (--all:
                                              every veth pair too; --dot: a Graphviz graph)
  vethcon -h | --help | --version

An END names a namespace, the link's name there, and optionally addresses:
  -d CONTAINER:LINK[:CIDR]        a Docker container (name or id), the 2017 syntax
  -n NETNS:LINK[:CIDR]            a named namespace (ip netns)
  -p PID:LINK[:CIDR]              the namespace of a process
  -d CONTAINER,LINK[,CIDR...]     koko's comma syntax: any number of IPv4/IPv6
  -n NETNS,LINK[,CIDR...]           addresses, and mtu=N / mac=M items
  -p PID,LINK[,CIDR...]
  -a /PATH/TO/NETNS,LINK[,CIDR...] a namespace file
  -c LINK[,CIDR...]               the current namespace
  --mtu N, --mac M                 set the MTU / MAC of the END given just before

A KIND-END, after one END (as koko): the link is made on PARENT, a device of
the namespace vethcon runs in, and placed in END's namespace with END's name,
addresses, MTU and MAC (mtu=N / mac=M items may end a KIND-END too):
  -x PARENT,REMOTE,VNI[,PORT]     a vxlan to REMOTE (IPv4), UDP port 4789 by default
  -M PARENT[,MODE]                a macvlan: bridge (default), private, vepa,
                                    passthru or source
  -V PARENT,VID                   a vlan (needs a kernel with 802.1Q support);
                                    -V alone prints the version

Options:
  --json      print the result (or the error) as JSON
  --dry-run   make every check a real run makes (containers running,
              namespaces there, names free, links and parents there: exit 2
              if one fails), then print the plan and each netlink request by
              name (RTM_NEWLINK NLM_F_CREATE|NLM_F_EXCL IFLA_IFNAME=...);
              change nothing
  --docker-timeout S
              wait at most S seconds (default 10) for the Docker engine's
              answer about each container

Examples:
  vethcon -d centos1:nic1:10.10.1.2/24 -d centos2:nic2:10.10.1.3/24
  vethcon -n red:veth0:10.0.0.1/24 -n blue:veth0:10.0.0.2/24
  vethcon -d c1,eth1,192.168.1.1/24,2001:db8::1/64 -n blue,eth1,192.168.1.2/24,2001:db8::2/64
  vethcon -n red:v0:10.0.0.1/30 --mtu 9000 -n blue:v1:10.0.0.2/30 --mtu 9000 --mac 02:00:00:00:00:02
  vethcon -d c1:vx0:10.0.0.1/24 -x eth0,192.0.2.2,42   a vxlan end in c1 on eth0
  vethcon -n red,mv0,10.0.0.5/24 -M eth0,bridge       a macvlan end in red
  vethcon -D c1,eth1                 delete eth1 from container c1
  vethcon -N red,veth0               delete veth0 from netns red
  vethcon gc --dry-run               list what vethcon gc would remove
  vethcon show --container c1        the links of vethcon's with an end in container c1
  vethcon show --all --dot | dot -Tsvg > links.svg   every veth pair, as a graph
  vethcon monitor -n red -n blue --json   one JSON object per event in red or blue
  vethcon apply lab.json --dry-run   what applying lab.json would change

Exit status: 0 done; 2 usage or validation error, a container or Docker
engine problem, or a privilege vethcon lacks (it needs root): nothing was
changed; 1 failure while wiring (everything done was undone); 130, 143, 129
stopped by Ctrl-C, SIGTERM or SIGHUP (at its next step, undoing what it did;
a delete keeps what it deleted, and names it).
`;
