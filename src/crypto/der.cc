// DER (ITU-T X.690 §8 and §10) decoding, own code: only the subset TEE vendor extensions use.
#include "crypto/der.h"

#include <algorithm>
#include <string>

namespace teecloud::crypto {

Result<DerElement> DerReader::Next() {
  const size_t start = offset_;
  const size_t avail = data_.size() - std::min(offset_, data_.size());
  if (avail < 2)
    return InvalidArgument("DER: truncated TLV header at offset " + std::to_string(start));
  const uint8_t tag = data_[start];
  // X.690 §8.1.2.4: tag number 31 introduces the high-tag-number form, which no structure we
  // parse uses.
  if ((tag & 0x1f) == 0x1f) return InvalidArgument("DER: high tag numbers are not supported");
  const uint8_t first = data_[start + 1];
  size_t header = 2;
  size_t length = 0;
  if (first < 0x80) {
    length = first;  // §8.1.3.4 short form
  } else if (first == 0x80) {
    return InvalidArgument("DER: indefinite length is not allowed (X.690 §10.1)");
  } else {
    const size_t n = first & 0x7f;
    // More than 4 length octets would describe >4 GiB; 0x7f/0xff is reserved (§8.1.3.5 c).
    if (n > 4) return InvalidArgument("DER: length field too long");
    if (avail - 2 < n)
      return InvalidArgument("DER: truncated length at offset " + std::to_string(start));
    if (data_[start + 2] == 0) return InvalidArgument("DER: non-minimal length (leading zero)");
    for (size_t i = 0; i < n; ++i) length = (length << 8) | data_[start + 2 + i];
    // §10.1: the definite form must use the minimum number of octets, so long form is only
    // for lengths of 128 and up.
    if (length < 0x80) return InvalidArgument("DER: non-minimal length (long form for < 128)");
    header += n;
  }
  if (length > avail - header) {
    return InvalidArgument("DER: length " + std::to_string(length) + " at offset " +
                           std::to_string(start) + " runs past the end");
  }
  DerElement e;
  e.tag = tag;
  e.contents = data_.subspan(start + header, length);
  e.encoded = data_.subspan(start, header + length);
  offset_ = start + header + length;
  return e;
}

Result<DerElement> DerReader::Expect(uint8_t tag, std::string_view what) {
  const size_t saved = offset_;
  auto e = Next();
  if (!e) return tl::unexpected(e.error().WithContext(what));
  if (e->tag != tag) {
    offset_ = saved;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string msg = std::string(what) + ": expected DER tag 0x";
    msg += kHex[tag >> 4];
    msg += kHex[tag & 0xf];
    msg += ", found 0x";
    msg += kHex[e->tag >> 4];
    msg += kHex[e->tag & 0xf];
    return InvalidArgument(std::move(msg));
  }
  return e;
}

// X.690 §8.19: subidentifiers in base 128, high bit = "more follows"; the first encodes
// 40 * arc0 + arc1.
Result<std::string> DecodeOid(ByteView contents) {
  if (contents.empty()) return InvalidArgument("DER: empty OBJECT IDENTIFIER");
  if (contents.back() & 0x80) return InvalidArgument("DER: truncated OID subidentifier");
  std::string out;
  uint64_t value = 0;
  bool first = true;
  bool at_start = true;
  for (const uint8_t b : contents) {
    // §8.19.2: the leading octet of a subidentifier shall not be 0x80 (minimal encoding).
    if (at_start && b == 0x80) return InvalidArgument("DER: non-minimal OID subidentifier");
    if (value > (UINT64_MAX >> 7)) return InvalidArgument("DER: OID subidentifier too large");
    value = (value << 7) | (b & 0x7f);
    at_start = false;
    if (b & 0x80) continue;
    if (first) {
      const uint64_t arc0 = value < 40 ? 0 : value < 80 ? 1 : 2;
      out = std::to_string(arc0) + "." + std::to_string(value - 40 * arc0);
      first = false;
    } else {
      out += "." + std::to_string(value);
    }
    value = 0;
    at_start = true;
  }
  return out;
}

// X.690 §8.3: two's complement, big-endian, minimal (§8.3.2: the first nine bits are not all
// zeros or all ones).
Result<uint64_t> DecodeUint(ByteView contents) {
  if (contents.empty()) return InvalidArgument("DER: empty INTEGER");
  if (contents[0] & 0x80) return InvalidArgument("DER: negative INTEGER where unsigned expected");
  if (contents.size() > 1 && contents[0] == 0 && !(contents[1] & 0x80)) {
    return InvalidArgument("DER: non-minimal INTEGER");
  }
  ByteView magnitude = contents;
  if (magnitude.size() > 1 && magnitude[0] == 0) magnitude = magnitude.subspan(1);
  if (magnitude.size() > 8) return OutOfRange("DER: INTEGER does not fit in 64 bits");
  uint64_t v = 0;
  for (const uint8_t b : magnitude) v = (v << 8) | b;
  return v;
}

}  // namespace teecloud::crypto
