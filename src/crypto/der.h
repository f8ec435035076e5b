// A minimal, bounds-checked DER reader (pure code, no OpenSSL) for parsing vendor extensions
// such as Intel's SGX PCK extension (OID 1.2.840.113741.1.13.1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::crypto {

struct DerElement {
  uint8_t tag = 0;        // identifier octet (low-tag-number form only)
  ByteView contents;      // contents octets
  ByteView encoded;       // full TLV
};

class DerReader {
 public:
  explicit DerReader(ByteView data) : data_(data) {}
  bool empty() const { return offset_ >= data_.size(); }
  // Reads the next TLV. Rejects indefinite lengths, non-minimal long lengths, and lengths past
  // the end of the input.
  Result<DerElement> Next();
  // Reads the next TLV and checks its tag.
  Result<DerElement> Expect(uint8_t tag, std::string_view what);

 private:
  ByteView data_;
  size_t offset_ = 0;
};

inline constexpr uint8_t kDerInteger = 0x02;
inline constexpr uint8_t kDerOctetString = 0x04;
inline constexpr uint8_t kDerOid = 0x06;
inline constexpr uint8_t kDerEnumerated = 0x0a;
inline constexpr uint8_t kDerSequence = 0x30;

// Dotted-decimal form of an OID's contents octets ("1.2.840.113741.1.13.1.2").
Result<std::string> DecodeOid(ByteView contents);
// Non-negative INTEGER contents that fit in 64 bits.
Result<uint64_t> DecodeUint(ByteView contents);

}  // namespace teecloud::crypto
