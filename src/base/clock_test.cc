#include "base/clock.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

TEST(Time, ParsesRfc3339AndUnix) {
  EXPECT_EQ(*ParseRfc3339("2025-07-01T00:00:00Z"), 1751328000);
  EXPECT_EQ(*ParseRfc3339("2025-07-01"), 1751328000);
  EXPECT_EQ(*ParseRfc3339("2025-07-01T02:00:00.5+02:00"), 1751328000);
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimeArg("1751328000"), 1751328000);
  EXPECT_EQ(*ParseTimeArg("2023-07-01T01:00:00Z"), 1688173200);
  EXPECT_FALSE(ParseRfc3339("2025-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2025-07-01T00:00:00"));
  EXPECT_FALSE(ParseRfc3339("2025-07-01T25:00:00Z"));
  EXPECT_FALSE(ParseTimeArg("soon"));
  EXPECT_FALSE(ParseTimeArg("99999999999999999999999"));
}

TEST(Time, FormatsRoundTrip) {
  for (UnixTime t : {0LL, 1751328000LL, 1688173200LL, 951782400LL /* 2000-02-29 */,
                     4102444799LL}) {
    EXPECT_EQ(*ParseRfc3339(FormatRfc3339(t)), t) << FormatRfc3339(t);
  }
  EXPECT_EQ(FormatRfc3339(1751328000), "2025-07-01T00:00:00Z");
}

TEST(Clock, FakeClockAdvances) {
  FakeClock c(100);
  c.Advance(5);
  EXPECT_EQ(c.Now(), 105);
}

}  // namespace
}  // namespace teecloud
