#include "compose/local_image.h"

#include <set>

#include "base/file.h"
#include "base/subprocess.h"
#include "compose/tar.h"

namespace teecloud::compose {

namespace {

// Writes the image's files below `prefix` ("" or "rootfs/").
Status AddBusyboxFiles(TarWriter& tar, const std::string& prefix, const std::string& busybox_path) {
  auto binary = ReadFile(busybox_path, 64u << 20);
  if (!binary.has_value()) {
    return NotFound(busybox_path + " cannot be read: install busybox-static (scripts/deps.sh)");
  }
  // A dynamically linked busybox names its loader near the start of the file.
  const std::string_view head =
      AsStringView(ByteView(*binary).first(std::min<size_t>(binary->size(), 65536)));
  if (head.find("/ld-linux") != std::string_view::npos ||
      head.find("ld-musl") != std::string_view::npos) {
    return FailedPrecondition(busybox_path +
                              " is dynamically linked and cannot run in a FROM-scratch image: "
                              "install busybox-static");
  }
  ASSIGN_OR_RETURN(SubprocessResult list, RunSubprocess({busybox_path, "--list"}));
  if (!list.ok()) return Internal(busybox_path + " --list failed");
  std::set<std::string> applets;
  size_t start = 0;
  while (start < list.output.size()) {
    size_t nl = list.output.find('\n', start);
    if (nl == std::string::npos) nl = list.output.size();
    std::string a = list.output.substr(start, nl - start);
    start = nl + 1;
    if (!a.empty() && a != "busybox" && a.find('/') == std::string::npos) applets.insert(a);
  }
  if (!applets.contains("sh")) return FailedPrecondition(busybox_path + " has no sh applet");

  if (!prefix.empty()) RETURN_IF_ERROR(tar.AddDirectory(prefix));
  RETURN_IF_ERROR(tar.AddDirectory(prefix + "bin"));
  RETURN_IF_ERROR(tar.AddFile(prefix + "bin/busybox", *binary, 0755));
  for (const auto& a : applets) RETURN_IF_ERROR(tar.AddSymlink(prefix + "bin/" + a, "busybox"));
  RETURN_IF_ERROR(tar.AddDirectory(prefix + "etc"));
  RETURN_IF_ERROR(tar.AddFile(prefix + "etc/passwd",
                              AsBytes("root:x:0:0:root:/root:/bin/sh\n"
                                      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")));
  RETURN_IF_ERROR(tar.AddFile(prefix + "etc/group", AsBytes("root:x:0:\nnogroup:x:65534:\n")));
  RETURN_IF_ERROR(tar.AddDirectory(prefix + "root", 0700));
  RETURN_IF_ERROR(tar.AddDirectory(prefix + "tmp", 01777));
  RETURN_IF_ERROR(tar.AddDirectory(prefix + "www"));
  RETURN_IF_ERROR(
      tar.AddFile(prefix + "www/index.html", AsBytes("<!doctype html><title>teecloud</title>"
                                                     "<h1>hello from teecloud</h1>\n")));
  return OkStatus();
}

}  // namespace

Result<Bytes> BusyboxRootfs(const std::string& busybox_path) {
  TarWriter tar;
  RETURN_IF_ERROR(AddBusyboxFiles(tar, "", busybox_path));
  return tar.Finish();
}

Result<Bytes> BusyboxBuildContext(const std::string& busybox_path) {
  TarWriter tar;
  RETURN_IF_ERROR(tar.AddFile("Dockerfile", AsBytes("FROM scratch\n"
                                                    "COPY rootfs/ /\n"
                                                    "CMD [\"/bin/sh\"]\n")));
  RETURN_IF_ERROR(AddBusyboxFiles(tar, "rootfs/", busybox_path));
  return tar.Finish();
}

Status EnsureBusyboxImage(EngineClient& engine, const std::string& tag,
                          const std::string& busybox_path, bool rebuild) {
  if (!rebuild) {
    auto have = engine.InspectImage(tag);
    if (have.has_value()) return OkStatus();
    if (have.error().code != Code::kNotFound) return tl::unexpected(have.error());
  }
  ASSIGN_OR_RETURN(Bytes rootfs, BusyboxRootfs(busybox_path));
  return engine.ImportImage(rootfs, tag, {"CMD [\"/bin/sh\"]"});
}

}  // namespace teecloud::compose
