#include "base/clock.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace teecloud {

UnixTime SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {
bool ReadDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}
bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}
}  // namespace

Result<UnixTime> ParseRfc3339(std::string_view s) {
  auto bad = [&] { return InvalidArgument("time: '" + std::string(s) + "' is not RFC 3339"); };
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!ReadDigits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !ReadDigits(s, 5, 2, mo) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, d)) {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return bad();
  int64_t offset = 0;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ReadDigits(s, 11, 2, h) ||
        s.size() < 19 || s[13] != ':' || !ReadDigits(s, 14, 2, mi) || s[16] != ':' ||
        !ReadDigits(s, 17, 2, sec)) {
      return bad();
    }
    if (h > 23 || mi > 59 || sec > 60) return bad();
    size_t p = 19;
    if (p < s.size() && s[p] == '.') {
      ++p;
      size_t start = p;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
      if (p == start) return bad();
    }
    if (p >= s.size()) return bad();
    if (s[p] == 'Z' || s[p] == 'z') {
      ++p;
    } else if (s[p] == '+' || s[p] == '-') {
      int oh, om;
      if (!ReadDigits(s, p + 1, 2, oh) || p + 3 >= s.size() || s[p + 3] != ':' ||
          !ReadDigits(s, p + 4, 2, om) || oh > 23 || om > 59) {
        return bad();
      }
      offset = (oh * 3600 + om * 60) * (s[p] == '+' ? 1 : -1);
      p += 6;
    } else {
      return bad();
    }
    if (p != s.size()) return bad();
  }
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + sec - offset;
}

Result<UnixTime> ParseTimeArg(std::string_view s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t v;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
      return InvalidArgument("time: '" + std::string(s) + "' is out of range");
    }
    return v;
  }
  return ParseRfc3339(s);
}

std::string FormatRfc3339(UnixTime t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  // civil-from-days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m,
                d, static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

}  // namespace teecloud
