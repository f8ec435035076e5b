#include "chain/signer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "testing/testing.h"

namespace teecloud::chain {
namespace {

// anvil's first default account (public test key; never use it for anything real).
constexpr char kKey[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr char kAddress[] = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

std::string WriteKeyFile(const std::string& text, mode_t mode) {
  static const std::string dir = testing::MakeTempDir();
  static int n = 0;
  std::string path = dir + "/key" + std::to_string(n++);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

// No error message may contain the key, in any case, with or without its prefix.
void ExpectNoKey(const Error& e) {
  EXPECT_EQ(e.message.find("ac0974bec39a17e3"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("AC0974BEC39A17E3"), std::string::npos) << e.message;
}

TEST(SignerTest, FromEnvValue) {
  auto s = LoadSigner(std::nullopt, kKey);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(ChecksumAddress(s->address()), kAddress);
  auto prefixed = LoadSigner(std::nullopt, ("  0x" + std::string(kKey) + "\n").c_str());
  ASSERT_TRUE(prefixed.has_value());
  EXPECT_EQ(prefixed->address(), s->address());
}

TEST(SignerTest, FromKeyFile) {
  const std::string path = WriteKeyFile(std::string("0x") + kKey + "\n", 0600);
  auto s = LoadSigner(path, nullptr);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(ChecksumAddress(s->address()), kAddress);
  // The key file wins over the environment.
  auto both = LoadSigner(path, "4646464646464646464646464646464646464646464646464646464646464646");
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(ChecksumAddress(both->address()), kAddress);
}

TEST(SignerTest, RefusesReadableKeyFiles) {
  for (mode_t mode : {0640, 0604, 0644, 0660, 0620}) {
    const std::string path = WriteKeyFile(kKey, mode);
    auto s = LoadSigner(path, nullptr);
    ASSERT_FALSE(s.has_value()) << std::oct << mode;
    EXPECT_EQ(s.error().code, Code::kPermissionDenied);
    EXPECT_NE(s.error().message.find("chmod 600"), std::string::npos);
    ExpectNoKey(s.error());
  }
  EXPECT_TRUE(LoadSigner(WriteKeyFile(kKey, 0400), nullptr).has_value());
}

TEST(SignerTest, ErrorsNeverContainTheKey) {
  // Wrong lengths, bad digits, invalid scalars: the message says what is wrong, not the text.
  const std::string bad_inputs[] = {
      std::string(kKey) + "00",
      std::string(kKey).substr(0, 62),
      std::string(kKey).substr(0, 63) + "z",
      std::string(64, '0'),                                                // zero scalar
      "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",  // n
  };
  for (const std::string& bad : bad_inputs) {
    auto from_env = LoadSigner(std::nullopt, bad.c_str());
    ASSERT_FALSE(from_env.has_value()) << bad;
    ExpectNoKey(from_env.error());
    EXPECT_EQ(from_env.error().message.find(bad), std::string::npos);
    auto from_file = LoadSigner(WriteKeyFile(bad, 0600), nullptr);
    ASSERT_FALSE(from_file.has_value());
    ExpectNoKey(from_file.error());
    EXPECT_EQ(from_file.error().message.find(bad), std::string::npos);
  }
}

TEST(SignerTest, MissingKey) {
  auto s = LoadSigner(std::nullopt, nullptr);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Code::kNotFound);
  EXPECT_NE(s.error().message.find("TEECLOUD_PRIVATE_KEY"), std::string::npos);
  EXPECT_FALSE(LoadSigner(std::nullopt, "").has_value());
  auto missing = LoadSigner(std::string("/nonexistent/key"), nullptr);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Code::kNotFound);
}

TEST(SignerTest, SecretNeverPrints) {
  auto key = ParsePrivateKeyHex(kKey);
  ASSERT_TRUE(key.has_value());
  std::ostringstream os;
  os << *key;
  EXPECT_EQ(os.str(), "<secret 32 bytes>");
}

}  // namespace
}  // namespace teecloud::chain
