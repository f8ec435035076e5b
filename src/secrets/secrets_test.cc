#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/json.h"
#include "crypto/aead.h"
#include "secrets/dotenv.h"
#include "secrets/sealed_env.h"

namespace teecloud::secrets {
namespace {

// Every value in the error cases carries this marker; no message may contain it.
constexpr std::string_view kMarker = "s3cr3tVALUE";

std::vector<EnvVar> Vars(std::initializer_list<std::pair<const char*, std::string>> kv) {
  std::vector<EnvVar> out;
  for (const auto& [k, v] : kv) out.push_back(EnvVar{k, v});
  return out;
}

// ---------------------------------------------------------------------------------------------
// ParseDotenv

TEST(DotenvTest, ParsesComposeStyleFile) {
  const std::string text =
      "\xEF\xBB\xBF# a comment\r\n"
      "\r\n"
      "   # indented comment\n"
      "PLAIN=value\n"
      "export EXPORTED=yes\n"
      "export\tTABBED=1\n"
      "  SPACED  =   padded value   \n"
      "WITH_EQ=a=b==c\n"
      "EMPTY=\n"
      "EMPTY_COMMENT= # nothing\n"
      "INLINE=abc # comment\n"
      "HASH=abc#def\n"
      "LEADING_HASH=#notacomment\n"
      "DOLLAR=$HOME ${X}\n"
      "_under_9=ok\n"
      "export=not a prefix here\n"
      "LAST=no newline";
  auto vars = ParseDotenv(text);
  ASSERT_TRUE(vars.has_value()) << vars.error().ToString();
  EXPECT_EQ(*vars, Vars({{"PLAIN", "value"},
                         {"EXPORTED", "yes"},
                         {"TABBED", "1"},
                         {"SPACED", "padded value"},
                         {"WITH_EQ", "a=b==c"},
                         {"EMPTY", ""},
                         {"EMPTY_COMMENT", ""},
                         {"INLINE", "abc"},
                         {"HASH", "abc#def"},
                         {"LEADING_HASH", "#notacomment"},
                         {"DOLLAR", "$HOME ${X}"},
                         {"_under_9", "ok"},
                         {"export", "not a prefix here"},
                         {"LAST", "no newline"}}));
}

TEST(DotenvTest, ParsesQuotedValues) {
  const std::string text =
      "SINGLE='literal \\n $X \"q\" # not a comment'\n"
      "DOUBLE=\"a\\nb\\tc\\rd \\\"q\\\" \\\\ \\$ # not a comment\"\n"
      "TRAIL='x'   # a comment after the quote\n"
      "TRAIL2=\"y\"#comment\n"
      "PEM=\"-----BEGIN-----\n"
      "line 2\n"
      "-----END-----\"\n"
      "MULTI_SINGLE='one\r\n"
      "two'\n"
      "SPACES_KEPT=\"  padded  \"\n"
      "EMPTY_Q=''\n"
      "EMPTY_DQ=\"\"\n"
      "AFTER=line 12\n";
  auto vars = ParseDotenv(text);
  ASSERT_TRUE(vars.has_value()) << vars.error().ToString();
  EXPECT_EQ(*vars, Vars({{"SINGLE", "literal \\n $X \"q\" # not a comment"},
                         {"DOUBLE", "a\nb\tc\rd \"q\" \\ $ # not a comment"},
                         {"TRAIL", "x"},
                         {"TRAIL2", "y"},
                         {"PEM", "-----BEGIN-----\nline 2\n-----END-----"},
                         {"MULTI_SINGLE", "one\ntwo"},
                         {"SPACES_KEPT", "  padded  "},
                         {"EMPTY_Q", ""},
                         {"EMPTY_DQ", ""},
                         {"AFTER", "line 12"}}));
  // Line numbers keep counting through multi-line values.
  auto err = ParseDotenv(text + "BROKEN\n");
  ASSERT_FALSE(err.has_value());
  EXPECT_NE(err.error().message.find("line 14:"), std::string::npos) << err.error().message;
}

TEST(DotenvTest, EmptyAndCommentOnlyFilesHaveNoVariables) {
  for (std::string_view text : {"", "\n\n", "# only\n  # comments\n", "\xEF\xBB\xBF"}) {
    auto vars = ParseDotenv(text);
    ASSERT_TRUE(vars.has_value()) << vars.error().ToString();
    EXPECT_TRUE(vars->empty());
  }
}

struct DotenvErrorCase {
  std::string text;
  std::string expect;  // in the message, with the line number
};

TEST(DotenvTest, ErrorsSayLineAndProblemButNeverTheValue) {
  const std::string m(kMarker);
  std::string many;
  for (int i = 0; i <= 1000; ++i) many += "V" + std::to_string(i) + "=" + m + "\n";
  std::string nul = "A=1\nX=" + m;
  nul += '\0';
  const std::vector<DotenvErrorCase> cases = {
      {"A=1\n" + m + "\n", "line 2: missing '='"},
      {"export " + m + "\n", "line 1: missing '='"},
      {"A=1\n1BAD=" + m, "line 2: invalid variable name"},
      {"BAD-NAME=" + m, "line 1: invalid variable name"},
      {m + " x=" + m, "line 1: invalid variable name"},
      {"=" + m, "line 1: missing variable name"},
      {std::string(256, 'N') + "=" + m, "line 1: variable name longer than 255 bytes"},
      {"A=1\n\nA=" + m, "line 3: duplicate variable A (first set on line 1)"},
      {"X='" + m + "\nmore\n", "line 1: unterminated single-quoted value"},
      {"\n\nX=\"" + m + "\nmore", "line 3: unterminated double-quoted value"},
      {"X=\"" + m + "\\", "line 1: unterminated double-quoted value"},
      {"X=\"" + m + "\n\\q\"", "line 2: unsupported escape sequence"},
      {"X=\"" + m + "\" " + m, "line 1: unexpected text after the closing quote"},
      {"X='" + m + "'" + m, "line 1: unexpected text after the closing quote"},
      {nul, "line 2: contains a NUL byte"},
      {"A=1\nX=" + m + "\xff", "line 2: not valid UTF-8"},
      {"X=" + m + "\xc0\xaf", "line 1: not valid UTF-8"},      // overlong '/'
      {"X=" + m + "\xed\xa0\x80", "line 1: not valid UTF-8"},  // a surrogate
      {"X=" + m + std::string(128 * 1024, 'v'), "line 1: the value of X is longer than 131072"},
      {many, "line 1001: more than 1000 variables"},
      {"X=" + m + "\n#" + std::string(1024 * 1024, 'c'), "limit is 1048576 (1 MiB)"},
  };
  for (const auto& c : cases) {
    auto r = ParseDotenv(c.text);
    ASSERT_FALSE(r.has_value()) << "accepted: " << c.expect;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << c.expect;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos)
        << "want \"" << c.expect << "\" in \"" << r.error().message << "\"";
    EXPECT_EQ(r.error().message.find("s3cr3t"), std::string::npos) << r.error().message;
  }
}

TEST(DotenvTest, LimitsAreInclusive) {
  std::string thousand;
  for (int i = 0; i < 1000; ++i) thousand += "V" + std::to_string(i) + "=x\n";
  auto a = ParseDotenv(thousand);
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->size(), 1000u);

  auto b = ParseDotenv("X=" + std::string(kMaxEnvValueSize, 'v'));
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ((*b)[0].value.size(), kMaxEnvValueSize);

  auto c = ParseDotenv(std::string(kMaxEnvNameSize, 'N') + "=1");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();

  auto d = ParseDotenv("#" + std::string(kMaxDotenvSize - 1, 'c'));
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
}

TEST(DotenvTest, PrintingAVariableNeverShowsTheValue) {
  std::ostringstream os;
  os << EnvVar{"API_KEY", std::string(kMarker)};
  EXPECT_EQ(os.str(), "API_KEY=<secret 11 bytes>");
  EXPECT_EQ(::testing::PrintToString(EnvVar{"K", std::string(kMarker)}).find("s3cr3t"),
            std::string::npos);
}

TEST(DotenvTest, ValidateEnvVars) {
  EXPECT_TRUE(ValidateEnvVars({}).has_value());
  EXPECT_TRUE(ValidateEnvVars(Vars({{"A", "1"}, {"_b2", "\xc3\xa9"}})).has_value());
  const std::string m(kMarker);
  std::vector<EnvVar> too_many(kMaxEnvVars + 1);
  for (size_t i = 0; i < too_many.size(); ++i) too_many[i] = {"V" + std::to_string(i), m};
  const std::vector<std::pair<std::vector<EnvVar>, std::string>> cases = {
      {Vars({{"", m}}), "env[0]: invalid name"},
      {Vars({{"A", "1"}, {"9X", m}}), "env[1]: invalid name"},
      {Vars({{std::string(256, 'N').c_str(), m}}), "env[0]: name longer than 255"},
      {Vars({{"A", "1"}, {"A", m}}), "env[1] (A): duplicate name"},
      {Vars({{"A", m + std::string(1, '\0')}}), "env[0] (A): value contains a NUL byte"},
      {Vars({{"A", m + "\xfe"}}), "env[0] (A): value is not valid UTF-8"},
      {Vars({{"A", m + std::string(kMaxEnvValueSize, 'v')}}), "env[0] (A): value longer"},
      {too_many, "more than 1000 variables"},
  };
  for (const auto& [vars, expect] : cases) {
    auto s = ValidateEnvVars(vars);
    ASSERT_FALSE(s.has_value()) << expect;
    EXPECT_EQ(s.error().code, Code::kInvalidArgument);
    EXPECT_NE(s.error().message.find(expect), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.find("s3cr3t"), std::string::npos) << s.error().message;
  }
  // The total: nine values of 120 KiB pass one by one but not together.
  std::vector<EnvVar> big;
  for (int i = 0; i < 9; ++i)
    big.push_back({"B" + std::to_string(i), std::string(120 * 1024, 'v')});
  auto s = ValidateEnvVars(big);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("in total"), std::string::npos) << s.error().message;
}

// ---------------------------------------------------------------------------------------------
// Sealed env

// Hands out fixed bytes in order (the KAT's ephemeral key, then its iv).
class FixedRandom final : public crypto::Random {
 public:
  explicit FixedRandom(Bytes bytes) : bytes_(std::move(bytes)) {}
  void Fill(uint8_t* out, size_t n) override {
    TEECLOUD_CHECK(at_ + n <= bytes_.size());
    std::copy(bytes_.begin() + at_, bytes_.begin() + at_ + n, out);
    at_ += n;
  }

 private:
  Bytes bytes_;
  size_t at_ = 0;
};

struct Recipient {
  crypto::SecretBytes private_key;
  Bytes public_key;
};

Recipient MakeRecipient(uint64_t seed) {
  crypto::FakeRandom random(seed);
  crypto::X25519KeyPair kp = crypto::X25519Generate(random);
  return {kp.private_key, kp.public_key};
}

std::vector<EnvVar> SampleVars() {
  return Vars({{"API_KEY", std::string(kMarker)},
               {"DB_URL", "postgres://u:p@db/app"},
               {"PEM", "-----BEGIN-----\nabc\n-----END-----"},
               {"UNICODE", "h\xc3\xa9llo \xf0\x9f\x94\x90"},
               {"EMPTY", ""}});
}

Bytes SealSample(const Recipient& r, uint64_t seed = 1) {
  crypto::FakeRandom random(seed);
  auto sealed = SealEnv(r.public_key, SampleVars(), random);
  TEECLOUD_CHECK(sealed.has_value());
  return *sealed;
}

TEST(SealedEnvTest, RoundTrip) {
  const Recipient r = MakeRecipient(7);
  const Bytes sealed = SealSample(r);
  auto opened = OpenSealedEnv(r.private_key, sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  EXPECT_EQ(*opened, SampleVars());
  // The value is not in the sealed bytes; a second seal uses another ephemeral key and iv.
  EXPECT_EQ(AsStringView(sealed).find(kMarker), std::string_view::npos);
  EXPECT_NE(ToHex(ByteView(sealed).subspan(0, 44)),
            ToHex(ByteView(SealSample(r, 2)).subspan(0, 44)));

  crypto::FakeRandom random(3);
  auto empty = SealEnv(r.public_key, {}, random);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->size(), kSealedEnvOverhead + std::string_view("{\"env\":[]}").size());
  auto opened_empty = OpenSealedEnv(r.private_key, *empty);
  ASSERT_TRUE(opened_empty.has_value()) << opened_empty.error().ToString();
  EXPECT_TRUE(opened_empty->empty());
}

TEST(SealedEnvTest, AnotherAppsKeyIsUnauthenticated) {
  const Recipient r = MakeRecipient(7);
  const Recipient other = MakeRecipient(8);
  auto opened = OpenSealedEnv(other.private_key, SealSample(r));
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, Code::kUnauthenticated);
  EXPECT_EQ(opened.error().message,
            "sealed env does not decrypt with this app's key: sealed for another app or tampered");
}

TEST(SealedEnvTest, EverySingleByteChangeIsRefused) {
  const Recipient r = MakeRecipient(7);
  const Bytes sealed = SealSample(r);
  // 0x80 on byte 31 sets the bit X25519 ignores (RFC 7748 §5): refused as non-canonical.
  for (uint8_t mask : {0x01, 0x80, 0xff}) {
    for (size_t i = 0; i < sealed.size(); ++i) {
      Bytes t = sealed;
      t[i] ^= mask;
      auto opened = OpenSealedEnv(r.private_key, t);
      ASSERT_FALSE(opened.has_value()) << "byte " << i << " ^ " << int{mask} << " accepted";
      EXPECT_EQ(opened.error().code, Code::kUnauthenticated) << i;
    }
  }
}

TEST(SealedEnvTest, NonCanonicalEphemeralKeysAreRefused) {
  const Recipient r = MakeRecipient(7);
  const Bytes sealed = SealSample(r);
  // u = p (= 0 mod p) and u = 2^255 - 1 (>= p): encodings no honest sealer emits.
  Bytes p(32, 0xff);
  p[0] = 0xed;
  p[31] = 0x7f;
  Bytes max(32, 0xff);
  max[31] = 0x7f;
  for (const Bytes& eph : {p, max}) {
    Bytes t = sealed;
    std::copy(eph.begin(), eph.end(), t.begin());
    auto opened = OpenSealedEnv(r.private_key, t);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, Code::kUnauthenticated);
  }
}

TEST(SealedEnvTest, TruncationsAndExtensionsAreRefused) {
  const Recipient r = MakeRecipient(7);
  const Bytes sealed = SealSample(r);
  for (size_t n = 0; n < sealed.size(); ++n) {
    auto opened = OpenSealedEnv(r.private_key, ByteView(sealed).subspan(0, n));
    ASSERT_FALSE(opened.has_value()) << n;
    EXPECT_EQ(opened.error().code,
              n < kSealedEnvOverhead ? Code::kInvalidArgument : Code::kUnauthenticated)
        << n;
  }
  Bytes longer = sealed;
  longer.push_back(0);
  EXPECT_EQ(OpenSealedEnv(r.private_key, longer).error().code, Code::kUnauthenticated);
  const Bytes huge(kMaxSealedEnvSize + 1, 0x01);
  EXPECT_EQ(OpenSealedEnv(r.private_key, huge).error().code, Code::kInvalidArgument);
}

TEST(SealedEnvTest, RefusesBadKeysAndVars) {
  const Recipient r = MakeRecipient(7);
  crypto::FakeRandom random(1);
  EXPECT_EQ(SealEnv(Bytes(31, 1), SampleVars(), random).error().code, Code::kInvalidArgument);
  // All zero is a small-order point: the shared secret would be zero.
  auto zero = SealEnv(Bytes(32, 0), SampleVars(), random);
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code, Code::kInvalidArgument);
  EXPECT_NE(zero.error().message.find("small-order"), std::string::npos);
  auto bad = SealEnv(r.public_key, Vars({{"A", "1"}, {"A", std::string(kMarker)}}), random);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_EQ(bad.error().message.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(OpenSealedEnv(crypto::SecretBytes(Bytes(31, 1)), SealSample(r)).error().code,
            Code::kInvalidArgument);
}

// The JSON layer, reached through a valid envelope (SealEnvelope) as a sender would.
Result<std::vector<EnvVar>> OpenJson(std::string_view json) {
  static const Recipient r = MakeRecipient(11);
  crypto::FakeRandom random(5);
  auto sealed = SealEnvelope(r.public_key, AsBytes(json), random);
  TEECLOUD_CHECK(sealed.has_value());
  return OpenSealedEnv(r.private_key, *sealed);
}

TEST(SealedEnvTest, JsonMustBeExactlyTheEnvShape) {
  auto ok = OpenJson(
      " { \"env\" : [ { \"value\" : \"1\", \"key\" : \"A\" } ,\n"
      "{\"key\":\"B\",\"value\":\"\\u00e9\\n\"}] } ");
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(*ok, Vars({{"A", "1"}, {"B", "\xc3\xa9\n"}}));

  std::string many = "{\"env\":[";
  for (int i = 0; i <= 1000; ++i) {
    many += (i ? "," : "") + std::string("{\"key\":\"V") + std::to_string(i) +
            "\",\"value\":\"s3cr3tVALUE\"}";
  }
  many += "]}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"env\":[],\"extra\":1}", "unknown member in the top-level object"},
      {"{\"env\":[{\"key\":\"A\",\"value\":\"s3cr3tVALUE\",\"x\":2}]}", "env[0]: unknown member"},
      {"{\"env\":[{\"key\":\"A\"}]}", "env[0]: missing member \"value\""},
      {"{\"env\":[{\"value\":\"s3cr3tVALUE\"}]}", "env[0]: missing member \"key\""},
      {"{\"env\":[{\"key\":\"A\",\"value\":1}]}", "env[0].value must be a string"},
      {"{\"env\":[{\"key\":\"A\",\"value\":null}]}", "env[0].value must be a string"},
      {"{\"env\":[{\"key\":\"A\",\"value\":[\"s3cr3tVALUE\"]}]}", "env[0].value must be a string"},
      {"{\"env\":[{\"key\":{},\"value\":\"1\"}]}", "env[0].key must be a string"},
      {"{\"env\":{}}", "\"env\" must be an array"},
      {"{\"env\":\"s3cr3tVALUE\"}", "\"env\" must be an array"},
      {"{\"env\":[[\"A\",\"s3cr3tVALUE\"]]}", "env[0] must be an object"},
      {"{\"env\":[true]}", "env[0] must be an object"},
      {"[{\"key\":\"\",\"value\":\"\"}]", "the document must be an object"},
      {"\"s3cr3tVALUE\"", "the document must be an object"},
      {"{}", "missing member \"env\""},
      {"{\"env\":[],\"env\":[]}", "duplicate member \"env\""},
      {"{\"env\":[{\"key\":\"A\",\"key\":\"B\",\"value\":\"1\"}]}", "duplicate member \"key\""},
      {"{\"env\":[{\"key\":\"A\",\"value\":\"1\",\"value\":\"s3cr3tVALUE\"}]}",
       "duplicate member \"value\""},
      {"{\"env\":[{\"key\":\"A\",\"value\":\"1\"},{\"key\":\"A\",\"value\":\"s3cr3tVALUE\"}]}",
       "env[1] (A): duplicate name"},
      {"{\"env\":[{\"key\":\"1A\",\"value\":\"s3cr3tVALUE\"}]}", "env[0]: invalid name"},
      {"{\"env\":[{\"key\":\"A\",\"value\":\"s3cr3tVALUE\\u0000\"}]}", "value contains a NUL"},
      {"{\"env\":[{\"key\":\"A\",\"value\":\"s3cr3tVALUE\\ud800\"}]}", "malformed JSON"},
      {"{\"env\":[{\"key\":\"A\",\"value\":\"s3cr3tVALUE\xff\"}]}", "malformed JSON"},
      {"{\"env\":[{\"key\":\"A\",\"value\":\"s3cr3tVALUE", "malformed JSON"},
      {"{\"env\":[]} {\"s3cr3tVALUE\":1}", "malformed JSON"},
      {"", "malformed JSON"},
      {many, "more than 1000 variables"},
  };
  for (const auto& [json, expect] : cases) {
    auto r = OpenJson(json);
    ASSERT_FALSE(r.has_value()) << "accepted " << json.substr(0, 80);
    EXPECT_EQ(r.error().code, Code::kInvalidArgument) << json.substr(0, 80);
    EXPECT_NE(r.error().message.find(expect), std::string::npos)
        << "want \"" << expect << "\" in \"" << r.error().message << "\"";
    EXPECT_EQ(r.error().message.rfind("sealed env: ", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find("s3cr3t"), std::string::npos) << r.error().message;
  }
}

// testdata/sealed_env_kat.json was produced by sealed_env_interop.mjs with @noble/curves and
// node's AES-256-GCM (the interop CTest checks the file still equals that output). Given the
// same ephemeral key and iv, SealEnv must produce the same bytes: same key agreement, same
// layout, and JSON byte-identical to JSON.stringify (escapes, non-ASCII, U+2028, DEL).
TEST(SealedEnvTest, KnownAnswerFromIndependentImplementation) {
  auto text = ReadFile(std::string(TEECLOUD_SECRETS_TESTDATA) + "/sealed_env_kat.json");
  ASSERT_TRUE(text.has_value()) << text.error().ToString();
  auto kat = ParseJson(AsStringView(*text));
  ASSERT_TRUE(kat.has_value()) << kat.error().ToString();
  std::vector<EnvVar> vars;
  for (const Json& e : (*kat)["env"]) {
    vars.push_back({e["key"].get<std::string>(), e["value"].get<std::string>()});
  }
  ASSERT_EQ(vars.size(), 9u);
  const Bytes recipient_private = *FromHex((*kat)["recipient_private_key"].get<std::string>());
  const Bytes recipient_public = *FromHex((*kat)["recipient_public_key"].get<std::string>());
  const Bytes expected = *FromHex((*kat)["sealed"].get<std::string>());
  EXPECT_EQ(ToHex(*crypto::X25519PublicFromPrivate(crypto::SecretBytes(recipient_private))),
            ToHex(recipient_public));

  FixedRandom random(Concat({*FromHex((*kat)["ephemeral_private_key"].get<std::string>()),
                             *FromHex((*kat)["iv"].get<std::string>())}));
  auto sealed = SealEnv(recipient_public, vars, random);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().ToString();
  EXPECT_EQ(ToHex(*sealed), ToHex(expected));

  auto plaintext = OpenEnvelope(crypto::SecretBytes(recipient_private), expected);
  ASSERT_TRUE(plaintext.has_value());
  EXPECT_EQ(AsStringView(plaintext->view()), (*kat)["plaintext"].get<std::string>());
  auto opened = OpenSealedEnv(crypto::SecretBytes(recipient_private), expected);
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  EXPECT_EQ(*opened, vars);
}

// dstack's own vector: dstack-util/src/crypto.rs test_dh_decrypt (Dstack-TEE/dstack, formerly
// Phala-Network/dstack). Its plaintext is an old bare-array form, which the envelope opens and
// the strict JSON layer then refuses as not {"env": [...]}.
TEST(SealedEnvTest, OpensDstacksOwnTestVector) {
  const crypto::SecretBytes secret(
      *FromHex("7c282bf94b35dc47801dc953bfa0896fc2bd313381d3e8eca4e42f6536d2a96f"));
  const Bytes sealed = *FromHex(
      "0bd18749612f4c8b9dd583c7d6a646b90abd34e3c731a7708d0caf9039095641e1f0948e775f0b7351788db7"
      "f246d51806954626dcccb6a60d64665ca3715c6bef75616cab476d27bba04080361200d6a58cec");
  auto plaintext = OpenEnvelope(secret, sealed);
  ASSERT_TRUE(plaintext.has_value()) << plaintext.error().ToString();
  EXPECT_EQ(AsStringView(plaintext->view()), "[{\"key\":\"\",\"value\":\"\"}]");
  auto opened = OpenSealedEnv(secret, sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, Code::kInvalidArgument);
  EXPECT_NE(opened.error().message.find("must be an object"), std::string::npos);
}

TEST(SealedEnvTest, ParsesEnvPublicKeyHex) {
  const std::string h = "071f36551bd279f253a315b3338d40adbcfe5704d224ea045b01796d2099826d";
  std::string upper = h;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& in : {h, "0x" + h, "0X" + upper, " " + h + "\n"}) {
    auto k = ParseEnvPublicKeyHex(in);
    ASSERT_TRUE(k.has_value()) << in << ": " << k.error().ToString();
    EXPECT_EQ(ToHex(*k), h);
  }
  for (const std::string& bad :
       {std::string(), std::string("0x"), h.substr(2), h + "00", "zz" + h.substr(2),
        "0x0x" + h.substr(4), h.substr(0, 30) + " " + h.substr(31)}) {
    auto k = ParseEnvPublicKeyHex(bad);
    ASSERT_FALSE(k.has_value()) << bad;
    EXPECT_EQ(k.error().code, Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace teecloud::secrets
