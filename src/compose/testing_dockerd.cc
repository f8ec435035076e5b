#include "compose/testing_dockerd.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "base/file.h"
#include "base/subprocess.h"
#include "compose/local_image.h"
#include "testing/testing.h"

namespace teecloud::compose {

namespace fs = std::filesystem;

PrivateDockerd* PrivateDockerd::Register() {
  return static_cast<PrivateDockerd*>(::testing::AddGlobalTestEnvironment(new PrivateDockerd));
}

void PrivateDockerd::SetUp() {
  if (::geteuid() != 0) {
    skip_ = "needs root to run dockerd";
    return;
  }
  if (!FindExecutable("dockerd").has_value()) {
    skip_ = "docker.io is not installed (dockerd not found); CI installs it (scripts/deps.sh)";
    return;
  }
  const std::string src = teecloud::testing::SourceDir();
  if (src.empty()) {
    skip_ = "TEECLOUD_SOURCE_DIR is not set (run through ctest)";
    return;
  }
  // Short: the daemon's unix sockets live below it.
  char tmpl[] = "/tmp/tcdk-XXXXXX";
  TEECLOUD_CHECK(::mkdtemp(tmpl) != nullptr);
  dir_ = tmpl;
  const auto start = std::chrono::steady_clock::now();
  SubprocessOptions o;
  o.timeout_seconds = 90;
  auto r = RunSubprocess({"bash", src + "/scripts/dockerd.sh", "start", "--dir", dir_}, o);
  if (!r.has_value() || !r->ok()) {
    error_ =
        "scripts/dockerd.sh start failed: " + (r.has_value() ? r->output : r.error().ToString());
    return;
  }
  EngineOptions eo;
  eo.socket_path = socket_path();
  eo.request_timeout_seconds = 30;
  engine_ = std::make_unique<EngineClient>(eo);
  if (auto st = EnsureBusyboxImage(*engine_); !st) {
    error_ = "building " + std::string(kBusyboxImage) + " failed: " + st.error().ToString();
    return;
  }
  std::printf("[ dockerd  ] private daemon at %s ready in %.1f s\n", eo.socket_path.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void PrivateDockerd::TearDown() {
  if (dir_.empty()) return;
  if (engine_) {
    // Whatever a failed test left: the daemon is ours alone. Networks must go before the
    // daemon does, or their bridge interfaces outlive it.
    if (auto all = engine_->ListContainers({}); all.has_value()) {
      for (const auto& c : *all) (void)engine_->RemoveContainer(c.id, true, true);
    }
    if (auto nets = engine_->ListNetworks({}); nets.has_value()) {
      for (const auto& n : *nets) {
        if (n.name != "bridge" && n.name != "host" && n.name != "none") {
          (void)engine_->RemoveNetwork(n.id);
        }
      }
    }
  }
  UnmountBelow(dir_, /*fuse_only=*/true);
  SubprocessOptions o;
  o.timeout_seconds = 60;
  (void)RunSubprocess(
      {"bash", teecloud::testing::SourceDir() + "/scripts/dockerd.sh", "stop", "--dir", dir_}, o);
  UnmountBelow(dir_, /*fuse_only=*/false);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::pair<std::string, std::string>> MountsBelow(const std::string& root) {
  std::vector<std::pair<std::string, std::string>> mounts;  // (point, fstype)
  auto text = ReadTextFile("/proc/self/mountinfo");
  if (!text.has_value()) return mounts;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<std::string> fields;
    for (std::string x; f >> x;) fields.push_back(x);
    size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 5 || dash + 1 >= fields.size()) continue;
    if (fields[4].rfind(root + "/", 0) == 0) mounts.emplace_back(fields[4], fields[dash + 1]);
  }
  return mounts;
}

void UnmountBelow(const std::string& root, bool fuse_only) {
  auto mounts = MountsBelow(root);
  std::sort(mounts.begin(), mounts.end(),
            [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  SubprocessOptions o;
  o.timeout_seconds = 10;
  for (const auto& [point, type] : mounts) {
    if (fuse_only && type.rfind("fuse", 0) != 0) continue;
    if (type.rfind("fuse", 0) == 0) (void)RunSubprocess({"fusermount3", "-u", "-z", point}, o);
    (void)RunSubprocess({"umount", "-l", point}, o);
  }
}

std::vector<std::string> FilesContaining(const std::string& root, std::string_view needle,
                                         const std::vector<std::string>& skip) {
  std::vector<std::string> hits;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string path = it->path().string();
    const bool skipped = std::any_of(skip.begin(), skip.end(), [&](const std::string& s) {
      return !s.empty() && path.rfind(s, 0) == 0;
    });
    if (skipped) {
      it.disable_recursion_pending();
      continue;
    }
    std::error_code sec;
    if (it->symlink_status(sec).type() != fs::file_type::regular) continue;
    auto bytes = ReadFile(path, 256u << 20);
    if (bytes.has_value() && AsStringView(*bytes).find(needle) != std::string_view::npos) {
      hits.push_back(path);
    }
  }
  return hits;
}

}  // namespace teecloud::compose
