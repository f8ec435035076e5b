#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace teecloud::crypto {
namespace {

// FIPS 180-2 Appendix B/C/D examples ("abc" and the two-block message).
constexpr std::string_view kTwoBlock448 =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view kTwoBlock896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnop"
    "qrsmnopqrstnopqrstu";

TEST(HashTest, Sha256Fips180) {
  EXPECT_EQ(ToHex(View(Sha256(AsBytes("abc")))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(View(Sha256(AsBytes(kTwoBlock448)))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(ToHex(View(Sha256({}))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, Sha384Fips180) {
  EXPECT_EQ(ToHex(View(Sha384(AsBytes("abc")))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358b"
            "aeca134c825a7");
  EXPECT_EQ(ToHex(View(Sha384(AsBytes(kTwoBlock896)))),
            "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c"
            "3e9fa91746039");
}

TEST(HashTest, Sha512Fips180) {
  EXPECT_EQ(ToHex(View(Sha512(AsBytes("abc")))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836b"
            "a3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(HashTest, Sha384HasherMatchesOneShotAndResets) {
  std::string big(100000, 'a');
  Sha384Hasher h;
  for (size_t i = 0; i < big.size(); i += 333) {
    h.Update(AsBytes(std::string_view(big).substr(i, 333)));
  }
  EXPECT_EQ(h.Final(), Sha384(AsBytes(big)));
  // Final() resets the hasher.
  h.Update(AsBytes("abc"));
  EXPECT_EQ(h.Final(), Sha384(AsBytes("abc")));
}

}  // namespace
}  // namespace teecloud::crypto
