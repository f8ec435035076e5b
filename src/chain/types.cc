#include "chain/types.h"

#include <algorithm>
#include <cctype>

#include "crypto/hash.h"

namespace teecloud::chain {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view StripPrefix(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  return s;
}

// Parses exactly 2*N hex digits (after an optional 0x) into an array.
template <size_t N>
Result<std::array<uint8_t, N>> ParseFixedHex(std::string_view text, std::string_view what) {
  std::string_view s = StripPrefix(text);
  if (s.size() != 2 * N) {
    return InvalidArgument(std::string(what) + ": expected 0x and " + std::to_string(2 * N) +
                           " hex digits");
  }
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) {
    int hi = HexDigit(s[2 * i]);
    int lo = HexDigit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument(std::string(what) + ": not hex");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

// Divides a big-endian 256-bit integer by 10 in place; returns the remainder.
int DivMod10(U256& v) {
  int rem = 0;
  for (uint8_t& b : v) {
    int cur = rem * 256 + b;
    b = static_cast<uint8_t>(cur / 10);
    rem = cur % 10;
  }
  return rem;
}

}  // namespace

Result<Address> ParseAddress(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return InvalidArgument("address: expected 0x and 40 hex digits");
  }
  ASSIGN_OR_RETURN(Address a, ParseFixedHex<20>(text, "address"));
  std::string_view digits = text.substr(2);
  bool has_lower =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'a' && c <= 'f'; });
  bool has_upper =
      std::any_of(digits.begin(), digits.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  if (has_lower && has_upper && ChecksumAddress(a).substr(2) != digits) {
    return InvalidArgument("address: bad EIP-55 checksum (mixed case that does not match)");
  }
  return a;
}

std::string ChecksumAddress(const Address& a) {
  std::string lower = ToHex(View(a));
  crypto::Digest256 h = crypto::Keccak256(AsBytes(lower));
  std::string out = "0x";
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    int nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
    if (c >= 'a' && c <= 'f' && nibble >= 8) c = static_cast<char>(c - 'a' + 'A');
    out += c;
  }
  return out;
}

Result<Hash32> ParseHash32(std::string_view text) { return ParseFixedHex<32>(text, "hash"); }

Result<Address> AddressFromBytes(ByteView b) {
  if (b.size() != 20) return InvalidArgument("address: expected 20 bytes");
  Address a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

Result<Hash32> Hash32FromBytes(ByteView b) {
  if (b.size() != 32) return InvalidArgument("hash: expected 32 bytes");
  Hash32 h{};
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

std::string HexData(ByteView b) { return "0x" + ToHex(b); }

Result<Bytes> ParseHexData(std::string_view text) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return InvalidArgument("hex data: missing 0x prefix");
  }
  std::string_view s = text.substr(2);
  if (s.size() % 2 != 0) return InvalidArgument("hex data: odd number of digits");
  Bytes out(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexDigit(s[2 * i]);
    int lo = HexDigit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("hex data: not hex");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string QuantityHex(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (v == 0) return "0x0";
  std::string digits;
  while (v != 0) {
    digits += kDigits[v & 0xf];
    v >>= 4;
  }
  std::reverse(digits.begin(), digits.end());
  return "0x" + digits;
}

std::string QuantityHex(const U256& v) {
  std::string hex = ToHex(ByteView(v.data(), v.size()));
  size_t first = hex.find_first_not_of('0');
  if (first == std::string::npos) return "0x0";
  return "0x" + hex.substr(first);
}

Result<uint64_t> ParseQuantity(std::string_view text) {
  ASSIGN_OR_RETURN(U256 v, ParseQuantity256(text));
  auto r = U256ToUint64(v);
  if (!r) return OutOfRange("quantity: does not fit in 64 bits");
  return *r;
}

Result<U256> ParseQuantity256(std::string_view text) {
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return InvalidArgument("quantity: expected 0x and hex digits");
  }
  std::string_view s = text.substr(2);
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s.size() > 64) return OutOfRange("quantity: more than 256 bits");
  U256 out{};
  // Fill from the least significant nibble.
  for (size_t i = 0; i < s.size(); ++i) {
    int d = HexDigit(s[s.size() - 1 - i]);
    if (d < 0) return InvalidArgument("quantity: not hex");
    uint8_t& byte = out[31 - i / 2];
    byte = static_cast<uint8_t>(byte | (i % 2 == 0 ? d : d << 4));
  }
  return out;
}

U256 U256FromUint64(uint64_t v) {
  U256 out{};
  for (int i = 0; i < 8; ++i) out[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

Result<uint64_t> U256ToUint64(const U256& v) {
  for (int i = 0; i < 24; ++i) {
    if (v[i] != 0) return OutOfRange("value does not fit in 64 bits");
  }
  uint64_t out = 0;
  for (int i = 24; i < 32; ++i) out = out << 8 | v[i];
  return out;
}

std::string U256ToDecimal(const U256& v) {
  U256 cur = v;
  std::string digits;
  while (!IsAllZero(ByteView(cur.data(), cur.size())))
    digits += static_cast<char>('0' + DivMod10(cur));
  if (digits.empty()) return "0";
  std::reverse(digits.begin(), digits.end());
  return digits;
}

Result<U256> ParseU256Decimal(std::string_view text) {
  if (text.empty() || text.size() > 78)
    return InvalidArgument("integer: expected 1..78 decimal digits");
  U256 out{};
  for (char c : text) {
    if (c < '0' || c > '9') return InvalidArgument("integer: not a decimal number");
    // out = out * 10 + digit, detecting overflow past 256 bits.
    int carry = c - '0';
    for (int i = 31; i >= 0; --i) {
      int cur = out[i] * 10 + carry;
      out[i] = static_cast<uint8_t>(cur & 0xff);
      carry = cur >> 8;
    }
    if (carry != 0) return OutOfRange("integer: does not fit in 256 bits");
  }
  return out;
}

std::string BlockRef::ToRpc() const {
  switch (kind) {
    case Kind::kLatest:
      return "latest";
    case Kind::kFinalized:
      return "finalized";
    case Kind::kSafe:
      return "safe";
    case Kind::kPending:
      return "pending";
    case Kind::kEarliest:
      return "earliest";
    case Kind::kNumber:
      return QuantityHex(number);
  }
  return "latest";
}

Result<BlockRef> ParseBlockRef(std::string_view text) {
  if (text == "latest") return BlockRef::Latest();
  if (text == "finalized") return BlockRef::Finalized();
  if (text == "safe") return BlockRef::Safe();
  if (text == "pending") return BlockRef::Pending();
  if (text == "earliest") return BlockRef::Earliest();
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    ASSIGN_OR_RETURN(uint64_t n, ParseQuantity(text));
    return BlockRef::Number(n);
  }
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgument(
        "block: expected latest, finalized, safe, pending, earliest or a number");
  }
  uint64_t n = 0;
  for (char c : text) n = n * 10 + static_cast<uint64_t>(c - '0');
  return BlockRef::Number(n);
}

}  // namespace teecloud::chain
