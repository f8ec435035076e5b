// UTF-8 well-formedness (RFC 3629 §4): no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequences. Pure.
#pragma once

#include <cstddef>
#include <string_view>

namespace teecloud {

// Offset of the first byte that does not belong to a well-formed sequence, or npos.
size_t FirstInvalidUtf8(std::string_view s);
inline bool IsValidUtf8(std::string_view s) {
  return FirstInvalidUtf8(s) == std::string_view::npos;
}

}  // namespace teecloud
