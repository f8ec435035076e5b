// Byte containers and bounds-checked readers/writers.
//
// ByteReader never reads past its view: every read checks first and returns an error naming
// the field, so parsers over untrusted input cannot over-read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace teecloud {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsStringView(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline Bytes ToBytes(ByteView b) { return Bytes(b.begin(), b.end()); }
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
bool BytesEqual(ByteView a, ByteView b);
// Constant-time comparison for secrets and MACs (length leaks, content doesn't).
bool ConstantTimeEqual(ByteView a, ByteView b);
bool IsAllZero(ByteView b);
Bytes Concat(std::initializer_list<ByteView> parts);

// Reads little-endian integers and byte ranges from a view, bounds-checked.
class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return data_.size() - offset_; }
  bool empty() const { return remaining() == 0; }

  // `what` names the field in the error ("quote header: version").
  Result<uint8_t> U8(std::string_view what);
  Result<uint16_t> U16Le(std::string_view what);
  Result<uint32_t> U32Le(std::string_view what);
  Result<uint64_t> U64Le(std::string_view what);
  Result<uint16_t> U16Be(std::string_view what);
  Result<uint32_t> U32Be(std::string_view what);
  // A view of the next n bytes (no copy), advancing past them.
  Result<ByteView> Take(size_t n, std::string_view what);
  Status Skip(size_t n, std::string_view what);
  // The rest of the view, advancing to the end.
  ByteView TakeRest();

 private:
  Status Need(size_t n, std::string_view what) const;
  ByteView data_;
  size_t offset_ = 0;
};

// Appends integers and bytes to a growing buffer.
class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U16Le(uint16_t v);
  void U32Le(uint32_t v);
  void U64Le(uint64_t v);
  void U16Be(uint16_t v);
  void U32Be(uint32_t v);
  void Append(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Lower-case hex without a prefix.
std::string ToHex(ByteView b);
// Accepts upper/lower case, an optional "0x"/"0X" prefix and surrounding whitespace.
Result<Bytes> FromHex(std::string_view hex);
// Standard alphabet with padding.
std::string Base64Encode(ByteView b);
// Accepts standard and URL-safe alphabets, padding optional, whitespace ignored.
Result<Bytes> Base64Decode(std::string_view b64);

}  // namespace teecloud
