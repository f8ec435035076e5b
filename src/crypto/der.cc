// DER (ITU-T X.690 §8 and §10) decoding and encoding, own code: only the subset TEE vendor
// extensions and the certificates we issue use.
#include "crypto/der.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

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

namespace {

// X.690 §8.1.3: short form below 128, otherwise the minimal long form.
void AppendLength(Bytes& out, size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<uint8_t>(length));
    return;
  }
  uint8_t buf[sizeof(size_t)];
  size_t n = 0;
  for (size_t v = length; v != 0; v >>= 8) buf[n++] = static_cast<uint8_t>(v & 0xff);
  out.push_back(static_cast<uint8_t>(0x80 | n));
  for (size_t i = n; i > 0; --i) out.push_back(buf[i - 1]);
}

void AppendTlv(Bytes& out, uint8_t tag, ByteView contents) {
  out.push_back(tag);
  AppendLength(out, contents.size());
  out.insert(out.end(), contents.begin(), contents.end());
}

// X.690 §8.19.2: base 128, most significant group first, high bit on all but the last octet.
void AppendBase128(Bytes& out, uint64_t v) {
  uint8_t buf[10];
  size_t n = 0;
  do {
    buf[n++] = static_cast<uint8_t>(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  for (size_t i = n; i > 0; --i) {
    out.push_back(static_cast<uint8_t>(buf[i - 1] | (i > 1 ? 0x80 : 0x00)));
  }
}

Bytes UintMagnitude(uint64_t v) {
  Bytes b;
  for (int shift = 56; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
  return b;
}

}  // namespace

Result<Bytes> EncodeOid(std::string_view dotted) {
  std::vector<uint64_t> arcs;
  size_t pos = 0;
  while (true) {
    const size_t dot = dotted.find('.', pos);
    const std::string_view part =
        dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (part.empty() || part.size() > 20 || (part.size() > 1 && part[0] == '0')) {
      return InvalidArgument("OID '" + std::string(dotted) + "': bad arc");
    }
    uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || ptr != part.data() + part.size()) {
      return InvalidArgument("OID '" + std::string(dotted) + "': bad arc");
    }
    arcs.push_back(v);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (arcs.size() < 2) return InvalidArgument("OID '" + std::string(dotted) + "': needs 2 arcs");
  if (arcs[0] > 2) return InvalidArgument("OID '" + std::string(dotted) + "': first arc > 2");
  if (arcs[0] < 2 && arcs[1] > 39) {
    return InvalidArgument("OID '" + std::string(dotted) + "': second arc > 39");
  }
  if (arcs[1] > UINT64_MAX - 80) {
    return InvalidArgument("OID '" + std::string(dotted) + "': arc too large");
  }
  Bytes out;
  AppendBase128(out, arcs[0] * 40 + arcs[1]);  // §8.19.4
  for (size_t i = 2; i < arcs.size(); ++i) AppendBase128(out, arcs[i]);
  return out;
}

DerWriter& DerWriter::Integer(ByteView magnitude) {
  size_t skip = 0;
  while (skip < magnitude.size() && magnitude[skip] == 0) ++skip;
  ByteView m = magnitude.subspan(skip);
  Bytes contents;
  // §8.3.2: minimal two's complement; a set top bit would read as negative.
  if (m.empty() || (m[0] & 0x80)) contents.push_back(0x00);
  contents.insert(contents.end(), m.begin(), m.end());
  AppendTlv(out_, kDerInteger, contents);
  return *this;
}

DerWriter& DerWriter::Uint(uint64_t v) { return Integer(UintMagnitude(v)); }

DerWriter& DerWriter::Enumerated(uint64_t v) {
  DerWriter tmp;
  tmp.Uint(v);
  Bytes enc = tmp.Finish();
  enc[0] = kDerEnumerated;  // same contents rules as INTEGER (§8.4)
  return Raw(enc);
}

DerWriter& DerWriter::Boolean(bool v) {
  const uint8_t b = v ? 0xff : 0x00;
  return Tlv(kDerBoolean, ByteView(&b, 1));
}

DerWriter& DerWriter::Null() { return Tlv(kDerNull, {}); }

DerWriter& DerWriter::OctetString(ByteView v) { return Tlv(kDerOctetString, v); }

DerWriter& DerWriter::BitString(ByteView v, uint8_t unused_bits) {
  TEECLOUD_CHECK(unused_bits < 8 && (unused_bits == 0 || !v.empty()));
  Bytes contents;
  contents.reserve(v.size() + 1);
  contents.push_back(unused_bits);
  contents.insert(contents.end(), v.begin(), v.end());
  if (unused_bits != 0) contents.back() &= static_cast<uint8_t>(0xff << unused_bits);  // §11.2.1
  return Tlv(kDerBitString, contents);
}

DerWriter& DerWriter::Utf8String(std::string_view v) { return Tlv(kDerUtf8String, AsBytes(v)); }

DerWriter& DerWriter::PrintableString(std::string_view v) {
  return Tlv(kDerPrintableString, AsBytes(v));
}

DerWriter& DerWriter::Ia5String(std::string_view v) { return Tlv(kDerIa5String, AsBytes(v)); }

DerWriter& DerWriter::Oid(std::string_view dotted) {
  auto enc = EncodeOid(dotted);
  TEECLOUD_CHECK(enc.has_value());
  return Tlv(kDerOid, *enc);
}

DerWriter& DerWriter::Tlv(uint8_t tag, ByteView contents) {
  TEECLOUD_CHECK((tag & 0x1f) != 0x1f);
  AppendTlv(out_, tag, contents);
  return *this;
}

DerWriter& DerWriter::Raw(ByteView tlv) {
  out_.insert(out_.end(), tlv.begin(), tlv.end());
  return *this;
}

DerWriter& DerWriter::Wrap(uint8_t tag, const DerWriter& inner) {
  if (&inner == this) {  // w.Sequence(w): wrap a copy, the buffer is about to grow
    const Bytes contents = out_;
    out_.clear();
    return Tlv(tag, contents);
  }
  return Tlv(tag, inner.out_);
}

DerWriter& DerWriter::Sequence(const DerWriter& inner) { return Wrap(kDerSequence, inner); }

DerWriter& DerWriter::Set(const DerWriter& inner) { return Wrap(kDerSet, inner); }

DerWriter& DerWriter::ContextExplicit(uint8_t n, const DerWriter& inner) {
  TEECLOUD_CHECK(n < 31);
  return Wrap(static_cast<uint8_t>(0xa0 | n), inner);
}

DerWriter& DerWriter::ContextImplicit(uint8_t n, ByteView contents) {
  TEECLOUD_CHECK(n < 31);
  return Tlv(static_cast<uint8_t>(0x80 | n), contents);
}

Bytes DerWriter::Finish() {
  Bytes out = std::move(out_);
  out_.clear();
  return out;
}

}  // namespace teecloud::crypto
