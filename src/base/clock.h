// Time as a parameter: verification takes `now`; only daemons' composition roots read the
// system clock, through Clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace teecloud {

// Seconds since the Unix epoch (UTC).
using UnixTime = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixTime Now() const override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixTime t) : now_(t) {}
  UnixTime Now() const override { return now_; }
  void Set(UnixTime t) { now_ = t; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  UnixTime now_;
};

// "2025-07-01T00:00:00Z", "2025-07-01T02:00:00.123+02:00", or "2025-07-01" (midnight UTC).
Result<UnixTime> ParseRfc3339(std::string_view s);
// Unix seconds ("1751328000") or RFC 3339.
Result<UnixTime> ParseTimeArg(std::string_view s);
// "2025-07-01T00:00:00Z"
std::string FormatRfc3339(UnixTime t);

// Days-from-civil (proleptic Gregorian), exposed for ASN.1 time conversion.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace teecloud
