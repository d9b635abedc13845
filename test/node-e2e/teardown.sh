#!/usr/bin/env bash
# Undoes what test/node-e2e/node.ts did to this machine, driven by the state
# file it wrote step by step: safe to run at any point of a bring-up, after a
# kill, or twice. The suite runs it first (leftovers of a killed run), from a
# watchdog when the test process dies, and from its own teardown.
#
#   teardown.sh STATE_FILE [RUN_ID]   with RUN_ID: only if the state belongs to that run
#
# State lines ("KEY value..."):
#   RUN_ID id              RUN_DIR dir (removed, after unmounting what is below it)
#   PROC pid               a process group leader started by the suite (killed if its
#                          command line still names RUN_DIR)
#   CONTAINERD_SOCK path   shims whose command line names it are killed
#   CGROUP name            /sys/fs/cgroup/*/name did not exist before: its processes are
#                          killed and the tree removed
#   SYSCTL key value       restored to value
#   LINK name              network interface created by the suite (deleted)
#   NETNS_BEFORE names...  /run/netns entries that existed before: new cni-* ones are removed
#   NEWPATH path           did not exist before: removed
#   LOGLINKS dir           symlinks in /var/log/containers pointing below dir are removed
set -uo pipefail

state="${1:?usage: teardown.sh STATE_FILE [RUN_ID]}"
want_id="${2:-}"
[[ -f "$state" ]] || exit 0

run_id="" run_dir="" sock="" netns_before=""
procs=() cgroups=() sysctls=() links=() newpaths=() logdirs=()
while read -r key value; do
  case "$key" in
    RUN_ID) run_id="$value" ;;
    RUN_DIR) run_dir="$value" ;;
    PROC) procs+=("$value") ;;
    CONTAINERD_SOCK) sock="$value" ;;
    CGROUP) cgroups+=("$value") ;;
    SYSCTL) sysctls+=("$value") ;;
    LINK) links+=("$value") ;;
    NETNS_BEFORE) netns_before=" $value " ;;
    NEWPATH) newpaths+=("$value") ;;
    LOGLINKS) logdirs+=("$value") ;;
  esac
done < "$state"
if [[ -n "$want_id" && "$run_id" != "$want_id" ]]; then exit 0; fi
[[ -n "$run_dir" && "$run_dir" == /*/* ]] || { echo "teardown: state without a RUN_DIR: $state" >&2; exit 1; }

cmdline_has() { # pid text
  [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# 1. the suite's own processes (kubelet first: it would restart containers)
for ((i = ${#procs[@]} - 1; i >= 0; i--)); do
  pid="${procs[$i]}"
  if cmdline_has "$pid" "$run_dir"; then kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null; fi
done

# 2. every process in the cgroups the kubelet created (the containers), until none is left
for n in "${cgroups[@]}"; do
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids="$(find /sys/fs/cgroup/*/"$n" -name cgroup.procs -exec cat {} + 2>/dev/null)"
    [[ -z "${pids//[[:space:]]/}" ]] && break
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    sleep 0.2
  done
done

# 3. containerd's shims (they leave containerd's process group) and containerd itself
if [[ -n "$sock" ]]; then
  for d in /proc/[0-9]*; do
    p="${d#/proc/}"
    if cmdline_has "$p" "containerd-shim" && cmdline_has "$p" "$sock"; then kill -9 "$p" 2>/dev/null; fi
  done
fi
sleep 0.3

# 4. mounts below the run dir and the pods' network namespaces
netns_dir=/run/netns
new_netns=()
if [[ -d "$netns_dir" ]]; then
  for f in "$netns_dir"/cni-*; do
    [[ -e "$f" ]] || continue
    [[ "$netns_before" == *" $(basename "$f") "* ]] || new_netns+=("$f")
  done
fi
umount_below() { # prefix
  awk '{ print $5 }' /proc/self/mountinfo | grep -F -- "$1" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2- |
    while read -r m; do umount -l "$m" 2>/dev/null; done
}
umount_below "$run_dir/"
for f in "${new_netns[@]}"; do umount -l "$f" 2>/dev/null; rm -f "$f"; done

# 5. cgroup trees, deepest first
for n in "${cgroups[@]}"; do
  for c in /sys/fs/cgroup/*/"$n"; do
    [[ -d "$c" ]] || continue
    find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
done

# 6. interfaces, sysctls, paths
for l in "${links[@]}"; do ip link del "$l" 2>/dev/null; done
for s in "${sysctls[@]}"; do
  k="${s%% *}" v="${s#* }"
  sysctl -q -w "$k=$v" >/dev/null 2>&1 || echo "teardown: could not restore $k=$v" >&2
done
for d in "${logdirs[@]}"; do
  for l in /var/log/containers/*; do
    [[ -L "$l" ]] || continue
    [[ "$(readlink "$l")" == "$d"/* ]] && rm -f "$l"
  done
done
for ((i = ${#newpaths[@]} - 1; i >= 0; i--)); do rm -rf -- "${newpaths[$i]}"; done
# keep the last run's logs next to the state file (replaced by the next run's)
logs="$(dirname "$state")/last-run-logs"
rm -rf -- "$logs" && mkdir -p "$logs" && cp -p "$run_dir"/*.log "$run_dir"/*.json "$run_dir"/containerd/config.toml "$logs"/ 2>/dev/null
rm -rf -- "$run_dir"
rm -f -- "$state"
exit 0
