// Recursive Length Prefix encoding (Ethereum Yellow Paper, Appendix B).
//
// RlpItem is a value: either a byte string or a list of items. RlpDecode is a pure,
// bounds-checked function over untrusted bytes that accepts only the canonical encoding.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::chain {

struct RlpItem {
  std::variant<Bytes, std::vector<RlpItem>> value;

  bool is_bytes() const { return std::holds_alternative<Bytes>(value); }
  bool is_list() const { return !is_bytes(); }
  // Precondition: is_bytes() / is_list() respectively (TEECLOUD_CHECK).
  const Bytes& bytes() const;
  const std::vector<RlpItem>& list() const;

  friend bool operator==(const RlpItem&, const RlpItem&) = default;
};

// Deeper nesting is rejected by RlpDecode (and never produced by us).
inline constexpr int kRlpMaxDepth = 64;

RlpItem RlpBytes(ByteView b);
// Big-endian, no leading zeros; 0 is the empty string.
RlpItem RlpUint(uint64_t v);
// A big-endian integer of any width (typically 32 bytes); leading zeros are stripped.
RlpItem RlpUint256(ByteView be);
RlpItem RlpList(std::vector<RlpItem> items);

Bytes RlpEncode(const RlpItem& item);

// Decodes exactly one item spanning all of `data`. Rejects non-canonical forms (single byte
// < 0x80 wrapped as 0x81xx, long form for lengths < 56, leading zeros in length), lengths past
// the end, trailing bytes and nesting deeper than kRlpMaxDepth.
Result<RlpItem> RlpDecode(ByteView data);

// Interprets a decoded byte string as a canonical unsigned integer (no leading zeros).
Result<uint64_t> RlpToUint64(const RlpItem& item);

}  // namespace teecloud::chain
