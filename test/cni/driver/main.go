// The tests' container runtime: libcni (github.com/containernetworking/cni,
// the library containerd, CRI-O and Podman's CNI backend use) running one
// verb of a network configuration list for one container, as a runtime does.
// Built in GOPATH mode from Debian's golang-github-appc-cni-dev, with no
// downloads:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o DIR/cni-driver test/cni/driver/main.go
//
// Usage: cni-driver -verb add|check|del -conflist FILE -netns PATH -id ID
//
//	[-ifname eth0] [-args K=V;K=V] [-path DIR:DIR] [-cache DIR]
//
// Prints one JSON object on stdout: {"result": ...} for add, {} for check and
// del, or {"error": {"code", "msg", "details"}} (exit 1) when a plugin failed,
// as libcni hands the plugin's CNI error object to the runtime.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

func main() {
	verb := flag.String("verb", "", "add, check or del")
	conflist := flag.String("conflist", "", "network configuration list file")
	netns := flag.String("netns", "", "the container's network namespace path")
	id := flag.String("id", "", "container id")
	ifname := flag.String("ifname", "eth0", "the main plugin's interface name")
	args := flag.String("args", "", "CNI_ARGS pairs, K=V;K=V")
	path := flag.String("path", "/usr/lib/cni", "CNI_PATH, dirs joined by ':'")
	cache := flag.String("cache", "", "libcni's cache dir")
	flag.Parse()

	list, err := libcni.ConfListFromFile(*conflist)
	if err != nil {
		fail(err)
	}
	rt := &libcni.RuntimeConf{ContainerID: *id, NetNS: *netns, IfName: *ifname, CacheDir: *cache}
	for _, kv := range strings.Split(*args, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			rt.Args = append(rt.Args, [2]string{k, v})
		}
	}
	cni := libcni.NewCNIConfigWithCacheDir(strings.Split(*path, ":"), *cache, nil)
	ctx := context.Background()
	switch *verb {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail(err)
		}
		// Printed as the list's cniVersion has it, like a runtime reads it.
		var out struct {
			Result types.Result `json:"result"`
		}
		out.Result = res
		emit(out)
	case "check":
		if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
		emit(struct{}{})
	case "del":
		if err := cni.DelNetworkList(ctx, list, rt); err != nil {
			fail(err)
		}
		emit(struct{}{})
	default:
		fail(fmt.Errorf("unknown verb %q", *verb))
	}
}

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
}

// fail prints the plugin's CNI error (or libcni's own, as code 0) and exits 1.
func fail(err error) {
	var cniErr *types.Error
	if !errors.As(err, &cniErr) {
		cniErr = &types.Error{Code: 0, Msg: err.Error()}
	}
	b, _ := json.Marshal(map[string]*types.Error{"error": cniErr})
	fmt.Println(string(b))
	os.Exit(1)
}
