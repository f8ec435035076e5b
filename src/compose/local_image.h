// A small local image for demos and tests: no registry is reachable, so teecloud builds a
// FROM-scratch image holding busybox-static.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "compose/engine_client.h"

namespace teecloud::compose {

inline constexpr char kBusyboxImage[] = "teecloud/busybox:local";

// The root filesystem (a tar) of an image holding /bin/busybox with every applet as a symlink
// (sh, httpd, wget, ...), /etc/passwd and /etc/group (root, nobody), /tmp (1777) and
// /www/index.html. busybox_path must be statically linked (busybox-static).
Result<Bytes> BusyboxRootfs(const std::string& busybox_path = "/bin/busybox");
// The same as a build context: a Dockerfile (FROM scratch, COPY rootfs/ /) and rootfs/.
Result<Bytes> BusyboxBuildContext(const std::string& busybox_path = "/bin/busybox");

// Imports the root filesystem as `tag` (CMD /bin/sh) unless the engine has it already (or
// `rebuild`). examples/images/build.sh makes the same image with `docker build`.
Status EnsureBusyboxImage(EngineClient& engine, const std::string& tag = kBusyboxImage,
                          const std::string& busybox_path = "/bin/busybox", bool rebuild = false);

}  // namespace teecloud::compose
