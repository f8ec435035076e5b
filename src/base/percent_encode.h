// RFC 3986 percent-encoding, for building URL paths and query strings.
#pragma once

#include <string>
#include <string_view>

namespace teecloud {

// Unreserved characters (ALPHA DIGIT "-" "_" "." "~") and the bytes in `keep` stay as they are;
// every other byte becomes "%XX" (upper-case hex).
std::string PercentEncode(std::string_view s, std::string_view keep = "");

}  // namespace teecloud
