#!/usr/bin/env bash
# Builds teecloud/busybox:local: a FROM-scratch image holding busybox-static (sh, httpd, wget,
# ... as symlinks), a minimal /etc/passwd, /tmp and /www/index.html. No registry is reachable,
# so the demo and the tests run this image.
#
#   examples/images/build.sh [--tag TAG] [--host unix:///path/docker.sock]
#
# The engine defaults to $DOCKER_HOST, else the private dev daemon of scripts/dockerd.sh
# (unix://$TEECLOUD_DOCKER_DIR/docker.sock, default /var/lib/teecloud/dockerd). Idempotent:
# the build is cached by the engine. (The C++ equivalent is compose::EnsureBusyboxImage.)
set -euo pipefail

TAG=teecloud/busybox:local
HOST=${DOCKER_HOST:-unix://${TEECLOUD_DOCKER_DIR:-/var/lib/teecloud/dockerd}/docker.sock}
while [ $# -gt 0 ]; do
  case $1 in
    --tag) TAG=$2; shift 2 ;;
    --host) HOST=$2; shift 2 ;;
    *) echo "usage: $0 [--tag TAG] [--host unix:///path/docker.sock]" >&2; exit 2 ;;
  esac
done

BUSYBOX=/bin/busybox
if [ ! -x "$BUSYBOX" ] || ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed"; then
  echo "build.sh: busybox-static is not installed (scripts/deps.sh installs it)" >&2
  exit 1
fi
command -v docker >/dev/null || { echo "build.sh: docker CLI not found (apt-get install docker.io)" >&2; exit 1; }

ctx=$(mktemp -d "${TMPDIR:-/tmp}/teecloud-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc" "$ctx/rootfs/root" "$ctx/rootfs/tmp" "$ctx/rootfs/www"
cp "$BUSYBOX" "$ctx/rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ctx/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
  > "$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ctx/rootfs/etc/group"
chmod 0700 "$ctx/rootfs/root"
chmod 1777 "$ctx/rootfs/tmp"
printf '<!doctype html><title>teecloud</title><h1>hello from teecloud</h1>\n' \
  > "$ctx/rootfs/www/index.html"
cat > "$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
CMD ["/bin/sh"]
DOCKERFILE

# The legacy builder needs no network for COPY-only builds; BuildKit is not in Debian's docker.io.
if ! out=$(DOCKER_BUILDKIT=0 docker -H "$HOST" build --network none -q -t "$TAG" "$ctx" 2>&1); then
  echo "build.sh: docker build failed:" >&2
  echo "$out" >&2
  exit 1
fi
echo "build.sh: built $TAG on $HOST"
