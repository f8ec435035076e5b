#include "attest/eventlog/replay.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "attest/eventlog/runtime_log.h"
#include "testing/testing.h"

namespace teecloud::attest::eventlog {
namespace {

using QuoteRtmrs = std::array<std::array<uint8_t, 48>, 4>;

// v4 quote: 48-byte header, then the TD report body whose RTMR0 is at body offset 328.
QuoteRtmrs RtmrsFromQuote(ByteView quote) {
  QuoteRtmrs out{};
  for (size_t i = 0; i < 4; ++i) {
    ByteView r = quote.subspan(48 + 328 + 48 * i, 48);
    std::copy(r.begin(), r.end(), out[i].begin());
  }
  return out;
}

TEST(ReplayTest, RuntimeLogDetectedAndMatched) {
  RuntimeMeasurement m;
  ASSERT_TRUE(m.Extend("system-preparing", {}));
  ASSERT_TRUE(m.Extend("app-id", Bytes(20, 0x01)));
  QuoteRtmrs quote{};
  quote[3] = m.rtmr3();
  std::string text = " \n\t" + DumpJson(m.ToJson(), 2);  // leading whitespace is still JSON

  auto report = ReplayAgainstQuote(AsBytes(text), quote);
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report->format, "runtime");
  EXPECT_EQ(report->event_count, 2u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(report->rtmr_match[i], std::optional<bool>(true)) << i;
  EXPECT_EQ(report->replayed[3], m.rtmr3());

  quote[3][0] ^= 1;
  quote[1][0] = 1;
  report = ReplayAgainstQuote(AsBytes(text), quote);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->rtmr_match[1], std::optional<bool>(false));
  EXPECT_EQ(report->rtmr_match[3], std::optional<bool>(false));
  EXPECT_EQ(report->rtmr_match[0], std::optional<bool>(true));
}

TEST(ReplayTest, ForgedRuntimeLogIsAnError) {
  RuntimeMeasurement m;
  ASSERT_TRUE(m.Extend("compose-hash", Bytes(32, 0x01)));
  Json json = m.ToJson();
  json[0]["event_payload"] = ToHex(Bytes(32, 0x02));
  EXPECT_FALSE(ReplayAgainstQuote(AsBytes(DumpJson(json)), QuoteRtmrs{}));
}

TEST(ReplayTest, GarbageIsAnError) {
  EXPECT_FALSE(ReplayAgainstQuote({}, QuoteRtmrs{}));
  EXPECT_FALSE(ReplayAgainstQuote(AsBytes("[not json"), QuoteRtmrs{}));
  EXPECT_FALSE(ReplayAgainstQuote(AsBytes("hello"), QuoteRtmrs{}));
  EXPECT_FALSE(ReplayAgainstQuote(AsBytes("{\"imr\": 3}"), QuoteRtmrs{}));
}

// expected.json "eventlog.replay_matches_quote" for the vector.
std::array<bool, 4> ExpectedMatches(const std::string& dir) {
  auto j = ParseJson(testing::ReadVectorText(dir + "/expected.json"));
  TEECLOUD_CHECK(j.has_value());
  std::array<bool, 4> out{};
  for (size_t i = 0; i < 4; ++i) {
    out[i] = (*j)["eventlog"]["replay_matches_quote"]["rtmr" + std::to_string(i)].get<bool>();
  }
  return out;
}

TEST(ReplayVectorTest, CcelLogsAgainstTheirQuotes) {
  TEECLOUD_REQUIRE_VECTORS();
  struct Case {
    std::string dir, log;
    size_t events;
  };
  for (const Case& c : {Case{"eventlog/t7-gcp-ccel", "ccel_data.bin", 43},
                        Case{"eventlog/t8-dstack-ccel", "ccel.bin", 18}}) {
    SCOPED_TRACE(c.dir);
    QuoteRtmrs quote = RtmrsFromQuote(testing::ReadVector(c.dir + "/quote.bin"));
    auto report = ReplayAgainstQuote(testing::ReadVector(c.dir + "/" + c.log), quote);
    ASSERT_TRUE(report) << report.error().ToString();
    EXPECT_EQ(report->format, "ccel");
    EXPECT_EQ(report->event_count, c.events);
    std::array<bool, 4> want = ExpectedMatches(c.dir);
    for (size_t i = 0; i < 4; ++i) {
      ASSERT_TRUE(report->rtmr_match[i].has_value()) << i;
      EXPECT_EQ(*report->rtmr_match[i], want[i]) << "rtmr" << i;
    }
  }
}

}  // namespace
}  // namespace teecloud::attest::eventlog
