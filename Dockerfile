# nslab server image. Run it with docker-compose.yml (privileged, own network namespace, data on a
# named volume, port published on 127.0.0.1 only); see README.md "Docker".
FROM node:20-bookworm

# The kernel tools labs use (same list as scripts/setup.sh).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      iproute2 iputils-ping tcpdump ethtool bridge-utils iptables arping util-linux procps \
 && rm -rf /var/lib/apt/lists/*

RUN npm install -g pnpm@12.4.2

WORKDIR /opt/nslab
COPY . .
# devDependencies included: the server runs from TypeScript sources through tsx.
RUN pnpm install --frozen-lockfile
# The web app (apps/web/dist), which `nslab serve` serves at /.
RUN pnpm run build

EXPOSE 7070
# 0.0.0.0 inside the container: the compose file publishes the port on the host's loopback only.
CMD ["pnpm", "nslab", "serve", "--host", "0.0.0.0", "--port", "7070"]
