#include "crypto/secret.h"

#include <gtest/gtest.h>

#include <sstream>

#include "crypto/random.h"

namespace teecloud::crypto {
namespace {

TEST(SecretTest, PrintsPlaceholderNeverBytes) {
  SecretBytes s(AsBytes("hunter2-hunter2"));
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "<secret 15 bytes>");
}

TEST(SecretTest, CopyAndMove) {
  SecretBytes a(AsBytes("key material"));
  SecretBytes b = a;
  EXPECT_TRUE(BytesEqual(a.view(), b.view()));
  SecretBytes c = std::move(a);
  EXPECT_TRUE(BytesEqual(c.view(), AsBytes("key material")));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped and empty
  SecretBytes d(3);
  d = std::move(c);
  EXPECT_EQ(d.size(), 12u);
  EXPECT_TRUE(c.empty());  // NOLINT(bugprone-use-after-move)
  d = b;
  EXPECT_TRUE(BytesEqual(d.view(), b.view()));
}

TEST(SecretTest, SizedConstructorIsZeroed) {
  SecretBytes s(16);
  EXPECT_EQ(s.size(), 16u);
  EXPECT_TRUE(IsAllZero(s.view()));
}

TEST(SecretRandomTest, FakeRandomIsDeterministic) {
  FakeRandom a(42), b(42), c(43);
  const Bytes x = a.RandomBytes(100);
  EXPECT_EQ(x, b.RandomBytes(100));
  EXPECT_NE(x, c.RandomBytes(100));
  EXPECT_NE(x, a.RandomBytes(100));  // the stream advances
}

TEST(SecretRandomTest, SystemRandomFills) {
  SystemRandom r;
  const SecretBytes s = r.RandomSecret(32);
  EXPECT_EQ(s.size(), 32u);
  EXPECT_FALSE(IsAllZero(s.view()));
  EXPECT_NE(r.RandomBytes(32), r.RandomBytes(32));
  EXPECT_TRUE(r.RandomBytes(0).empty());
}

}  // namespace
}  // namespace teecloud::crypto
