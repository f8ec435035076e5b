#include "agent/boot.h"

#include <sys/stat.h>

#include <filesystem>

#include "agent/app_keys.h"
#include "base/file.h"
#include "crypto/hash.h"

namespace teecloud::agent {
namespace {

using attest::eventlog::kRuntimeImr;
using attest::eventlog::RuntimeEvent;

constexpr char kInstanceSeedFile[] = "instance-seed";

}  // namespace

Bytes InstanceId(const crypto::SecretBytes& instance_seed, ByteView app_id) {
  const crypto::Digest256 h = crypto::Sha256(Concat({instance_seed.view(), app_id}));
  return Bytes(h.begin(), h.begin() + kAppIdSize);
}

Result<crypto::SecretBytes> LoadOrCreateInstanceSeed(const std::string& state_dir,
                                                     crypto::Random& random) {
  if (state_dir.empty()) return InvalidArgument("state directory not set");
  std::error_code ec;
  if (!std::filesystem::exists(state_dir, ec)) {
    std::filesystem::create_directories(state_dir, ec);
    if (ec)
      return InvalidArgument("cannot create state directory " + state_dir + ": " + ec.message());
    ::chmod(state_dir.c_str(), 0700);
  } else if (!std::filesystem::is_directory(state_dir, ec)) {
    return InvalidArgument(state_dir + ": state path is not a directory");
  }
  const std::string path = state_dir + "/" + kInstanceSeedFile;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    crypto::SecretBytes seed = random.RandomSecret(kInstanceSeedSize);
    auto written = WriteFileAtomic(path, seed.view(), 0600);
    if (!written) return tl::unexpected(written.error().WithContext("creating instance seed"));
    return seed;
  }
  if (!S_ISREG(st.st_mode)) return InvalidArgument(path + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return PermissionDenied(path + ": instance seed is accessible by group or others; chmod 600");
  }
  auto raw = ReadFile(path, 1024);
  if (!raw) return tl::unexpected(raw.error().WithContext("reading instance seed"));
  crypto::SecretBytes seed(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  if (seed.size() != kInstanceSeedSize) {
    return DataLoss(path + ": instance seed must be 32 bytes");
  }
  return seed;
}

Result<AppIdentity> ResolveIdentity(const BootInputs& inputs) {
  AppIdentity id;
  auto parsed = manifest::ParseManifest(inputs.manifest_json);
  if (!parsed) return tl::unexpected(parsed.error().WithContext("manifest"));
  id.manifest = std::move(*parsed);
  id.canonical_manifest = manifest::CanonicalManifestJson(id.manifest);
  const crypto::Digest256 hash = manifest::ManifestHash(id.manifest);
  id.manifest_hash = Bytes(hash.begin(), hash.end());
  if (inputs.app_id) {
    if (inputs.app_id->size() != kAppIdSize) return InvalidArgument("app_id must be 20 bytes");
    id.app_id = *inputs.app_id;
  } else {
    const manifest::AppId app_id = manifest::PolicyModeAppId(hash);
    id.app_id = Bytes(app_id.begin(), app_id.end());
  }
  if (inputs.instance_seed.size() != kInstanceSeedSize) {
    return InvalidArgument("instance seed must be 32 bytes");
  }
  id.instance_id = InstanceId(inputs.instance_seed, id.app_id);
  return id;
}

Result<BootOutcome> RunBootSequence(tee::Attester& attester, KeyProvider& key_provider,
                                    const BootInputs& inputs) {
  BootOutcome out;
  ASSIGN_OR_RETURN(out.identity, ResolveIdentity(inputs));
  AppIdentity& id = out.identity;

  auto extend = [&](std::string_view name, ByteView payload) -> Status {
    auto ev = attester.ExtendRuntimeEvent(kRuntimeImr, std::string(name), payload);
    if (!ev) return tl::unexpected(ev.error().WithContext("measuring " + std::string(name)));
    out.events.push_back(std::move(*ev));
    return OkStatus();
  };

  RETURN_IF_ERROR(extend(kBootEventNames[0], {}));
  RETURN_IF_ERROR(extend(kBootEventNames[1], id.app_id));
  RETURN_IF_ERROR(extend(kBootEventNames[2], id.manifest_hash));
  RETURN_IF_ERROR(extend(kBootEventNames[3], id.instance_id));
  RETURN_IF_ERROR(extend(kBootEventNames[4], {}));

  KeyRequest request;
  request.app_id = id.app_id;
  request.manifest_hash = id.manifest_hash;
  request.instance_id = id.instance_id;
  request.attester = &attester;
  auto grant = key_provider.GetAppKey(request);
  if (!grant)
    return tl::unexpected(grant.error().WithContext("key provider " + key_provider.Name()));
  out.grant = std::move(*grant);
  if (out.grant.root_key.size() != kRootKeySize) {
    return Internal("key provider returned a root key of the wrong size");
  }
  id.key_provider_name = out.grant.provider_name;
  id.key_provider_info = out.grant.provider_info;

  RETURN_IF_ERROR(extend(kBootEventNames[5], AsBytes(id.key_provider_info)));
  RETURN_IF_ERROR(extend(kBootEventNames[6], {}));
  return out;
}

}  // namespace teecloud::agent
