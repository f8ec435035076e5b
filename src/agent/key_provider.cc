#include "agent/key_provider.h"

#include <sys/stat.h>

#include <cctype>

#include "agent/app_keys.h"
#include "base/file.h"
#include "base/json.h"
#include "crypto/mac.h"
#include "crypto/random.h"
#include "crypto/secp256k1.h"

namespace teecloud::agent {
namespace {

constexpr std::string_view kSalt = "teecloud-local-key-provider/v1";

Result<crypto::SecretBytes> Hkdf(const crypto::SecretBytes& seed, ByteView info) {
  return crypto::HkdfSha256(seed.view(), AsBytes(kSalt), info, 32);
}

// The local signing root: a secp256k1 scalar from the seed (counter retry as in app_keys).
Result<crypto::SecretBytes> RootKey(const crypto::SecretBytes& seed) {
  for (uint8_t counter = 0; counter < 16; ++counter) {
    Bytes info = Concat({AsBytes("kms-root-k256:"), ByteView(&counter, 1)});
    ASSIGN_OR_RETURN(crypto::SecretBytes k, Hkdf(seed, info));
    if (crypto::Secp256k1CheckPrivateKey(k)) return k;
  }
  return Internal("local key provider: no valid root scalar");
}

Status CheckSeedFileMode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return NotFound(path + ": no such file");
  if (!S_ISREG(st.st_mode)) return InvalidArgument(path + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return PermissionDenied(path + ": key seed file is accessible by group or others (mode " +
                            std::to_string((st.st_mode >> 6) & 7) +
                            std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
                            "); chmod 600 it");
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<LocalKeyProvider>> LocalKeyProvider::FromSeedFile(const std::string& path) {
  RETURN_IF_ERROR(CheckSeedFileMode(path));
  auto raw = ReadFile(path, 4096);
  if (!raw) return tl::unexpected(raw.error().WithContext("key seed file"));
  crypto::SecretBytes file(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  if (file.size() == kSeedSize) return std::make_unique<LocalKeyProvider>(std::move(file));
  // Hex form: 64 hex digits with optional surrounding whitespace.
  std::string_view text = AsStringView(file.view());
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  if (text.size() == 2 * kSeedSize) {
    auto decoded = FromHex(text);
    if (decoded && decoded->size() == kSeedSize) {
      crypto::SecretBytes seed(*decoded);
      std::fill(decoded->begin(), decoded->end(), 0);
      return std::make_unique<LocalKeyProvider>(std::move(seed));
    }
  }
  return InvalidArgument(path + ": key seed must be 32 raw bytes or 64 hex digits");
}

Result<std::unique_ptr<LocalKeyProvider>> LocalKeyProvider::LoadOrCreateSeedFile(
    const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    crypto::SystemRandom random;
    crypto::SecretBytes seed = random.RandomSecret(kSeedSize);
    auto written = WriteFileAtomic(path, seed.view(), 0600);
    if (!written) return tl::unexpected(written.error().WithContext("creating key seed file"));
  }
  return FromSeedFile(path);
}

Result<Bytes> LocalKeyProvider::RootPublicKey() const {
  ASSIGN_OR_RETURN(crypto::SecretBytes root, RootKey(seed_));
  return crypto::Secp256k1PublicKeyCompressed(root);
}

Result<AppKeyGrant> LocalKeyProvider::GetAppKey(const KeyRequest& request) {
  if (request.app_id.size() != kAppIdSize) return InvalidArgument("app_id must be 20 bytes");
  if (seed_.size() != kSeedSize) return FailedPrecondition("local key seed must be 32 bytes");
  AppKeyGrant grant;
  ASSIGN_OR_RETURN(grant.root_key, Hkdf(seed_, Concat({AsBytes("app-root-key:"), request.app_id})));
  ASSIGN_OR_RETURN(AppKeys keys, AppKeys::FromRootKey(grant.root_key));
  ASSIGN_OR_RETURN(crypto::SecretBytes root, RootKey(seed_));
  ASSIGN_OR_RETURN(grant.kms_root_public_key, crypto::Secp256k1PublicKeyCompressed(root));
  ASSIGN_OR_RETURN(
      grant.kms_signature,
      SignKeccakRecoverable(root, KmsIssuedMessage(request.app_id, keys.k256_public_key())));
  grant.provider_name = Name();
  OrderedJson info;
  info["name"] = grant.provider_name;
  info["id"] = ToHex(grant.kms_root_public_key);
  grant.provider_info = DumpJson(info);
  return grant;
}

}  // namespace teecloud::agent
