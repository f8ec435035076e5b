#include "agent/key_provider.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "agent/app_keys.h"
#include "base/file.h"
#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::agent {
namespace {

KeyRequest Request(uint8_t app_fill) {
  KeyRequest r;
  r.app_id = Bytes(20, app_fill);
  r.manifest_hash = Bytes(32, 0x11);
  r.instance_id = Bytes(20, 0x22);
  return r;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

TEST(LocalKeyProviderTest, RootKeyDependsOnSeedAndAppOnly) {
  LocalKeyProvider a(crypto::SecretBytes(Bytes(32, 1)));
  LocalKeyProvider b(crypto::SecretBytes(Bytes(32, 2)));
  auto a1 = a.GetAppKey(Request(0xa1));
  auto a1_again = a.GetAppKey(Request(0xa1));
  auto a2 = a.GetAppKey(Request(0xa2));
  auto b1 = b.GetAppKey(Request(0xa1));
  ASSERT_TRUE(a1 && a1_again && a2 && b1) << a1.error().ToString();
  EXPECT_EQ(ToHex(a1->root_key.view()), ToHex(a1_again->root_key.view()));
  EXPECT_NE(ToHex(a1->root_key.view()), ToHex(a2->root_key.view()));
  EXPECT_NE(ToHex(a1->root_key.view()), ToHex(b1->root_key.view()));
  // The instance does not change the app's keys (every replica of an app gets the same).
  KeyRequest other_instance = Request(0xa1);
  other_instance.instance_id = Bytes(20, 0x33);
  EXPECT_EQ(ToHex(a.GetAppKey(other_instance)->root_key.view()), ToHex(a1->root_key.view()));
}

TEST(LocalKeyProviderTest, SignsTheAppKeyLikeDstacksKms) {
  LocalKeyProvider p(crypto::SecretBytes(Bytes(32, 9)));
  KeyRequest req = Request(0x5a);
  auto grant = p.GetAppKey(req);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->provider_name, "local");
  ASSERT_EQ(grant->kms_signature.size(), 65u);
  auto keys = AppKeys::FromRootKey(grant->root_key);
  ASSERT_TRUE(keys.has_value());
  auto signer = RecoverKeccakSigner(KmsIssuedMessage(req.app_id, keys->k256_public_key()),
                                    grant->kms_signature);
  ASSERT_TRUE(signer.has_value());
  EXPECT_EQ(*signer, grant->kms_root_public_key);
  EXPECT_EQ(*signer, *p.RootPublicKey());
  auto info = ParseJson(grant->provider_info);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ((*info)["name"], "local");
  EXPECT_EQ((*info)["id"], ToHex(grant->kms_root_public_key));
}

TEST(LocalKeyProviderTest, RejectsBadAppId) {
  LocalKeyProvider p(crypto::SecretBytes(Bytes(32, 9)));
  KeyRequest req = Request(1);
  req.app_id = Bytes(19, 1);
  EXPECT_EQ(p.GetAppKey(req).error().code, Code::kInvalidArgument);
}

TEST(LocalKeyProviderTest, SeedFileFormsAndPermissions) {
  const std::string dir = teecloud::testing::MakeTempDir();
  const std::string raw = dir + "/raw", hex = dir + "/hex", open = dir + "/open",
                    bad = dir + "/bad";
  ASSERT_TRUE(WriteFileAtomic(raw, Bytes(32, 4), 0600));
  ASSERT_TRUE(WriteFileAtomic(hex, AsBytes(ToHex(Bytes(32, 4)) + "\n"), 0600));
  ASSERT_TRUE(WriteFileAtomic(open, Bytes(32, 4), 0644));
  ASSERT_TRUE(WriteFileAtomic(bad, Bytes(31, 4), 0600));

  auto from_raw = LocalKeyProvider::FromSeedFile(raw);
  auto from_hex = LocalKeyProvider::FromSeedFile(hex);
  ASSERT_TRUE(from_raw && from_hex) << from_hex.error().ToString();
  EXPECT_EQ(ToHex(*(*from_raw)->RootPublicKey()), ToHex(*(*from_hex)->RootPublicKey()));

  auto world = LocalKeyProvider::FromSeedFile(open);
  ASSERT_FALSE(world.has_value());
  EXPECT_EQ(world.error().code, Code::kPermissionDenied);
  EXPECT_EQ(LocalKeyProvider::FromSeedFile(bad).error().code, Code::kInvalidArgument);
  EXPECT_EQ(LocalKeyProvider::FromSeedFile(dir + "/missing").error().code, Code::kNotFound);
  EXPECT_EQ(LocalKeyProvider::FromSeedFile(dir).error().code, Code::kInvalidArgument);
}

TEST(LocalKeyProviderTest, CreatesSeedFileOnceWithMode0600) {
  const std::string path = teecloud::testing::MakeTempDir() + "/seed";
  auto first = LocalKeyProvider::LoadOrCreateSeedFile(path);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  auto second = LocalKeyProvider::LoadOrCreateSeedFile(path);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*(*first)->RootPublicKey(), *(*second)->RootPublicKey());
}

}  // namespace
}  // namespace teecloud::agent
