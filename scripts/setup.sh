#!/usr/bin/env bash
# One-time machine setup (Debian 12, as root): kernel tools the labs use, pnpm, node modules.
# Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (nslab creates network namespaces)" >&2
  exit 1
fi

# Every package of the guided labs' tools (packages/labs/src/tools.ts) is here: a test holds it to that.
pkgs=(iproute2 iputils-ping iputils-tracepath arping tcpdump ethtool bridge-utils iptables nftables util-linux procps tar findutils perl socat coreutils bash
      hping3              # nslab trace --tcp: a SYN that carries the probe's marker
      conntrack           # nslab trace: conntrack -E, the NAT entry (original and reply tuples) a NAT hop cites
      chromium fonts-dejavu-core
      g++ make python3    # node-gyp builds better-sqlite3 (classroom mode's database) from source here
      fonts-wqy-microhei)  # CJK glyphs for Chromium (the labs' Chinese terms): 1.6 MB, vs 7.5 MB wqy-zenhei, 57 MB noto-cjk
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v)" != "12.4.2" ]; then
  npm i -g pnpm@12.4.2 >/dev/null
fi
# Native add-ons (better-sqlite3) are compiled by node-gyp when no prebuilt binary can be fetched:
# against this node's own headers (Debian's nodejs-dev: /usr/include/node), never a downloaded copy.
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
fi
pnpm install --frozen-lockfile

# Not changed here (it is the host's policy), but said: labs cannot create tun/tap devices otherwise.
if [ -e /dev/net/tun ] && [ "$(( 0$(stat -c %a /dev/net/tun) & 6 ))" != 6 ]; then
  echo "setup: /dev/net/tun is mode $(stat -c %a /dev/net/tun): labs cannot open it, so the tuntap lab is refused. Debian's default is 0666: chmod 0666 /dev/net/tun" >&2
fi

# The `nslab` command on PATH, usable from any directory (/usr/local/bin/nslab, a launcher for this
# checkout): it runs the bundle, so build that now (the web app is `pnpm build`'s other half).
node_modules/.bin/tsx scripts/build-server.ts
bash scripts/install-bin.sh
