#!/usr/bin/env bash
# ip-batch baseline of bench/deploy.bench.ts: the star lab as a skilled person would script it.
# Run as root inside `unshare --mount --net --propagation private`. Fixed content: every name and
# address comes from the batch files in $1 (host.batch, namespaces, ns/<name>.batch) that the
# bench generates. Prints `mark <phase> <EPOCHREALTIME>` lines (a bash builtin: no extra fork),
# then keeps the lab alive until stdin closes; exiting frees the mount namespace (so the
# /run/netns bind mounts) and the kernel reclaims every namespace, veth and bridge.
set -euo pipefail
dir=$1
# Our own /run, so `ip netns add` never touches the real host's /run/netns.
mount -t tmpfs -o mode=0755,size=16m bench-run /run
mkdir /run/netns
echo "mark sandbox $EPOCHREALTIME"
ip -batch "$dir/host.batch"
echo "mark host $EPOCHREALTIME"
while read -r ns; do
  ip -n "$ns" -batch "$dir/ns/$ns.batch"
done < "$dir/namespaces"
echo "mark ready $EPOCHREALTIME"
while read -r _; do :; done
