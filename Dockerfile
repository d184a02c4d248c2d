# nslab server image. Run it with docker-compose.yml (privileged, own network namespace, data on a
# named volume, port published on 127.0.0.1 only); see README.md "Docker".
FROM node:20-bookworm

# The kernel tools labs use (same list as scripts/setup.sh).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      iproute2 iputils-ping iputils-tracepath tcpdump ethtool bridge-utils iptables nftables arping util-linux procps perl socat coreutils bash findutils tar \
 && rm -rf /var/lib/apt/lists/*

RUN npm install -g pnpm@12.4.2

WORKDIR /opt/nslab
COPY . .
# devDependencies included: tsx and esbuild build the bundle; `pnpm nslab` (the CLI) runs from source.
RUN pnpm install --frozen-lockfile
# The web app (apps/web/dist), served at /, and the server bundle (dist/nslab.mjs, dist/pty-host.mjs).
RUN pnpm run build
# `nslab` on PATH (docker compose exec nslab nslab exec -it LAB host -- bash), running that bundle.
RUN bash scripts/install-bin.sh

EXPOSE 7070
# 0.0.0.0 inside the container: the compose file publishes the port on the host's loopback only.
# What `pnpm start` runs: the bundle under bare node (no tsx loader), V8 tuned for memory.
CMD ["node", "--optimize-for-size", "dist/nslab.mjs", "serve", "--host", "0.0.0.0", "--port", "7070"]
