#include "chain/abi.h"

#include <gtest/gtest.h>

#include <string>

namespace teecloud::chain {
namespace {

Bytes Hex(std::string_view h) { return *FromHex(h); }
std::string W(std::string_view tail) {  // a 32-byte word, right-aligned hex
  return std::string(64 - tail.size(), '0') + std::string(tail);
}
std::string R(std::string_view head) {  // a 32-byte word, left-aligned hex (bytes, strings)
  return std::string(head) + std::string(64 - head.size(), '0');
}
AbiValue Str(std::string_view s) { return AbiBytes(AsBytes(s)); }

std::vector<AbiType> Types(std::string_view list) {
  auto t = ParseAbiTypeList(list);
  EXPECT_TRUE(t) << t.error().ToString();
  return t ? *t : std::vector<AbiType>{};
}

std::string CallHex(std::string_view sig, const std::vector<AbiValue>& args) {
  auto r = EncodeCall(sig, args);
  EXPECT_TRUE(r) << r.error().ToString();
  return r ? ToHex(*r) : "";
}

void ExpectRoundTrip(std::string_view types, const std::vector<AbiValue>& values) {
  auto t = Types(types);
  auto enc = AbiEncode(t, values);
  ASSERT_TRUE(enc) << enc.error().ToString();
  auto dec = AbiDecode(t, *enc);
  ASSERT_TRUE(dec) << types << ": " << dec.error().ToString();
  EXPECT_EQ(*dec, values) << types;
}

TEST(AbiType, ParsesAndPrintsCanonically) {
  for (std::string_view s :
       {"uint256", "int64", "address", "bool", "bytes32", "bytes", "string", "uint256[]",
        "bytes32[3]", "(address,bytes32,uint64,string)", "(uint256,bool)[]", "uint8[2][]",
        "((uint256,string)[2],bytes1)[3][]"}) {
    auto t = ParseAbiType(s);
    ASSERT_TRUE(t) << s << ": " << t.error().ToString();
    EXPECT_EQ(t->ToString(), s);
  }
  EXPECT_EQ(ParseAbiType("uint")->ToString(), "uint256");
  EXPECT_EQ(ParseAbiType("int")->ToString(), "int256");
  EXPECT_TRUE(ParseAbiType("string[]")->IsDynamic());
  EXPECT_FALSE(ParseAbiType("bytes32[3]")->IsDynamic());
  EXPECT_EQ(ParseAbiType("bytes32[3]")->HeadSize(), 96u);
  EXPECT_EQ(ParseAbiType("(uint256,bool)[2]")->HeadSize(), 128u);
  EXPECT_TRUE(ParseAbiType("(uint256,string)[2]")->IsDynamic());
}

TEST(AbiType, RejectsBadTypes) {
  for (std::string_view s : {"",
                             "uint7",
                             "uint264",
                             "uint0",
                             "uint08",
                             "int",
                             "bytes0",
                             "bytes33",
                             "byte",
                             "fixed",
                             "uint256[",
                             "uint256[0]",
                             "uint256[01]",
                             "uint256[x]",
                             "()",
                             "(uint256",
                             "(uint256,)",
                             "uint256 ",
                             " uint256",
                             "Uint256",
                             "uint256[99999999999999999999]",
                             "(,)",
                             "uint256[1048576][1048576]"}) {
    if (s == "int") continue;  // "int" is the valid alias for int256
    EXPECT_FALSE(ParseAbiType(s)) << s;
  }
  std::string deep(40, '(');
  deep += "uint256" + std::string(40, ')');
  EXPECT_FALSE(ParseAbiType(deep));
  std::string deep_arrays = "uint256";
  for (int i = 0; i < 40; ++i) deep_arrays += "[]";
  EXPECT_FALSE(ParseAbiType(deep_arrays));
  std::string ok_arrays = "uint256";
  for (int i = 0; i < 10; ++i) ok_arrays += "[]";
  EXPECT_TRUE(ParseAbiType(ok_arrays));
}

TEST(Abi, FunctionSelectorKnownAnswers) {
  EXPECT_EQ(ToHex(FunctionSelector("transfer(address,uint256)")), "a9059cbb");
  EXPECT_EQ(ToHex(FunctionSelector("baz(uint32,bool)")), "cdcd77c0");
  EXPECT_EQ(ToHex(FunctionSelector("Error(string)")), "08c379a0");
  EXPECT_EQ(ToHex(FunctionSelector("Panic(uint256)")), "4e487b71");
}

// The examples of the Solidity ABI specification ("Examples" and "Use of Dynamic Types").
TEST(Abi, SpecExampleBaz) {
  EXPECT_EQ(CallHex("baz(uint32,bool)", {AbiUint(69), AbiBool(true)}),
            "cdcd77c0" + W("45") + W("1"));
}

TEST(Abi, SpecExampleBar) {
  EXPECT_EQ(CallHex("bar(bytes3[2])", {AbiList({Str("abc"), Str("def")})}),
            "fce353f6" + R("616263") + R("646566"));
}

TEST(Abi, SpecExampleSam) {
  EXPECT_EQ(CallHex("sam(bytes,bool,uint256[])",
                    {Str("dave"), AbiBool(true), AbiList({AbiUint(1), AbiUint(2), AbiUint(3)})}),
            "a5643bf2"
            "0000000000000000000000000000000000000000000000000000000000000060"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "0000000000000000000000000000000000000000000000000000000000000004"
            "6461766500000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000003");
}

TEST(Abi, SpecExampleDynamicF) {
  EXPECT_EQ(CallHex("f(uint256,uint32[],bytes10,bytes)",
                    {AbiUint(0x123), AbiList({AbiUint(0x456), AbiUint(0x789)}), Str("1234567890"),
                     Str("Hello, world!")}),
            "8be65246"
            "0000000000000000000000000000000000000000000000000000000000000123"
            "0000000000000000000000000000000000000000000000000000000000000080"
            "3132333435363738393000000000000000000000000000000000000000000000"
            "00000000000000000000000000000000000000000000000000000000000000e0"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000456"
            "0000000000000000000000000000000000000000000000000000000000000789"
            "000000000000000000000000000000000000000000000000000000000000000d"
            "48656c6c6f2c20776f726c642100000000000000000000000000000000000000");
}

TEST(Abi, SpecExampleDynamicG) {
  EXPECT_EQ(CallHex("g(uint256[][],string[])",
                    {AbiList({AbiList({AbiUint(1), AbiUint(2)}), AbiList({AbiUint(3)})}),
                     AbiList({AbiString("one"), AbiString("two"), AbiString("three")})}),
            "2289b18c"
            "0000000000000000000000000000000000000000000000000000000000000040"
            "0000000000000000000000000000000000000000000000000000000000000140"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000040"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "0000000000000000000000000000000000000000000000000000000000000060"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "00000000000000000000000000000000000000000000000000000000000000e0"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "6f6e650000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000003"
            "74776f0000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000005"
            "7468726565000000000000000000000000000000000000000000000000000000");
}

TEST(Abi, SpecExamplesDecodeBack) {
  Bytes f = *EncodeCall("f(uint256,uint32[],bytes10,bytes)",
                        {AbiUint(0x123), AbiList({AbiUint(0x456), AbiUint(0x789)}),
                         Str("1234567890"), Str("Hello, world!")});
  auto dec = AbiDecode(Types("uint256,uint32[],bytes10,bytes"), ByteView(f).subspan(4));
  ASSERT_TRUE(dec) << dec.error().ToString();
  EXPECT_EQ(*AbiToUint64((*dec)[0]), 0x123u);
  EXPECT_EQ(*AbiToBytes((*dec)[3]), ToBytes(std::string_view("Hello, world!")));
  EXPECT_EQ(AbiToList((*dec)[1])->size(), 2u);
}

TEST(Abi, EncodeCallCanonicalizesAndValidates) {
  EXPECT_EQ(*EncodeCall("baz(uint,bool)", {AbiUint(1), AbiBool(false)}),
            *EncodeCall("baz(uint256,bool)", {AbiUint(1), AbiBool(false)}));
  EXPECT_EQ(ToHex(*EncodeCall("totalSupply()", {})), "18160ddd");
  EXPECT_FALSE(EncodeCall("baz(uint32,bool)", {AbiUint(1)}));  // arity
  EXPECT_FALSE(EncodeCall("baz", {}));
  EXPECT_FALSE(EncodeCall("(uint256)", {AbiUint(1)}));
  EXPECT_FALSE(EncodeCall("ba z(uint256)", {AbiUint(1)}));
  EXPECT_FALSE(EncodeCall("baz(uint256", {AbiUint(1)}));
  EXPECT_FALSE(EncodeCall("baz(uint8)", {AbiUint(256)}));  // out of range
  EXPECT_FALSE(EncodeCall("baz(bool)", {AbiUint(1)}));     // wrong kind
  EXPECT_FALSE(EncodeCall("baz(bytes3)", {Str("ab")}));    // wrong size
  EXPECT_FALSE(EncodeCall("baz(uint8[2])", {AbiList({AbiUint(1)})}));
  EXPECT_FALSE(EncodeCall("baz(string)", {Str("abc")}));  // bytes for string
}

TEST(Abi, Transfer) {
  Bytes to = Hex("00112233445566778899aabbccddeeff00112233");
  EXPECT_EQ(CallHex("transfer(address,uint256)", {AbiBytes(to), AbiUint(1000)}),
            "a9059cbb" + W("00112233445566778899aabbccddeeff00112233") + W("3e8"));
}

TEST(Abi, SignedIntegers) {
  auto t = Types("int8,int64,int256");
  auto enc = AbiEncode(t, {AbiInt(-1), AbiInt(-2), AbiInt(5)});
  ASSERT_TRUE(enc);
  EXPECT_EQ(ToHex(*enc), std::string(64, 'f') + std::string(63, 'f') + "e" + W("5"));
  auto dec = AbiDecode(t, *enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(*AbiToInt64((*dec)[0]), -1);
  EXPECT_EQ(*AbiToInt64((*dec)[1]), -2);
  EXPECT_FALSE(AbiEncode(Types("int8"), {AbiInt(128)}));
  EXPECT_FALSE(AbiEncode(Types("int8"), {AbiInt(-129)}));
  EXPECT_TRUE(AbiEncode(Types("int8"), {AbiInt(-128)}));
  EXPECT_TRUE(AbiEncode(Types("int8"), {AbiInt(127)}));
  // Decode: int8 128 is not sign-extended, so it is rejected.
  EXPECT_FALSE(AbiDecode(Types("int8"), Hex(W("80"))));
  EXPECT_TRUE(AbiDecode(Types("int8"), Hex(std::string(62, 'f') + "80")));
}

TEST(Abi, Uint256FromHex) {
  auto v = AbiUintFromHex("0x" + std::string(64, 'f'));
  ASSERT_TRUE(v);
  EXPECT_EQ(ToHex(*AbiEncode(Types("uint256"), {*v})), std::string(64, 'f'));
  EXPECT_FALSE(AbiEncode(Types("uint128"), {*v}));
  EXPECT_EQ(*AbiToUint64(*AbiUintFromHex("0x123")), 0x123u);
  EXPECT_FALSE(AbiToUint64(*v));
  EXPECT_FALSE(AbiUintFromHex("0x" + std::string(65, '1')));
  EXPECT_FALSE(AbiUintFromHex("xyz"));
  EXPECT_FALSE(AbiUintFromHex(""));
}

TEST(Abi, RoundTrips) {
  Bytes addr = Hex("d8da6bf26964af9d7eed9e03e53415d37aa96045");
  ExpectRoundTrip("uint256,int64,address,bool,bytes32,bytes,string",
                  {AbiUint(7), AbiInt(-7), AbiBytes(addr), AbiBool(false),
                   AbiBytes(Bytes(32, 0xaa)), AbiBytes(Bytes(33, 0xbb)), AbiString("héllo")});
  ExpectRoundTrip("uint256[],bytes32[3]",
                  {AbiList({}), AbiList({AbiBytes(Bytes(32, 1)), AbiBytes(Bytes(32, 2)),
                                         AbiBytes(Bytes(32, 3))})});
  ExpectRoundTrip("(address,bytes32,uint64,string)",
                  {AbiList({AbiBytes(addr), AbiBytes(Bytes(32, 9)), AbiUint(64), AbiString("x")})});
  ExpectRoundTrip(
      "(uint256,bool)[]",
      {AbiList({AbiList({AbiUint(1), AbiBool(true)}), AbiList({AbiUint(2), AbiBool(false)})})});
  ExpectRoundTrip(
      "(uint256,string)[2],bytes",
      {AbiList({AbiList({AbiUint(1), AbiString("a")}), AbiList({AbiUint(2), AbiString("")})}),
       AbiBytes(Bytes{})});
  ExpectRoundTrip("string[][]",
                  {AbiList({AbiList({AbiString("a"), AbiString("bc")}), AbiList({})})});
  ExpectRoundTrip("", {});
}

TEST(Abi, RevertReason) {
  Bytes data =
      Hex("08c379a0"
          "0000000000000000000000000000000000000000000000000000000000000020"
          "000000000000000000000000000000000000000000000000000000000000001a"
          "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000");
  auto r = DecodeRevertReason(data);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "Not enough Ether provided.");
  EXPECT_EQ(data, *EncodeCall("Error(string)", {AbiString("Not enough Ether provided.")}));

  EXPECT_EQ(*DecodeRevertReason(Hex("4e487b71" + W("11"))), "panic 0x11");
  EXPECT_EQ(*DecodeRevertReason(Hex("4e487b71" + W("1"))), "panic 0x01");
  EXPECT_EQ(*DecodeRevertReason(Hex("4e487b71" + W("100"))), "panic 0x0100");

  EXPECT_EQ(DecodeRevertReason({}).error().code, Code::kNotFound);
  EXPECT_FALSE(DecodeRevertReason(Hex("08c379")));
  EXPECT_FALSE(DecodeRevertReason(Hex("deadbeef")));
  EXPECT_FALSE(DecodeRevertReason(ByteView(data).first(data.size() - 1)));
  EXPECT_FALSE(DecodeRevertReason(Hex("4e487b71")));
}

TEST(Abi, DecodeRejectsDirtyStaticValues) {
  EXPECT_FALSE(AbiDecode(Types("uint8"), Hex(W("100"))));
  EXPECT_TRUE(AbiDecode(Types("uint8"), Hex(W("ff"))));
  EXPECT_FALSE(AbiDecode(Types("address"), Hex("01" + std::string(62, '0') + "01")));
  EXPECT_FALSE(AbiDecode(Types("bool"), Hex(W("2"))));
  EXPECT_FALSE(AbiDecode(Types("bytes3"), Hex(R("61626364"))));
  EXPECT_TRUE(AbiDecode(Types("bytes3"), Hex(R("616263"))));
  EXPECT_FALSE(AbiDecode(Types("uint256"), Hex(std::string(62, '0'))));  // truncated word
  EXPECT_FALSE(AbiDecode(Types("bytes32[3]"), Hex(W("1") + W("2"))));
}

TEST(Abi, DecodeRejectsMalformedDynamicValues) {
  auto bytes = Types("bytes");
  EXPECT_TRUE(AbiDecode(bytes, Hex(W("20") + W("3") + R("616263"))));
  EXPECT_FALSE(AbiDecode(bytes, Hex(W("40") + W("3") + R("616263"))));  // offset past end
  EXPECT_FALSE(AbiDecode(bytes, Hex(W("1000") + W("3"))));
  EXPECT_FALSE(AbiDecode(bytes, Hex("8" + std::string(63, '0') + W("3"))));   // offset 2^255
  EXPECT_FALSE(AbiDecode(bytes, Hex(W("20") + "8" + std::string(63, '0'))));  // length 2^255
  EXPECT_FALSE(AbiDecode(bytes, Hex(W("20") + W("21") + R("61"))));           // length past end
  EXPECT_FALSE(AbiDecode(bytes, Hex(W("20") + W("3") + "616263")));           // missing padding
  EXPECT_FALSE(AbiDecode(bytes, Hex(W("20") + W("3") + R("61626364"))));      // dirty padding
  EXPECT_FALSE(AbiDecode(bytes, Hex(W("20"))));                               // truncated
  EXPECT_FALSE(AbiDecode(bytes, {}));

  auto arr = Types("uint256[]");
  EXPECT_FALSE(AbiDecode(arr, Hex(W("20") + "8" + std::string(63, '0'))));  // 2^255 elements
  EXPECT_FALSE(AbiDecode(arr, Hex(W("20") + W("ffffffffffffffff"))));
  EXPECT_FALSE(AbiDecode(arr, Hex(W("20") + W("2") + W("1"))));  // one element short
  EXPECT_TRUE(AbiDecode(arr, Hex(W("20") + W("2") + W("1") + W("2"))));
}

TEST(Abi, DecodeBoundsAmplification) {
  // Six nested dynamic arrays; at every level all 8 element offsets point at the same next
  // level, so ~1.8 KB would decode to 8^6 leaves without the decode budget.
  constexpr int kLevels = 6;
  std::string data = W("20");
  for (int level = 0; level < kLevels; ++level) {
    data += W("8");
    for (int i = 0; i < 8; ++i) data += level + 1 < kLevels ? W("100") : W("7");
  }
  std::string type = "uint256";
  for (int level = 0; level < kLevels; ++level) type += "[]";
  auto dec = AbiDecode(Types(type), Hex(data));
  ASSERT_FALSE(dec);
  EXPECT_NE(dec.error().message.find("budget"), std::string::npos) << dec.error().message;
}

TEST(Abi, FlippedAndTruncatedInputsNeverCrash) {
  auto types = Types("uint256,uint32[],bytes10,bytes,(string,bool)[],address");
  std::vector<AbiValue> values = {AbiUint(0x123),
                                  AbiList({AbiUint(0x456), AbiUint(0x789)}),
                                  Str("1234567890"),
                                  Str("Hello, world!"),
                                  AbiList({AbiList({AbiString("x"), AbiBool(true)})}),
                                  AbiBytes(Bytes(20, 0x11))};
  Bytes enc = *AbiEncode(types, values);
  ASSERT_EQ(*AbiDecode(types, enc), values);
  for (size_t i = 0; i < enc.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      Bytes m = enc;
      m[i] ^= flip;
      auto dec = AbiDecode(types, m);
      if (dec) {
        EXPECT_TRUE(AbiEncode(types, *dec));  // anything accepted is well-typed
      }
    }
    EXPECT_FALSE(AbiDecode(types, ByteView(enc).first(i)));
  }
}

}  // namespace
}  // namespace teecloud::chain
