// Known-answer tests for transaction signing.
//   - EIP-155's example transaction (https://eips.ethereum.org/EIPS/eip-155, "Example"): signing
//     data, signing hash, v/r/s and the signed raw transaction, as printed in the EIP.
//   - EIP-1559: the vectors of ethereumjs (ethereumjs-monorepo, packages/tx/test/json/
//     eip1559.json): chain id 7822 (0x1e8e), to 0x..aaaa, empty data and access list; their
//     "signedTransactionRLP" is the raw transaction wrapped in one more RLP string, unwrapped
//     here. ethereumjs signs with RFC 6979 and low-S, like libsecp256k1, so the bytes match.
// chain_cli_test cross-checks both kinds against anvil (the node recovers our sender).
#include "chain/transaction.h"

#include <gtest/gtest.h>

#include <string>

#include "chain/rlp.h"
#include "crypto/secret.h"

namespace teecloud::chain {
namespace {

Bytes Hex(std::string_view h) {
  auto b = FromHex(h);
  EXPECT_TRUE(b.has_value()) << h;
  return b ? *b : Bytes{};
}

Signer SignerFromHex(std::string_view key_hex) {
  auto key = ParsePrivateKeyHex(key_hex);
  EXPECT_TRUE(key.has_value());
  auto signer = Signer::FromPrivateKey(std::move(*key));
  EXPECT_TRUE(signer.has_value());
  return std::move(*signer);
}

Address Addr(std::string_view hex) {
  auto a = ParseAddress(hex);
  EXPECT_TRUE(a.has_value()) << hex;
  return a ? *a : Address{};
}

LegacyTx Eip155Example() {
  LegacyTx tx;
  tx.nonce = 9;
  tx.gas_price = 20'000'000'000;
  tx.gas_limit = 21000;
  tx.to = Addr("0x3535353535353535353535353535353535353535");
  tx.value = U256FromUint64(1'000'000'000'000'000'000ULL);
  tx.chain_id = 1;
  return tx;
}

TEST(TransactionTest, Eip155ExampleSigningData) {
  EXPECT_EQ(ToHex(SigningPayload(Eip155Example())),
            "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
            "80018080");
  EXPECT_EQ(HexData(SigningHash(Eip155Example())),
            "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
}

TEST(TransactionTest, Eip155ExampleSignature) {
  Signer signer =
      SignerFromHex("0x4646464646464646464646464646464646464646464646464646464646464646");
  auto signed_tx = SignTransaction(Eip155Example(), signer);
  ASSERT_TRUE(signed_tx.has_value()) << signed_tx.error().ToString();
  EXPECT_EQ(signed_tx->v, 37u);
  // r = 18515461264373351373200002665853028612451056578545711640558177340181847433846
  // s = 46948507304638947509940763649030358759909902576025900602547168820602576006531
  EXPECT_EQ(U256ToDecimal(signed_tx->r),
            "18515461264373351373200002665853028612451056578545711640558177340181847433846");
  EXPECT_EQ(U256ToDecimal(signed_tx->s),
            "46948507304638947509940763649030358759909902576025900602547168820602576006531");
  EXPECT_EQ(HexData(signed_tx->raw),
            "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
            "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f76"
            "1aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
  EXPECT_EQ(signed_tx->hash, crypto::Keccak256(signed_tx->raw));
}

TEST(TransactionTest, Eip155ExampleRecoversSender) {
  auto tx = DecodeSignedTransaction(Hex(
      "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0"
      "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb70330"
      "4b3800ccf555c9f3dc64214b297fb1966a3b6d83"));
  ASSERT_TRUE(tx.has_value()) << tx.error().ToString();
  EXPECT_EQ(tx->type, 0);
  ASSERT_TRUE(tx->chain_id.has_value());
  EXPECT_EQ(*tx->chain_id, 1u);
  EXPECT_EQ(tx->nonce, 9u);
  EXPECT_EQ(tx->gas_limit, 21000u);
  EXPECT_EQ(HexData(tx->signing_hash),
            "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
  // The address of private key 0x4646...46.
  EXPECT_EQ(tx->sender, Addr("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"));
  EXPECT_EQ(U256ToDecimal(tx->value), "1000000000000000000");
}

struct Eip1559Vector {
  uint64_t nonce, value, gas_limit, tip, max_fee;
  const char* signed_rlp;  // as published: RLP string wrapping the raw transaction
};

// ethereumjs-monorepo packages/tx/test/json/eip1559.json (all ten vectors).
constexpr Eip1559Vector kEip1559Vectors[] = {
    {819, 43203529, 35552, 75853, 121212,
     "b87302f870821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933"
     "b"
     "c980c080a0d067f2167008c59219652f91cbf8788dbca5f771f6e91e2b7657e85b78b472e0a01d305af9fe81fdba4"
     "3"
     "f0dfcd400ed24dcace0a7e30d4e85701dcaaf484cd079e"},
    {353, 61901619, 32593, 38850, 136295,
     "b87202f86f821e8e8201618297c283021467827f5194000000000000000000000000000000000000aaaa8403b08b3"
     "3"
     "80c001a004205678f13fc1d7b10feea6513dfa76e24418b6e08097d95c6f93a3b64e536da01d45ad61bfece43862d"
     "e"
     "2cce7d2575a8c1d08c26c87f3cb5f26d7b0be54a91b2"},
    {985, 32531825, 68541, 66377, 136097,
     "b87402f871821e8e8203d983010349830213a183010bbd94000000000000000000000000000000000000aaaa8401f"
     "0"
     "657180c001a0e6d23c5ecc0f388a4d41a9523c3ad171e98083a61288c340b968dfe0903a6741a07319e8d54a4fd8f"
     "0"
     "c081d3ce093d869f9df598481991c8534bfd8f2c163884b4"},
    {623, 21649799, 57725, 74140, 81173,
     "b87302f870821e8e82026f8301219c83013d1582e17d94000000000000000000000000000000000000aaaa84014a5"
     "9"
     "8780c080a0b107893e4590e177e244493a3f2b59d63619ddd82772105d8c96b7fc85ff683da07dc9b9dc054d2f69f"
     "9"
     "cc540688f6c0da3b54dd8bd8323f06d0ca26b546a480f1"},
    {972, 94563383, 65254, 42798, 103466,
     "b87202f86f821e8e8203cc82a72e8301942a82fee694000000000000000000000000000000000000aaaa8405a2ec3"
     "7"
     "80c080a02596bfedd3101f7e3c881eec060f83c60617fb21173ff41a560e02c9c23f02f4a01ef1f7930d31081c06d"
     "f"
     "d2176046a99442a88678638a33eb80afa8d2d3389ee0"},
    {588, 99359647, 37274, 87890, 130273,
     "b87302f870821e8e82024c830157528301fce182919a94000000000000000000000000000000000000aaaa8405ec1"
     "b"
     "9f80c001a0404a06f2a9ba9d444e59f03e1b4ce46c4d7127342aa287a6e9a910b26ff6cc89a04af28549efdfb3e74"
     "6"
     "938d01c92785e9852eb58c48d6f35cc99961e88f56603a"},
    {900, 30402257, 76053, 8714, 112705,
     "b87302f870821e8e82038482220a8301b8418301291594000000000000000000000000000000000000aaaa8401cfe"
     "6"
     "d180c080a06e1bc9e4645de8bdad2c60424539c2dd93aacbc06ae94e440629b133a99e9ba7a03d23fdfdd9934c77f"
     "e"
     "5385a6b4b6c69e84cdec7814a19d81e648b5852ee5f7eb"},
    {709, 6478043, 28335, 86252, 94636,
     "b87202f86f821e8e8202c5830150ec830171ac826eaf94000000000000000000000000000000000000aaaa8362d8d"
     "b"
     "80c001a09880d133cd636f8c8dce32e2c43494b9f2dc000eee8dc61931e09f866ed04b46a00e44d5c503c7f08b36c"
     "8"
     "b062c32a963f3dd20a71e95e3d903bfbe7f4da47cd47"},
    {939, 2782905, 45047, 45216, 91648,
     "b87102f86e821e8e8203ab82b0a08301660082aff794000000000000000000000000000000000000aaaa832a76b98"
     "0"
     "c001a0a0e7d9b07c7ec68f24788a554f993b99d59a3f08439cc6c942f62ea0341f2aeba078122b9957c146f7c8781"
     "1"
     "bd58a7e9916ca8c07dabcf875b97bbdef79cb9c197"},
    {119, 65456115, 62341, 24721, 107729,
     "b87002f86d821e8e778260918301a4d182f38594000000000000000000000000000000000000aaaa8403e6c7f380c"
     "0"
     "01a0e38e239770801eb995498c821e55ac9c19ae09184bb27b34be105e02fe3b7615a067c64ca6bd6d9107e85fd58"
     "1"
     "ab2e70a14b637eb36505bb40861ef9d6e800cab6"},
};

TEST(TransactionTest, Eip1559EthereumjsVectors) {
  Signer signer =
      SignerFromHex("0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63");
  for (const Eip1559Vector& v : kEip1559Vectors) {
    SCOPED_TRACE(v.nonce);
    auto wrapped = RlpDecode(Hex(v.signed_rlp));
    ASSERT_TRUE(wrapped.has_value() && wrapped->is_bytes());
    const Bytes& expected_raw = wrapped->bytes();

    Eip1559Tx tx;
    tx.chain_id = 7822;
    tx.nonce = v.nonce;
    tx.max_priority_fee_per_gas = v.tip;
    tx.max_fee_per_gas = v.max_fee;
    tx.gas_limit = v.gas_limit;
    tx.to = Addr("0x000000000000000000000000000000000000aaaa");
    tx.value = U256FromUint64(v.value);
    auto signed_tx = SignTransaction(tx, signer);
    ASSERT_TRUE(signed_tx.has_value()) << signed_tx.error().ToString();
    EXPECT_EQ(ToHex(signed_tx->raw), ToHex(expected_raw));
    EXPECT_EQ(signed_tx->hash, crypto::Keccak256(expected_raw));
    auto decoded = DecodeSignedTransaction(expected_raw);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
    EXPECT_EQ(decoded->type, 2);
    EXPECT_EQ(decoded->nonce, v.nonce);
    EXPECT_EQ(decoded->gas_limit, v.gas_limit);
    EXPECT_EQ(decoded->sender, signer.address());
    EXPECT_EQ(decoded->signing_hash, SigningHash(tx));
  }
}

TEST(TransactionTest, ContractCreationHasEmptyTo) {
  Signer signer =
      SignerFromHex("0x4646464646464646464646464646464646464646464646464646464646464646");
  Eip1559Tx tx;
  tx.chain_id = 31337;
  tx.max_fee_per_gas = 2;
  tx.gas_limit = 100000;
  tx.data = {0x60, 0x00};
  auto signed_tx = SignTransaction(tx, signer);
  ASSERT_TRUE(signed_tx.has_value());
  auto decoded = DecodeSignedTransaction(signed_tx->raw);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_FALSE(decoded->to.has_value());
  EXPECT_EQ(decoded->data, tx.data);
  EXPECT_EQ(decoded->sender, signer.address());
}

TEST(TransactionTest, LegacyRoundTripLargeChainId) {
  Signer signer =
      SignerFromHex("0x4646464646464646464646464646464646464646464646464646464646464646");
  LegacyTx tx = Eip155Example();
  tx.chain_id = 0x7fffffffffffULL;
  auto signed_tx = SignTransaction(tx, signer);
  ASSERT_TRUE(signed_tx.has_value());
  auto decoded = DecodeSignedTransaction(signed_tx->raw);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded->chain_id, tx.chain_id);
  EXPECT_EQ(decoded->sender, signer.address());
  tx.chain_id = 0;
  EXPECT_FALSE(SignTransaction(tx, signer).has_value());
}

TEST(TransactionTest, RejectsMalformed) {
  const Bytes good = Hex(
      "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0"
      "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb70330"
      "4b3800ccf555c9f3dc64214b297fb1966a3b6d83");
  EXPECT_FALSE(DecodeSignedTransaction(Bytes{}).has_value());
  EXPECT_FALSE(DecodeSignedTransaction(Bytes{0x01, 0xc0}).has_value());  // EIP-2930: unsupported
  EXPECT_FALSE(DecodeSignedTransaction(Bytes(good.begin(), good.end() - 1)).has_value());
  // v = 0x25 -> 0x22 (34): neither 27/28 nor EIP-155.
  Bytes bad_v = good;
  bad_v[good.size() - 67] = 0x22;
  EXPECT_FALSE(DecodeSignedTransaction(bad_v).has_value());
  // High s (n - s) is refused (EIP-2).
  auto item = RlpDecode(good);
  ASSERT_TRUE(item.has_value());
  std::vector<RlpItem> fields = item->list();
  fields[8] = RlpBytes(Hex("ffffffffffffffffffffffffffffffffbaaedce6af48a03bbfd25e8cd0364141"));
  EXPECT_FALSE(DecodeSignedTransaction(RlpEncode(RlpList(fields))).has_value());
  // Zero r.
  fields = item->list();
  fields[7] = RlpBytes({});
  EXPECT_FALSE(DecodeSignedTransaction(RlpEncode(RlpList(fields))).has_value());
  // Non-canonical nonce (leading zero).
  fields = item->list();
  fields[0] = RlpBytes(Bytes{0x00, 0x09});
  EXPECT_FALSE(DecodeSignedTransaction(RlpEncode(RlpList(fields))).has_value());
  // Every single-byte flip either fails or recovers someone else / another hash.
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes flipped = good;
    flipped[i] ^= 0x01;
    auto decoded = DecodeSignedTransaction(flipped);
    if (decoded) {
      EXPECT_NE(decoded->hash, crypto::Keccak256(good));
    }
  }
}

}  // namespace
}  // namespace teecloud::chain
