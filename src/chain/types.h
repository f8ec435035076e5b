// Ethereum value types shared by the client: addresses, 32-byte hashes and words, JSON-RPC
// quantities and block references. Pure functions; parsers take untrusted text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::chain {

using Address = std::array<uint8_t, 20>;
// Keccak-256 digests, transaction / block hashes, bytes32 values.
using Hash32 = std::array<uint8_t, 32>;
// An unsigned 256-bit integer, big-endian (same layout as AbiWord).
using U256 = std::array<uint8_t, 32>;

inline ByteView View(const Address& a) { return ByteView(a.data(), a.size()); }
inline ByteView View(const Hash32& h) { return ByteView(h.data(), h.size()); }

// "0x" + 40 hex digits. All-lower and all-upper case are accepted as they are; mixed case must
// be a valid EIP-55 checksum (a typo in a checksummed address is caught).
Result<Address> ParseAddress(std::string_view text);
// EIP-55 mixed-case checksum form, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed".
std::string ChecksumAddress(const Address& a);
// "0x" + 64 hex digits (the prefix is optional).
Result<Hash32> ParseHash32(std::string_view text);
// 20 / 32 bytes from a byte string of exactly that size.
Result<Address> AddressFromBytes(ByteView b);
Result<Hash32> Hash32FromBytes(ByteView b);

// "0x" + lower-case hex of the bytes ("0x" for none).
std::string HexData(ByteView b);
template <size_t N>
std::string HexData(const std::array<uint8_t, N>& a) {
  return HexData(ByteView(a.data(), a.size()));
}
// JSON-RPC DATA: "0x" + an even number of hex digits.
Result<Bytes> ParseHexData(std::string_view text);

// JSON-RPC QUANTITY: "0x" + hex without leading zeros ("0x0" for zero).
std::string QuantityHex(uint64_t v);
std::string QuantityHex(const U256& v);
// Accepts "0x" + 1..16 (resp. 64) hex digits; leading zeros are tolerated (some nodes send them).
Result<uint64_t> ParseQuantity(std::string_view text);
Result<U256> ParseQuantity256(std::string_view text);

U256 U256FromUint64(uint64_t v);
// Fails (kOutOfRange) when the value does not fit.
Result<uint64_t> U256ToUint64(const U256& v);
// Decimal text of an unsigned 256-bit integer, and its parser (digits only, < 2^256).
std::string U256ToDecimal(const U256& v);
Result<U256> ParseU256Decimal(std::string_view text);

// A block for state queries: a tag ("latest", "finalized", "safe", "pending", "earliest") or a
// number.
struct BlockRef {
  enum class Kind { kLatest, kFinalized, kSafe, kPending, kEarliest, kNumber };
  Kind kind = Kind::kLatest;
  uint64_t number = 0;  // kNumber only

  static BlockRef Latest() { return {Kind::kLatest, 0}; }
  static BlockRef Finalized() { return {Kind::kFinalized, 0}; }
  static BlockRef Safe() { return {Kind::kSafe, 0}; }
  static BlockRef Pending() { return {Kind::kPending, 0}; }
  static BlockRef Earliest() { return {Kind::kEarliest, 0}; }
  static BlockRef Number(uint64_t n) { return {Kind::kNumber, n}; }

  // JSON-RPC form: "latest", ..., or a QUANTITY.
  std::string ToRpc() const;
  friend bool operator==(const BlockRef&, const BlockRef&) = default;
};

// "latest" | "finalized" | "safe" | "pending" | "earliest" | decimal | 0x-hex number.
Result<BlockRef> ParseBlockRef(std::string_view text);

}  // namespace teecloud::chain
