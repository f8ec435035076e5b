#include "base/jcs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace teecloud {

namespace {

// UTF-8 → UTF-16 code units, for RFC 8785 §3.2.3 member ordering. nlohmann validated UTF-8
// on parse; invalid sequences map to U+FFFD so ordering stays total.
std::u16string ToUtf16(const std::string& s) {
  std::u16string out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; len = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; len = 3; }
    else if ((c >> 3) == 30) { cp = c & 0x07; len = 4; }
    else { out.push_back(0xfffd); ++i; continue; }
    if (i + len > s.size()) { out.push_back(0xfffd); break; }
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

}  // namespace

void AppendJsonStringLiteral(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

namespace {

Status Append(std::string& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; return OkStatus();
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return OkStatus();
    case Json::value_t::string: AppendJsonStringLiteral(out, v.get_ref<const std::string&>()); return OkStatus();
    case Json::value_t::number_integer: {
      int64_t i = v.get<int64_t>();
      if (i > (int64_t{1} << 53) || i < -(int64_t{1} << 53)) {
        return InvalidArgument("jcs: integer " + std::to_string(i) + " exceeds IEEE double precision");
      }
      out += EcmaNumberToString(static_cast<double>(i));
      return OkStatus();
    }
    case Json::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u > (uint64_t{1} << 53)) {
        return InvalidArgument("jcs: integer " + std::to_string(u) + " exceeds IEEE double precision");
      }
      out += EcmaNumberToString(static_cast<double>(u));
      return OkStatus();
    }
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) return InvalidArgument("jcs: NaN or Infinity is not valid JSON");
      out += EcmaNumberToString(d);
      return OkStatus();
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        RETURN_IF_ERROR(Append(out, e));
      }
      out += ']';
      return OkStatus();
    }
    case Json::value_t::object: {
      std::vector<std::pair<std::u16string, Json::const_iterator>> members;
      for (auto it = v.begin(); it != v.end(); ++it) members.emplace_back(ToUtf16(it.key()), it);
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      bool first = true;
      for (const auto& [k16, it] : members) {
        if (!first) out += ',';
        first = false;
        AppendJsonStringLiteral(out, it.key());
        out += ':';
        RETURN_IF_ERROR(Append(out, it.value()));
      }
      out += '}';
      return OkStatus();
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      return InvalidArgument("jcs: value has no JSON representation");
  }
  return InvalidArgument("jcs: unknown value type");
}

}  // namespace

std::string EcmaNumberToString(double v) {
  if (v == 0) return "0";  // Also -0 (ECMAScript prints "0").
  std::string out;
  if (v < 0) {
    out += '-';
    v = -v;
  }
  // Shortest round-trip digits in scientific form: "d.ddde±x".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  int exp10 = std::atoi(sci.c_str() + e + 1);
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;  // ECMAScript: value = 0.digits × 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1 >= 0) ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

Result<std::string> CanonicalizeJson(const Json& value) {
  std::string out;
  RETURN_IF_ERROR(Append(out, value));
  return out;
}

}  // namespace teecloud
