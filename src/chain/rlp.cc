#include "chain/rlp.h"

#include <string>
#include <utility>

namespace teecloud::chain {
namespace {

// Appends the big-endian minimal representation of v (nothing for 0).
void AppendBigEndian(uint64_t v, Bytes& out) {
  uint8_t buf[8];
  int n = 0;
  while (v != 0) {
    buf[n++] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  while (n > 0) out.push_back(buf[--n]);
}

// Yellow Paper B: short form for payloads < 56 bytes, long form otherwise.
void AppendHeader(uint8_t short_base, size_t len, Bytes& out) {
  if (len < 56) {
    out.push_back(static_cast<uint8_t>(short_base + len));
    return;
  }
  Bytes len_be;
  AppendBigEndian(len, len_be);
  out.push_back(static_cast<uint8_t>(short_base + 55 + len_be.size()));
  out.insert(out.end(), len_be.begin(), len_be.end());
}

void EncodeInto(const RlpItem& item, Bytes& out) {
  if (item.is_bytes()) {
    const Bytes& b = item.bytes();
    if (b.size() == 1 && b[0] < 0x80) {
      out.push_back(b[0]);
      return;
    }
    AppendHeader(0x80, b.size(), out);
    out.insert(out.end(), b.begin(), b.end());
    return;
  }
  Bytes payload;
  for (const RlpItem& child : item.list()) EncodeInto(child, payload);
  AppendHeader(0xc0, payload.size(), out);
  out.insert(out.end(), payload.begin(), payload.end());
}

// Reads a long-form length of `n` bytes (1..8), rejecting leading zeros and lengths < 56.
Result<size_t> ReadLongLength(ByteReader& r, size_t n) {
  ASSIGN_OR_RETURN(ByteView len_bytes, r.Take(n, "rlp: length"));
  if (len_bytes[0] == 0) return InvalidArgument("rlp: leading zero in length");
  uint64_t len = 0;
  for (uint8_t b : len_bytes) len = (len << 8) | b;
  if (len < 56) return InvalidArgument("rlp: long form used for length < 56");
  return static_cast<size_t>(len);
}

Result<RlpItem> DecodeOne(ByteReader& r, int depth) {
  if (depth > kRlpMaxDepth) return InvalidArgument("rlp: nesting deeper than 64");
  ASSIGN_OR_RETURN(uint8_t prefix, r.U8("rlp: prefix"));
  if (prefix < 0x80) return RlpItem{Bytes{prefix}};
  if (prefix <= 0xbf) {
    size_t len;
    if (prefix <= 0xb7) {
      len = prefix - 0x80;
    } else {
      ASSIGN_OR_RETURN(len, ReadLongLength(r, prefix - 0xb7));
    }
    ASSIGN_OR_RETURN(ByteView payload, r.Take(len, "rlp: string payload"));
    if (len == 1 && payload[0] < 0x80) {
      return InvalidArgument("rlp: single byte < 0x80 must encode as itself");
    }
    return RlpItem{ToBytes(payload)};
  }
  size_t len;
  if (prefix <= 0xf7) {
    len = prefix - 0xc0;
  } else {
    ASSIGN_OR_RETURN(len, ReadLongLength(r, prefix - 0xf7));
  }
  ASSIGN_OR_RETURN(ByteView payload, r.Take(len, "rlp: list payload"));
  ByteReader inner(payload);
  std::vector<RlpItem> items;
  while (!inner.empty()) {
    ASSIGN_OR_RETURN(RlpItem child, DecodeOne(inner, depth + 1));
    items.push_back(std::move(child));
  }
  return RlpItem{std::move(items)};
}

}  // namespace

const Bytes& RlpItem::bytes() const {
  TEECLOUD_CHECK(is_bytes());
  return std::get<Bytes>(value);
}

const std::vector<RlpItem>& RlpItem::list() const {
  TEECLOUD_CHECK(is_list());
  return std::get<std::vector<RlpItem>>(value);
}

RlpItem RlpBytes(ByteView b) { return RlpItem{ToBytes(b)}; }

RlpItem RlpUint(uint64_t v) {
  Bytes out;
  AppendBigEndian(v, out);
  return RlpItem{std::move(out)};
}

RlpItem RlpUint256(ByteView be) {
  size_t i = 0;
  while (i < be.size() && be[i] == 0) ++i;
  return RlpItem{ToBytes(be.subspan(i))};
}

RlpItem RlpList(std::vector<RlpItem> items) { return RlpItem{std::move(items)}; }

Bytes RlpEncode(const RlpItem& item) {
  Bytes out;
  EncodeInto(item, out);
  return out;
}

Result<RlpItem> RlpDecode(ByteView data) {
  ByteReader r(data);
  ASSIGN_OR_RETURN(RlpItem item, DecodeOne(r, 0));
  if (!r.empty()) {
    return InvalidArgument("rlp: " + std::to_string(r.remaining()) + " trailing bytes");
  }
  return item;
}

Result<uint64_t> RlpToUint64(const RlpItem& item) {
  if (!item.is_bytes()) return InvalidArgument("rlp: expected integer, got list");
  const Bytes& b = item.bytes();
  if (b.size() > 8) return OutOfRange("rlp: integer wider than 64 bits");
  if (!b.empty() && b[0] == 0) return InvalidArgument("rlp: integer has leading zero");
  uint64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  return v;
}

}  // namespace teecloud::chain
