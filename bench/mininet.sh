#!/usr/bin/env bash
# Mininet run of bench/deploy.bench.ts. Run as root inside
# `unshare --net --mount --propagation private`: Mininet creates its bridge and veths in the
# namespace it runs in and cleans up by name, so it gets a throwaway network namespace, its own
# /run, /var/run and /tmp, and a read-only /proc/sys (Mininet's fixLimits writes sysctls, some of
# which are global). $1 = number of hosts (validated as an integer by the bench).
set -euo pipefail
n=$1
mount -t tmpfs -o mode=0755,size=16m bench-run /run
if [ ! -L /var/run ]; then mount -t tmpfs -o mode=0755,size=16m bench-varrun /var/run; fi
mount -t tmpfs -o mode=1777,size=64m bench-tmp /tmp
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
ip link set dev lo up
exec mn --topo "single,$n" --switch lxbr --controller none --test none
