#include "compose/encrypted_volume.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/subprocess.h"

namespace teecloud::compose {

namespace fs = std::filesystem;

namespace {

// The key as hex plus a newline, in zeroizing storage: what gocryptfs reads as its password.
crypto::SecretBytes HexLine(const crypto::SecretBytes& key) {
  static const char* kHex = "0123456789abcdef";
  crypto::SecretBytes line(key.size() * 2 + 1);
  const ByteView k = key.view();
  for (size_t i = 0; i < k.size(); ++i) {
    line.data()[2 * i] = static_cast<uint8_t>(kHex[k[i] >> 4]);
    line.data()[2 * i + 1] = static_cast<uint8_t>(kHex[k[i] & 15]);
  }
  line.data()[line.size() - 1] = '\n';
  return line;
}

std::string Absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  if (ec) return p;
  return a.lexically_normal().string();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  if (s.size() > 1000) s = s.substr(0, 1000) + "...";
  return s;
}

// gocryptfs prints these when no syslog daemon listens; they say nothing about the outcome.
std::string WithoutSyslogNoise(const std::string& out) {
  std::string kept;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    const std::string line = out.substr(start, nl - start);
    if (line.find("Unix syslog delivery error") == std::string::npos && !line.empty()) {
      kept += line + "\n";
    }
    start = nl + 1;
  }
  return Trim(kept);
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const char a = s[i + 1], b = s[i + 2], c = s[i + 3];
      if (a >= '0' && a <= '7' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out += static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

Status Check32(const crypto::SecretBytes& key) {
  if (key.size() != EncryptedVolume::kKeySize) {
    return InvalidArgument("encrypted volume key must be " +
                           std::to_string(EncryptedVolume::kKeySize) + " bytes, got " +
                           std::to_string(key.size()));
  }
  return OkStatus();
}

}  // namespace

Result<std::optional<MountEntry>> FindMount(const std::string& dir) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(dir, ec);
  const std::string target = ec ? Absolute(dir) : canonical.string();
  ASSIGN_OR_RETURN(std::string text, ReadTextFile("/proc/self/mountinfo", 16u << 20));
  std::optional<MountEntry> found;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    std::vector<std::string> fields;
    size_t p = 0;
    while (p < line.size()) {
      size_t sp = line.find(' ', p);
      if (sp == std::string::npos) sp = line.size();
      fields.push_back(line.substr(p, sp - p));
      p = sp + 1;
    }
    if (fields.size() < 7) continue;
    size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash + 2 >= fields.size()) continue;
    if (Unescape(fields[4]) != target) continue;
    found = MountEntry{Unescape(fields[dash + 2]), fields[dash + 1]};  // the last one is on top
  }
  return found;
}

Status EncryptedVolume::CheckTools() const {
  if (!FindExecutable(options_.gocryptfs).has_value()) {
    return FailedPrecondition(options_.gocryptfs +
                              " not found: encrypted volumes need gocryptfs (apt-get install "
                              "gocryptfs fuse3, or scripts/deps.sh)");
  }
  struct stat st {};
  if (::stat(options_.fuse_device.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
    return FailedPrecondition(options_.fuse_device +
                              " is missing: FUSE is not available here, so encrypted volumes "
                              "cannot be mounted (load the fuse module; in a container, pass "
                              "--device /dev/fuse)");
  }
  return OkStatus();
}

bool EncryptedVolume::IsInitialized(const std::string& cipher_dir) const {
  std::error_code ec;
  return fs::exists(fs::path(cipher_dir) / "gocryptfs.conf", ec);
}

Status EncryptedVolume::Init(const std::string& cipher_dir, const crypto::SecretBytes& key) const {
  RETURN_IF_ERROR(Check32(key));
  RETURN_IF_ERROR(CheckTools());
  const std::string dir = Absolute(cipher_dir);
  if (IsInitialized(dir)) {
    return MakeError(Code::kAlreadyExists, "encrypted volume " + dir + " is already initialized");
  }
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return Internal("cannot create " + dir + ": " + ec.message());
    fs::permissions(dir, fs::perms(0700), ec);
  } else if (!fs::is_empty(dir, ec)) {
    return FailedPrecondition("cannot initialize encrypted volume: " + dir + " is not empty");
  }
  const crypto::SecretBytes line = HexLine(key);
  SubprocessOptions sp;
  sp.stdin_data = line.view();
  sp.timeout_seconds = options_.timeout_seconds;
  // -scryptn 10: the "password" is a 256-bit key, so stretching it buys nothing.
  ASSIGN_OR_RETURN(
      SubprocessResult r,
      RunSubprocess({options_.gocryptfs, "-init", "-q", "-scryptn", "10", "--", dir}, sp));
  if (r.timed_out) return MakeError(Code::kDeadlineExceeded, "gocryptfs -init timed out");
  if (!r.ok()) {
    return Internal("gocryptfs -init " + dir + " failed (exit " + std::to_string(r.exit_code) +
                    "): " + WithoutSyslogNoise(r.output));
  }
  return OkStatus();
}

Status EncryptedVolume::Mount(const std::string& cipher_dir, const std::string& plain_dir,
                              const crypto::SecretBytes& key) const {
  RETURN_IF_ERROR(Check32(key));
  RETURN_IF_ERROR(CheckTools());
  const std::string cipher = Absolute(cipher_dir);
  const std::string plain = Absolute(plain_dir);
  if (!IsInitialized(cipher)) {
    return FailedPrecondition("encrypted volume " + cipher + " is not initialized (Init first)");
  }
  ASSIGN_OR_RETURN(std::optional<MountEntry> existing, FindMount(plain));
  if (existing) {
    std::error_code ec;
    const fs::path src = fs::weakly_canonical(existing->source, ec);
    const fs::path want = fs::weakly_canonical(cipher, ec);
    if (existing->fstype == "fuse.gocryptfs" && src == want) return OkStatus();
    return FailedPrecondition(plain + " is already a mount point (" + existing->fstype + " of " +
                              existing->source + ")");
  }
  std::error_code ec;
  if (!fs::exists(plain, ec)) {
    fs::create_directories(plain, ec);
    if (ec) return Internal("cannot create " + plain + ": " + ec.message());
  } else if (!fs::is_empty(plain, ec)) {
    return FailedPrecondition("cannot mount encrypted volume on " + plain + ": it is not empty");
  }
  const crypto::SecretBytes line = HexLine(key);
  SubprocessOptions sp;
  sp.stdin_data = line.view();
  sp.timeout_seconds = options_.timeout_seconds;
  ASSIGN_OR_RETURN(
      SubprocessResult r,
      RunSubprocess({options_.gocryptfs, "-q", "-allow_other", "--", cipher, plain}, sp));
  if (r.timed_out) return MakeError(Code::kDeadlineExceeded, "gocryptfs mount timed out");
  if (r.exit_code == 12) {
    return PermissionDenied("wrong key for encrypted volume " + cipher);
  }
  if (!r.ok()) {
    return Internal("gocryptfs mount of " + cipher + " on " + plain + " failed (exit " +
                    std::to_string(r.exit_code) + "): " + WithoutSyslogNoise(r.output));
  }
  ASSIGN_OR_RETURN(std::optional<MountEntry> now, FindMount(plain));
  if (!now) return Internal("gocryptfs reported success but " + plain + " is not mounted");
  return OkStatus();
}

Status EncryptedVolume::Unmount(const std::string& plain_dir) const {
  const std::string plain = Absolute(plain_dir);
  ASSIGN_OR_RETURN(std::optional<MountEntry> m, FindMount(plain));
  if (!m) return OkStatus();
  SubprocessOptions sp;
  sp.timeout_seconds = options_.timeout_seconds;
  std::string outputs;
  bool unmounted = false;
  const std::vector<std::vector<std::string>> attempts = {
      {"fusermount3", "-u", "--", plain}, {"fusermount", "-u", "--", plain}, {"umount", plain}};
  for (const auto& argv : attempts) {
    auto r = RunSubprocess(argv, sp);
    if (!r.has_value()) continue;  // that tool is not installed
    if (r->ok()) {
      unmounted = true;
      break;
    }
    outputs += (outputs.empty() ? "" : "; ") + argv[0] + ": " + Trim(r->output);
  }
  if (!unmounted) {
    if (outputs.find("busy") != std::string::npos) {
      return FailedPrecondition("cannot unmount " + plain +
                                ": it is busy (stop the containers using it first): " + outputs);
    }
    return Internal("cannot unmount " + plain + ": " + outputs);
  }
  // gocryptfs exits once the kernel lets go; wait (bounded) until the mount table agrees.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSIGN_OR_RETURN(std::optional<MountEntry> still, FindMount(plain));
    if (!still) return OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Internal(plain + " is still mounted after unmounting");
}

Result<bool> EncryptedVolume::IsMounted(const std::string& plain_dir) const {
  ASSIGN_OR_RETURN(std::optional<MountEntry> m, FindMount(plain_dir));
  return m.has_value();
}

}  // namespace teecloud::compose
