#!/bin/sh
# docker-image.sh [IMAGE]: imports the test image (default
# obs-test-busybox:latest) into the Docker engine without a registry: the
# static /bin/busybox and its applet links in an empty rootfs, piped as a
# tar to docker import.  Does nothing when the image exists.  Used by
# tests/helpers.bash (docker_image_busybox) and bench/ctrcol.sh.
set -eu
image=${1:-obs-test-busybox:latest}
docker image inspect "$image" >/dev/null 2>&1 && exit 0
[ -x /bin/busybox ] || { echo "docker-image.sh: no /bin/busybox (busybox-static)" >&2; exit 1; }
root=$(mktemp -d "${TMPDIR:-/tmp}/obs-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
# Another suite may import it at the same time: either import will do.
tar -C "$root" -c . | docker import - "$image" >/dev/null ||
	docker image inspect "$image" >/dev/null 2>&1
