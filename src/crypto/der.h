// A minimal, bounds-checked DER reader (pure code, no OpenSSL) for parsing vendor extensions
// such as Intel's SGX PCK extension (OID 1.2.840.113741.1.13.1), and a matching writer for
// building them (simulation PKI, RA-TLS extensions).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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

inline constexpr uint8_t kDerBoolean = 0x01;
inline constexpr uint8_t kDerInteger = 0x02;
inline constexpr uint8_t kDerBitString = 0x03;
inline constexpr uint8_t kDerOctetString = 0x04;
inline constexpr uint8_t kDerNull = 0x05;
inline constexpr uint8_t kDerOid = 0x06;
inline constexpr uint8_t kDerEnumerated = 0x0a;
inline constexpr uint8_t kDerUtf8String = 0x0c;
inline constexpr uint8_t kDerPrintableString = 0x13;
inline constexpr uint8_t kDerIa5String = 0x16;
inline constexpr uint8_t kDerSequence = 0x30;
inline constexpr uint8_t kDerSet = 0x31;

// Dotted-decimal form of an OID's contents octets ("1.2.840.113741.1.13.1.2").
Result<std::string> DecodeOid(ByteView contents);
// Non-negative INTEGER contents that fit in 64 bits.
Result<uint64_t> DecodeUint(ByteView contents);

// Contents octets of an OBJECT IDENTIFIER in dotted form (X.690 §8.19). Rejects fewer than two
// arcs, a first arc above 2, a second arc above 39 under arcs 0/1, empty or non-decimal arcs, and
// arcs beyond 64 bits.
Result<Bytes> EncodeOid(std::string_view dotted);

// Appends DER TLVs (X.690 §10: definite minimal lengths) to a buffer. Methods return *this so
// calls chain:
//   DerWriter inner; inner.Oid("1.2.840.113741.1.13.1.4").OctetString(fmspc);
//   DerWriter seq;   seq.Sequence(inner);
// The writer only encodes; it does not check that a structure matches some ASN.1 module. Not
// thread-safe (a value type).
class DerWriter {
 public:
  // INTEGER from a non-negative big-endian magnitude: leading zero bytes are stripped and a
  // 0x00 is prepended when the top bit is set; an empty magnitude encodes 0.
  DerWriter& Integer(ByteView magnitude);
  DerWriter& Uint(uint64_t v);
  DerWriter& Enumerated(uint64_t v);
  DerWriter& Boolean(bool v);  // 0xff / 0x00 (X.690 §11.1)
  DerWriter& Null();
  DerWriter& OctetString(ByteView v);
  // BIT STRING with `unused_bits` (0..7) unused bits in the last octet.
  DerWriter& BitString(ByteView v, uint8_t unused_bits = 0);
  DerWriter& Utf8String(std::string_view v);
  DerWriter& PrintableString(std::string_view v);
  DerWriter& Ia5String(std::string_view v);
  // OBJECT IDENTIFIER from its dotted form. Meant for compile-time constants: a malformed OID is
  // a programming error and aborts (TEECLOUD_CHECK). Encode OIDs from untrusted or
  // configurable input with EncodeOid and write them with Tlv(kDerOid, ...).
  DerWriter& Oid(std::string_view dotted);
  // Any TLV with `tag` (low-tag-number form) and these contents.
  DerWriter& Tlv(uint8_t tag, ByteView contents);
  // A complete, already encoded TLV (or several), appended as is.
  DerWriter& Raw(ByteView tlv);
  // Appends `inner`'s bytes wrapped in a SEQUENCE / SET. `w.Sequence(w)` replaces w's contents
  // by one SEQUENCE holding them.
  DerWriter& Sequence(const DerWriter& inner);
  DerWriter& Set(const DerWriter& inner);  // contents as given (DER SET OF needs sorted input)
  // [n] EXPLICIT inner (constructed context-specific tag 0xa0 | n, n < 31).
  DerWriter& ContextExplicit(uint8_t n, const DerWriter& inner);
  // [n] IMPLICIT primitive (tag 0x80 | n, n < 31) with these contents.
  DerWriter& ContextImplicit(uint8_t n, ByteView contents);

  const Bytes& bytes() const { return out_; }
  bool empty() const { return out_.empty(); }
  // Moves the encoding out; the writer is empty afterwards.
  Bytes Finish();

 private:
  DerWriter& Wrap(uint8_t tag, const DerWriter& inner);
  Bytes out_;
};

}  // namespace teecloud::crypto
