#!/usr/bin/env bash
# Writes the `nslab` command (default /usr/local/bin/nslab): a launcher for this checkout that runs
# from any directory. It runs the bundle (dist/nslab.mjs, from `pnpm build` or
# `tsx scripts/build-server.ts`) under bare node; when the bundle is missing or older than a source
# file it runs the sources through tsx instead (slower, and says so on a terminal), so it never runs
# code older than the checkout.
#   bash scripts/install-bin.sh [DEST]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-/usr/local/bin/nslab}
node=$(command -v node || true)
if [ -z "$node" ]; then
  echo "install-bin: node is not on PATH" >&2
  exit 1
fi
# tsx's loader as a file URL: `--import tsx` would be looked up from the caller's directory.
loader=$(cd "$root" && "$node" --input-type=module -e 'console.log(import.meta.resolve("tsx"))' 2>/dev/null || true)
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
tmp=$(mktemp "$(dirname "$dest")/.nslab.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<EOF
#!/bin/sh
# nslab launcher for the checkout in $(q "$root"), written by scripts/install-bin.sh.
ROOT=$(q "$root")
NODE=$(q "$node")
[ -x "\$NODE" ] || NODE=node
BUNDLE="\$ROOT/dist/nslab.mjs"
# The bundle only when none of its sources is newer (one find, a few ms): never older code than
# the checkout. Tests and the web app (built apart) are not in the bundle.
if [ -f "\$BUNDLE" ] && [ -z "\$(find "\$ROOT/apps" "\$ROOT/packages" \\( -name node_modules -o -name test -o -path "\$ROOT/apps/web" \\) -prune -o -name '*.ts' -newer "\$BUNDLE" -print -quit 2>/dev/null)" ]; then
  exec "\$NODE" "\$BUNDLE" "\$@"
fi
[ -t 2 ] && echo "nslab: running from source (dist/nslab.mjs is missing or older than the sources; \\\`pnpm build\\\` makes calls faster)" >&2
LOADER=$(q "$loader")
[ -n "\$LOADER" ] && [ -f "\${LOADER#file://}" ] || exec "\$ROOT/node_modules/.bin/tsx" "\$ROOT/apps/cli/src/main.ts" "\$@"
exec "\$NODE" --import "\$LOADER" "\$ROOT/apps/cli/src/main.ts" "\$@"
EOF
chmod 0755 "$tmp"
mv -f "$tmp" "$dest"
trap - EXIT
echo "installed $dest (runs $root)"
