// Encrypted-at-rest storage for app volumes in user space: a gocryptfs directory pair (cipher
// directory on the host disk, plaintext view through FUSE). The container backend uses it
// because the host has no device-mapper; production CVMs use LUKS inside the guest instead.
//
// The key is 32 bytes (derived from the app key by the agent). It reaches gocryptfs as hex on
// its stdin, never in argv, the environment or a file; gocryptfs derives its own wrapping key
// from it (scrypt with a low cost factor: the input is a full-entropy key, not a password).
// Mounts use -allow_other so the container engine (root) and containers can use them, and are
// daemonized: they outlive this process until Unmount.
//
// Thread-safe (no state beyond the options).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "base/error.h"
#include "crypto/secret.h"

namespace teecloud::compose {

struct EncryptedVolumeOptions {
  std::string gocryptfs = "gocryptfs";  // program name or path
  std::string fuse_device = "/dev/fuse";
  double timeout_seconds = 30;  // per gocryptfs / fusermount invocation
};

class EncryptedVolume {
 public:
  static constexpr size_t kKeySize = 32;

  explicit EncryptedVolume(EncryptedVolumeOptions options = {}) : options_(std::move(options)) {}

  // Initializes an empty (or missing: created 0700) cipher directory. kAlreadyExists when it
  // is initialized already.
  Status Init(const std::string& cipher_dir, const crypto::SecretBytes& key) const;
  bool IsInitialized(const std::string& cipher_dir) const;
  // Mounts cipher_dir at plain_dir (created when missing; must be empty). OK when plain_dir is
  // already a gocryptfs mount of cipher_dir. kPermissionDenied for a wrong key.
  Status Mount(const std::string& cipher_dir, const std::string& plain_dir,
               const crypto::SecretBytes& key) const;
  // Unmounts (fusermount3 -u, then fusermount -u, then umount). OK when not mounted;
  // kFailedPrecondition while something still uses the mount.
  Status Unmount(const std::string& plain_dir) const;
  // Whether plain_dir is a FUSE mount point right now.
  Result<bool> IsMounted(const std::string& plain_dir) const;

 private:
  Status CheckTools() const;
  EncryptedVolumeOptions options_;
};

// The mount of `dir` from /proc/self/mountinfo: its source and fstype ("fuse.gocryptfs").
struct MountEntry {
  std::string source;
  std::string fstype;
};
Result<std::optional<MountEntry>> FindMount(const std::string& dir);

}  // namespace teecloud::compose
