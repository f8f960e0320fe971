#!/usr/bin/env bash
# docker-up.sh — make sure a Docker engine answers and the local image
# vethcon-busybox:latest exists, for CI and the e2e tests.
#
# Idempotent: safe to run any number of times (concurrent runs are serialised
# with flock). Works non-interactively (no TTY, CI=true).
#
#   1. If `docker info` answers (DOCKER_HOST is honoured), that engine is used.
#   2. Otherwise (root needed): apt-get install docker.io + busybox-static if
#      missing, then start a private dockerd in the background:
#        dockerd --bridge=none --iptables=false --ip6tables=false
#                --data-root $ROOT/data --exec-root $ROOT/exec
#                --pidfile $ROOT/dockerd.pid --storage-driver overlay2|vfs
#      dockerd launches its own (managed) containerd when no system containerd
#      socket exists at /run/containerd/containerd.sock. Log: $ROOT/dockerd.log
#   3. Build vethcon-busybox:latest from the host's static busybox with
#      `docker import` (no registry is ever contacted), then check that
#      `docker run --rm --pull never --network none ... true` works.
#
# Environment:
#   VETHCON_DOCKER_ROOT            state dir (default /tmp/vethcon-docker)
#   VETHCON_DOCKER_STORAGE_DRIVER  force a storage driver (default: overlay2,
#                                  falling back to vfs when overlay does not work)
#   VETHCON_REBUILD_IMAGE=1        re-import the image even if it exists
#   DOCKER_HOST                    engine to use; if it is a unix:// socket that
#                                  does not answer, the private dockerd listens there
set -euo pipefail

IMAGE=vethcon-busybox:latest
ROOT=${VETHCON_DOCKER_ROOT:-/tmp/vethcon-docker}
LOG=$ROOT/dockerd.log
PIDFILE=$ROOT/dockerd.pid
WAIT_SECS=60
export DEBIAN_FRONTEND=noninteractive
export DOCKER_CLI_HINTS=false

say()  { printf 'docker-up: %s\n' "$*" >&2; }
die()  { printf 'docker-up: ERROR: %s\n' "$*" >&2; exit 1; }
log_tail() {
  if [ -s "$LOG" ]; then
    printf -- '----- last lines of %s (grpc chatter omitted) -----\n' "$LOG" >&2
    tail -n 300 "$LOG" | grep -v 'module=grpc' | tail -n 30 >&2 || true
    printf -- '-----\n' >&2
  fi
}
engine_up() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi
need_root() {
  [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ] || die "$1 needs root (or password-less sudo); run this script as root"
}

mkdir -p "$ROOT"
exec 9>"$ROOT/docker-up.lock"
flock -w 300 9 || die "another docker-up.sh holds $ROOT/docker-up.lock for more than 300 s"

# ---------------------------------------------------------------- packages ---
apt_updated=
apt_install() { # apt_install PKG...
  need_root "installing $*"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q >"$ROOT/apt.log" 2>&1 \
      || { tail -n 20 "$ROOT/apt.log" >&2; die "apt-get update failed (see $ROOT/apt.log)"; }
    apt_updated=1
  fi
  say "apt-get install $*"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
    --no-install-recommends "$@" >>"$ROOT/apt.log" 2>&1 \
    || { tail -n 20 "$ROOT/apt.log" >&2; die "apt-get install $* failed (see $ROOT/apt.log)"; }
}

# ------------------------------------------------------------------ engine ---
overlay_works() { # can we mount overlayfs on the filesystem holding $ROOT?
  [ "$(id -u)" -eq 0 ] || return 0 # cannot probe; let dockerd decide
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
  grep -qw overlay /proc/filesystems || return 1
  local t rc=0
  t=$(mktemp -d "$ROOT/ovl-probe.XXXXXX")
  mkdir -p "$t/l" "$t/u" "$t/w" "$t/m"
  if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null; then
    umount "$t/m" || true
  else
    rc=1
  fi
  rm -rf "$t"
  return $rc
}

ensure_cgroups() {
  # dockerd/runc need either cgroup v2 or the v1 controllers mounted.
  [ -e /sys/fs/cgroup/cgroup.controllers ] && return 0
  [ -d /sys/fs/cgroup/devices ] && [ -d /sys/fs/cgroup/memory ] && return 0
  say "no cgroup hierarchy found under /sys/fs/cgroup; mounting cgroup2"
  $SUDO mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null \
    || say "warning: could not mount cgroup2 at /sys/fs/cgroup; dockerd may fail to run containers"
}

dockerd_alive() {
  local pid
  [ -s "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q dockerd "/proc/$pid/comm" 2>/dev/null || return 1
  # a killed dockerd can linger as a zombie until PID 1 reaps it
  ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$pid/status" 2>/dev/null
}

wait_engine() { # wait_engine SECONDS; also fails fast if our dockerd died
  local i
  for ((i = 0; i < $1; i++)); do
    engine_up && return 0
    dockerd_alive || { sleep 0.5; engine_up && return 0; return 1; }
    sleep 1
  done
  return 1
}

start_dockerd() { # start_dockerd DRIVER
  local driver=$1 host_args=()
  if [ -n "${DOCKER_HOST:-}" ]; then host_args=(-H "$DOCKER_HOST"); fi
  rm -f "$PIDFILE"
  mkdir -p "$ROOT/data" "$ROOT/exec"
  {
    printf '\n===== %s docker-up: starting dockerd (storage driver %s) =====\n' "$(date -u +%FT%TZ)" "$driver"
  } >>"$LOG"
  say "starting dockerd (storage driver $driver, log $LOG)"
  # setsid + nohup + all stdio redirected: the daemon survives this script,
  # its shell, and a CI step ending its process group.
  $SUDO setsid nohup dockerd \
    --bridge=none --iptables=false --ip6tables=false \
    --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$PIDFILE" \
    --storage-driver "$driver" "${host_args[@]}" \
    </dev/null >>"$LOG" 2>&1 9>&- &
  disown || true
  # give it a moment to write its pidfile before wait_engine checks liveness
  local i
  for ((i = 0; i < 50; i++)); do [ -s "$PIDFILE" ] && break; sleep 0.1; done
  wait_engine "$WAIT_SECS"
}

stop_our_dockerd() {
  local pid i
  dockerd_alive || return 0
  pid=$(cat "$PIDFILE")
  $SUDO kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do dockerd_alive || return 0; sleep 0.5; done
  $SUDO kill -9 "$pid" 2>/dev/null || true
}

ensure_engine() {
  if engine_up; then
    say "using the running engine ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')${DOCKER_HOST:+ at $DOCKER_HOST})"
    return 0
  fi
  case "${DOCKER_HOST:-}" in
    "" | unix://*) ;;
    *) die "DOCKER_HOST=$DOCKER_HOST is set but no engine answers there; start that engine, or unset DOCKER_HOST to let this script start a local dockerd" ;;
  esac

  # Our dockerd may still be starting (e.g. a previous run timed out).
  if dockerd_alive; then
    say "dockerd (pid $(cat "$PIDFILE")) is running but not answering yet; waiting"
    wait_engine "$WAIT_SECS" && return 0
    if dockerd_alive; then
      log_tail
      die "dockerd (pid $(cat "$PIDFILE")) did not answer 'docker info' within ${WAIT_SECS}s (log: $LOG); stop it (kill $(cat "$PIDFILE")) and rerun"
    fi
    say "that dockerd exited; starting a new one"
  fi

  need_root "starting dockerd"
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  if busybox_static_missing || ! [ -x /bin/busybox ]; then missing+=(busybox-static); fi
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io"
  command -v docker >/dev/null 2>&1 || die "docker CLI not found after installing docker.io"

  ensure_cgroups

  local driver=${VETHCON_DOCKER_STORAGE_DRIVER:-}
  if [ -z "$driver" ]; then
    if overlay_works; then driver=overlay2; else
      say "overlayfs cannot be mounted under $ROOT; using the vfs storage driver (slower, more disk)"
      driver=vfs
    fi
  fi
  if start_dockerd "$driver"; then
    say "dockerd is up (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'), storage driver $driver)"
    return 0
  fi
  if [ "$driver" = overlay2 ] && [ -z "${VETHCON_DOCKER_STORAGE_DRIVER:-}" ]; then
    say "dockerd did not come up with overlay2; retrying with vfs"
    log_tail
    stop_our_dockerd
    if start_dockerd vfs; then
      say "dockerd is up (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'), storage driver vfs)"
      return 0
    fi
  fi
  log_tail
  stop_our_dockerd
  die "dockerd exited or did not answer 'docker info' within ${WAIT_SECS}s (log: $LOG)"
}

# ------------------------------------------------------------------- image ---
busybox_static_missing() { # true when apt is available and busybox-static is not installed
  command -v dpkg-query >/dev/null 2>&1 || return 1
  [ "$(dpkg-query -W -f '${Status}' busybox-static 2>/dev/null)" != "install ok installed" ]
}

IMG_TMP=
cleanup() { if [ -n "$IMG_TMP" ]; then rm -rf "$IMG_TMP"; fi; }
trap cleanup EXIT

ensure_image() {
  if [ "${VETHCON_REBUILD_IMAGE:-}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "image $IMAGE present"
    return 0
  fi
  if busybox_static_missing && command -v apt-get >/dev/null 2>&1; then
    apt_install busybox-static
  fi
  local bb=/bin/busybox
  [ -x "$bb" ] || bb=$(command -v busybox 2>/dev/null || true)
  [ -n "$bb" ] && [ -x "$bb" ] || die "no busybox binary found (install busybox-static)"

  say "building $IMAGE from $bb ($("$bb" 2>&1 | head -n 1 | cut -c1-40))"
  IMG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vethcon-busybox.XXXXXX")
  local t=$IMG_TMP applet
  mkdir -p "$t/bin" "$t/etc" "$t/root" "$t/tmp" "$t/proc" "$t/sys" "$t/dev" "$t/var/run"
  chmod 1777 "$t/tmp"
  cp "$bb" "$t/bin/busybox"
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$t/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$t/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$t/etc/group"
  tar --numeric-owner --owner=0 --group=0 -C "$t" -c . \
    | docker import \
        --change 'CMD ["/bin/sh"]' \
        --change 'ENV PATH=/bin' \
        --change 'LABEL org.vethcon.image=busybox' \
        --message 'vethcon-busybox: static busybox imported by scripts/docker-up.sh' \
        - "$IMAGE" >/dev/null \
    || die "docker import of $IMAGE failed"
  rm -rf "$IMG_TMP"
  IMG_TMP=
  say "built $IMAGE"
}

check_run() {
  local out
  if ! out=$(timeout 60 docker run --rm --pull never --network none "$IMAGE" /bin/busybox true 2>&1); then
    printf '%s\n' "$out" >&2
    [ -s "$LOG" ] && dockerd_alive && log_tail
    die "'docker run --rm --pull never --network none $IMAGE /bin/busybox true' failed (is /bin/busybox static? it must come from busybox-static)"
  fi
}

start=$SECONDS
ensure_engine
ensure_image
check_run
say "ready in $((SECONDS - start))s: engine $(docker version --format '{{.Server.Version}}' 2>/dev/null), storage driver $(docker info --format '{{.Driver}}' 2>/dev/null), image $IMAGE"
