// Solidity contract ABI encoding (ABI spec v2, "Formal Specification of the Encoding").
//
// AbiType is parsed from canonical type strings ("uint256", "(address,bytes32)[]", ...).
// AbiValue is a plain value tree; decoding is a pure, bounds-checked function over untrusted
// bytes: offsets and lengths must lie inside the data, dirty high bits are rejected, nesting
// is capped and overlapping offsets cannot amplify the work beyond the input size.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::chain {

// A 32-byte big-endian word (uint/int values; ints in two's complement).
using AbiWord = std::array<uint8_t, 32>;

// Types nest at most this deep ("uint256[][]" is depth 3).
inline constexpr int kAbiMaxDepth = 32;

struct AbiType {
  enum class Kind {
    kUint,  // bits
    kInt,   // bits
    kAddress,
    kBool,
    kFixedBytes,  // size = N of bytesN
    kBytes,
    kString,
    kArray,       // T[]: children[0] = T
    kFixedArray,  // T[k]: children[0] = T, size = k
    kTuple,       // (T1,...,Tn): children
  };
  Kind kind = Kind::kUint;
  int bits = 256;
  size_t size = 0;
  std::vector<AbiType> children;

  // Canonical form used in signatures ("uint" becomes "uint256").
  std::string ToString() const;
  bool IsDynamic() const;
  // Bytes this type occupies in the head of an enclosing tuple.
  size_t HeadSize() const;

  friend bool operator==(const AbiType&, const AbiType&) = default;
};

// Parses one type. Supports uint<M>, int<M>, uint, int, address, bool, bytes<M>, bytes,
// string, T[], T[k] and tuples "(T1,...,Tn)".
Result<AbiType> ParseAbiType(std::string_view s);
// Parses a comma-separated list "uint256,(bool,bytes)[]" ("" is the empty list).
Result<std::vector<AbiType>> ParseAbiTypeList(std::string_view s);

struct AbiValue {
  // Word: uint/int (and address on encode); bool; Bytes: address (20 bytes), bytesN, bytes;
  // string; list: T[], T[k] and tuples.
  std::variant<AbiWord, bool, Bytes, std::string, std::vector<AbiValue>> value;

  friend bool operator==(const AbiValue&, const AbiValue&) = default;
};

AbiValue AbiUint(uint64_t v);
AbiValue AbiInt(int64_t v);  // sign-extended to 256 bits
AbiValue AbiWordValue(const AbiWord& w);
// Up to 64 hex digits, optional 0x prefix, as an unsigned 256-bit integer.
Result<AbiValue> AbiUintFromHex(std::string_view hex);
AbiValue AbiBool(bool v);
AbiValue AbiBytes(ByteView b);  // also address (20 bytes) and bytesN (N bytes)
AbiValue AbiString(std::string_view s);
AbiValue AbiList(std::vector<AbiValue> items);

// Accessors for decoded values; fail on the wrong kind or an out-of-range integer.
Result<uint64_t> AbiToUint64(const AbiValue& v);
Result<int64_t> AbiToInt64(const AbiValue& v);
Result<AbiWord> AbiToWord(const AbiValue& v);
Result<bool> AbiToBool(const AbiValue& v);
Result<Bytes> AbiToBytes(const AbiValue& v);
Result<std::string> AbiToString(const AbiValue& v);
Result<std::vector<AbiValue>> AbiToList(const AbiValue& v);

// Encodes values as the tuple (types...). Fails if a value does not fit its type.
Result<Bytes> AbiEncode(const std::vector<AbiType>& types, const std::vector<AbiValue>& values);
// Decodes `data` as the tuple (types...). Trailing bytes after the encoding are allowed (as in
// Solidity); everything referenced must lie inside `data`.
Result<std::vector<AbiValue>> AbiDecode(const std::vector<AbiType>& types, ByteView data);

// First 4 bytes of Keccak-256 of the signature, e.g. "transfer(address,uint256)".
std::array<uint8_t, 4> FunctionSelector(std::string_view signature);
// "name(type,...)" + values -> selector of the canonical signature followed by the arguments.
Result<Bytes> EncodeCall(std::string_view signature, const std::vector<AbiValue>& args);
// Revert data: Error(string) yields the message, Panic(uint256) yields "panic 0x11".
// Empty data is kNotFound; any other selector is kInvalidArgument.
Result<std::string> DecodeRevertReason(ByteView data);

}  // namespace teecloud::chain
