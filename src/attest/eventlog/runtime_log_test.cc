#include "attest/eventlog/runtime_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/hash.h"

namespace teecloud::attest::eventlog {
namespace {

// Known answers computed independently with Python's hashlib:
//   d = lambda n, p: hashlib.sha384(struct.pack('<I', 0x08000001) + b':' + n + b':' + p)
//   d(b'system-preparing', b'')
//   d(b'compose-hash', bytes.fromhex('00112233445566778899aabbccddeeff' * 2))
//   RTMR3 after both: r = sha384(bytes(48) + d1); r = sha384(r + d2)
constexpr char kSystemPreparingDigest[] =
    "f9974020ef507068183313d0ca808e0d1ca9b2d1ad0c61f5"
    "784e7157c362c06536f5ddacdad4451693f48fcc72fff624";
constexpr char kComposeHashDigest[] =
    "9f663c376bbd4e8bfb915cd4ac45d3ea4cc8b709e2586d20"
    "291a30600bbc48f85f3a07e0824183848a04adc57bfa89c8";
constexpr char kRtmr3AfterBoth[] =
    "a120c6d9ebf84b1b7749a30442a2c643d980ca3c96452b63"
    "9beef76abee3d401b9027d19bac710d3608bfb986d2dfa46";

Bytes ComposeHash() {
  return *FromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
}

std::string Hex(const Digest384& d) { return ToHex(crypto::View(d)); }

TEST(RuntimeLogTest, DigestKnownAnswers) {
  // By hand, with the one-shot hash over the formula's concatenation...
  Bytes input = {0x01, 0x00, 0x00, 0x08};  // le32(0x08000001)
  Bytes rest = ToBytes(":system-preparing:");
  input.insert(input.end(), rest.begin(), rest.end());
  Digest384 by_hand = crypto::Sha384(input);
  // ...equals the library's incremental computation and the Python value.
  EXPECT_EQ(RuntimeEventDigest(kRuntimeEventType, "system-preparing", {}), by_hand);
  EXPECT_EQ(Hex(by_hand), kSystemPreparingDigest);
  EXPECT_EQ(Hex(RuntimeEventDigest(kRuntimeEventType, "compose-hash", ComposeHash())),
            kComposeHashDigest);
  // The type is part of the digest.
  EXPECT_NE(RuntimeEventDigest(0x08000002, "system-preparing", {}), by_hand);
  // The documented caveat: the input is not length-prefixed, so the name/payload split is not
  // bound. This is why RuntimeMeasurement refuses names containing ':'.
  EXPECT_EQ(RuntimeEventDigest(kRuntimeEventType, "a:b", ToBytes("c")),
            RuntimeEventDigest(kRuntimeEventType, "a", ToBytes("b:c")));
}

TEST(RuntimeLogTest, MakeRuntimeEvent) {
  RuntimeEvent ev = MakeRuntimeEvent("compose-hash", ComposeHash());
  EXPECT_EQ(ev.imr, 3u);
  EXPECT_EQ(ev.event_type, kRuntimeEventType);
  EXPECT_EQ(ToHex(ev.digest), kComposeHashDigest);
  EXPECT_EQ(ev.event, "compose-hash");
  EXPECT_EQ(ev.payload, ComposeHash());
}

TEST(RuntimeLogTest, ReplayMatchesKnownAnswer) {
  std::vector<RuntimeEvent> log = {MakeRuntimeEvent("system-preparing", {}),
                                   MakeRuntimeEvent("compose-hash", ComposeHash())};
  auto rtmrs = ReplayRuntimeLog(log);
  EXPECT_EQ(Hex(rtmrs[3]), kRtmr3AfterBoth);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(rtmrs[i], Digest384{}) << i;
}

TEST(RuntimeLogTest, ReplayPerImr) {
  RuntimeEvent boot;
  boot.imr = 1;
  boot.event_type = 0x80000001;
  boot.digest = Bytes(48, 0x42);
  std::vector<RuntimeEvent> log = {boot, MakeRuntimeEvent("system-ready", {})};
  auto rtmrs = ReplayRuntimeLog(log);
  EXPECT_EQ(rtmrs[0], Digest384{});
  EXPECT_EQ(rtmrs[1], crypto::Sha384(Concat({Digest384{}, boot.digest})));
  EXPECT_EQ(rtmrs[2], Digest384{});
  EXPECT_EQ(rtmrs[3], crypto::Sha384(Concat({Digest384{}, log[1].digest})));
}

TEST(RuntimeLogTest, JsonRoundTrip) {
  RuntimeEvent boot;
  boot.imr = 0;
  boot.event_type = 0x80000001;
  boot.digest = Bytes(48, 0xAB);
  boot.event = "";
  boot.payload = {1, 2, 3};
  std::vector<RuntimeEvent> log = {boot, MakeRuntimeEvent("system-preparing", {}),
                                   MakeRuntimeEvent("compose-hash", ComposeHash())};
  Json json = RuntimeEventLogToJson(log);
  ASSERT_TRUE(json.is_array());
  EXPECT_EQ(json[1]["digest"], kSystemPreparingDigest);
  EXPECT_EQ(json[1]["event_payload"], "");
  EXPECT_EQ(json[2]["imr"], 3);
  EXPECT_EQ(json[2]["event_type"], 0x08000001);
  auto parsed = ParseRuntimeEventLog(DumpJson(json));
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(*parsed, log);
  // Empty log.
  auto empty = ParseRuntimeEventLog("[]");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

// A valid entry as JSON text, with one member replaced or added.
std::string Entry(const std::string& member = "", const std::string& value = "") {
  Json e = RuntimeEventLogToJson({MakeRuntimeEvent("app-id", ToBytes("abc"))})[0];
  if (!member.empty()) {
    auto v = ParseJson(value);
    TEECLOUD_CHECK(v.has_value());
    e[member] = *v;
  }
  return "[" + DumpJson(e) + "]";
}

void ExpectRejected(const std::string& text, const std::string& needle) {
  auto log = ParseRuntimeEventLog(text);
  ASSERT_FALSE(log) << "accepted: " << text;
  EXPECT_NE(log.error().message.find(needle), std::string::npos) << log.error().message;
}

TEST(RuntimeLogTest, RejectsMalformedJson) {
  ASSERT_TRUE(ParseRuntimeEventLog(Entry()));
  ExpectRejected("", "json");
  ExpectRejected("[", "json");
  ExpectRejected("{}", "expected a JSON array");
  ExpectRejected("[1]", "event_log[0]: expected an object");
  ExpectRejected(Entry("extra", "1"), "event_log[0].extra: unknown field");
  ExpectRejected("[{\"imr\":3}]", "missing");
}

TEST(RuntimeLogTest, RejectsWrongTypesAndRanges) {
  ExpectRejected(Entry("imr", "\"3\""), "imr");
  ExpectRejected(Entry("imr", "4"), "imr: 4 is not 0..3");
  ExpectRejected(Entry("imr", "-1"), "imr");
  ExpectRejected(Entry("imr", "3.0"), "imr");
  ExpectRejected(Entry("event_type", "4294967296"), "event_type");
  ExpectRejected(Entry("event_type", "true"), "event_type");
  ExpectRejected(Entry("event", "null"), "event");
  ExpectRejected(Entry("event_payload", "[]"), "event_payload");
}

TEST(RuntimeLogTest, RejectsBadHexAndDigestLength) {
  ExpectRejected(Entry("digest", "\"zz\""), "digest");
  ExpectRejected(Entry("digest", "\"" + std::string(95, 'a') + "\""), "digest");
  ExpectRejected(Entry("digest", "\"" + std::string(94, 'a') + "\""), "47 bytes");
  ExpectRejected(Entry("digest", "\"" + std::string(98, 'a') + "\""), "49 bytes");
  ExpectRejected(Entry("event_payload", "\"abc\""), "event_payload");
  ExpectRejected(Entry("event_payload", "\"0g\""), "event_payload");
}

TEST(RuntimeLogTest, RejectsForgedRuntimeEntries) {
  // Payload changed, name changed, digest changed: each no longer matches.
  ExpectRejected(Entry("event_payload", "\"616264\""), "digest does not match");
  ExpectRejected(Entry("event", "\"compose-hash\""), "digest does not match");
  ExpectRejected(Entry("digest", "\"" + std::string(kSystemPreparingDigest) + "\""),
                 "digest does not match");
}

TEST(RuntimeLogTest, OtherEventTypesAreTakenAsGiven) {
  // Boot events copied from the CCEL: the digest is of data the entry does not carry.
  std::string text = R"([{"imr": 0, "event_type": 2147483649, "digest": ")" + std::string(96, '0') +
                     R"(", "event": "", "event_payload": "0102"}])";
  auto log = ParseRuntimeEventLog(text);
  ASSERT_TRUE(log) << log.error().ToString();
  EXPECT_EQ((*log)[0].event_type, 0x80000001u);
}

TEST(RuntimeMeasurementTest, ExtendTracksRtmr3) {
  RuntimeMeasurement m;
  EXPECT_EQ(m.rtmr3(), Digest384{});
  auto a = m.Extend("system-preparing", {});
  ASSERT_TRUE(a);
  EXPECT_EQ(ToHex(a->digest), kSystemPreparingDigest);
  ASSERT_TRUE(m.Extend("compose-hash", ComposeHash()));
  EXPECT_EQ(Hex(m.rtmr3()), kRtmr3AfterBoth);
  ASSERT_EQ(m.events().size(), 2u);
  EXPECT_EQ(ReplayRuntimeLog(m.events())[3], m.rtmr3());

  // The JSON the agent serves parses back and replays to the same register.
  auto parsed = ParseRuntimeEventLog(DumpJson(m.ToJson()));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(ReplayRuntimeLog(*parsed)[3], m.rtmr3());
}

TEST(RuntimeMeasurementTest, RejectsAmbiguousNames) {
  RuntimeMeasurement m;
  EXPECT_FALSE(m.Extend("", {}));
  EXPECT_FALSE(m.Extend("app:event", {}));
  EXPECT_TRUE(m.events().empty());
  EXPECT_EQ(m.rtmr3(), Digest384{});
}

TEST(RuntimeMeasurementTest, FromEventsRestoresAndChecks) {
  RuntimeMeasurement m;
  ASSERT_TRUE(m.Extend("system-preparing", {}));
  ASSERT_TRUE(m.Extend("compose-hash", ComposeHash()));
  auto restored = RuntimeMeasurement::FromEvents(m.events());
  ASSERT_TRUE(restored) << restored.error().ToString();
  EXPECT_EQ(restored->rtmr3(), m.rtmr3());
  EXPECT_EQ(restored->events(), m.events());

  std::vector<RuntimeEvent> tampered = m.events();
  tampered[1].payload[0] ^= 1;
  EXPECT_FALSE(RuntimeMeasurement::FromEvents(tampered));
  std::vector<RuntimeEvent> wrong_imr = m.events();
  wrong_imr[0].imr = 2;
  EXPECT_FALSE(RuntimeMeasurement::FromEvents(wrong_imr));
}

}  // namespace
}  // namespace teecloud::attest::eventlog
