// The parts of EncryptedVolume that need no FUSE; mounting is in integration_test.cc.
#include "compose/encrypted_volume.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace teecloud::compose {
namespace {

using ::testing::HasSubstr;

TEST(EncryptedVolumeTest, KeyMustBe32Bytes) {
  EncryptedVolume ev;
  crypto::SecretBytes short_key(16);
  auto st = ev.Init("/tmp/unused-cipher", short_key);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kInvalidArgument);
  EXPECT_THAT(st.error().message, HasSubstr("32 bytes"));
  EXPECT_FALSE(ev.Mount("/tmp/unused-cipher", "/tmp/unused-plain", short_key));
}

TEST(EncryptedVolumeTest, MissingGocryptfsIsExplained) {
  EncryptedVolumeOptions o;
  o.gocryptfs = "/nonexistent/gocryptfs";
  EncryptedVolume ev(o);
  auto st = ev.Init("/tmp/unused-cipher", crypto::SecretBytes(32));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
  EXPECT_THAT(st.error().message, HasSubstr("gocryptfs"));
  EXPECT_THAT(st.error().message, HasSubstr("apt-get install"));
}

TEST(EncryptedVolumeTest, MissingFuseDeviceIsExplained) {
  EncryptedVolumeOptions o;
  o.gocryptfs = "sh";  // any program: the FUSE check comes next
  o.fuse_device = "/nonexistent/fuse";
  EncryptedVolume ev(o);
  auto st = ev.Mount("/tmp/unused-cipher", "/tmp/unused-plain", crypto::SecretBytes(32));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
  EXPECT_THAT(st.error().message, HasSubstr("FUSE"));
}

TEST(EncryptedVolumeTest, MountTable) {
  auto root = FindMount("/");
  ASSERT_TRUE(root.has_value()) << root.error().ToString();
  EXPECT_TRUE(root->has_value());
  auto none = FindMount("/nonexistent/teecloud/dir");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  EncryptedVolume ev;
  EXPECT_FALSE(ev.IsInitialized("/nonexistent/teecloud/dir"));
  EXPECT_TRUE(ev.Unmount("/nonexistent/teecloud/dir"));  // not mounted: nothing to do
}

}  // namespace
}  // namespace teecloud::compose
