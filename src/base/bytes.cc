#include "base/bytes.h"

#include <cctype>
#include <cstring>

namespace teecloud {

bool BytesEqual(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  volatile uint8_t acc = 0;
  for (size_t i = 0; i < a.size(); ++i) acc = acc | static_cast<uint8_t>(a[i] ^ b[i]);
  return acc == 0;
}

bool IsAllZero(ByteView b) {
  uint8_t acc = 0;
  for (uint8_t c : b) acc |= c;
  return acc == 0;
}

Bytes Concat(std::initializer_list<ByteView> parts) {
  size_t n = 0;
  for (auto p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Status ByteReader::Need(size_t n, std::string_view what) const {
  if (n > remaining()) {
    return OutOfRange(std::string(what) + ": needs " + std::to_string(n) + " bytes at offset " +
                      std::to_string(offset_) + ", only " + std::to_string(remaining()) +
                      " remain");
  }
  return OkStatus();
}

Result<uint8_t> ByteReader::U8(std::string_view what) {
  RETURN_IF_ERROR(Need(1, what));
  return data_[offset_++];
}

Result<uint16_t> ByteReader::U16Le(std::string_view what) {
  RETURN_IF_ERROR(Need(2, what));
  uint16_t v = static_cast<uint16_t>(data_[offset_] | (data_[offset_ + 1] << 8));
  offset_ += 2;
  return v;
}

Result<uint32_t> ByteReader::U32Le(std::string_view what) {
  RETURN_IF_ERROR(Need(4, what));
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | data_[offset_ + i];
  offset_ += 4;
  return v;
}

Result<uint64_t> ByteReader::U64Le(std::string_view what) {
  RETURN_IF_ERROR(Need(8, what));
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | data_[offset_ + i];
  offset_ += 8;
  return v;
}

Result<uint16_t> ByteReader::U16Be(std::string_view what) {
  RETURN_IF_ERROR(Need(2, what));
  uint16_t v = static_cast<uint16_t>((data_[offset_] << 8) | data_[offset_ + 1]);
  offset_ += 2;
  return v;
}

Result<uint32_t> ByteReader::U32Be(std::string_view what) {
  RETURN_IF_ERROR(Need(4, what));
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | data_[offset_ + i];
  offset_ += 4;
  return v;
}

Result<ByteView> ByteReader::Take(size_t n, std::string_view what) {
  RETURN_IF_ERROR(Need(n, what));
  ByteView v = data_.subspan(offset_, n);
  offset_ += n;
  return v;
}

Status ByteReader::Skip(size_t n, std::string_view what) {
  RETURN_IF_ERROR(Need(n, what));
  offset_ += n;
  return OkStatus();
}

ByteView ByteReader::TakeRest() {
  ByteView v = data_.subspan(offset_);
  offset_ = data_.size();
  return v;
}

void ByteWriter::U16Le(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v));
  out_.push_back(static_cast<uint8_t>(v >> 8));
}
void ByteWriter::U32Le(uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void ByteWriter::U64Le(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void ByteWriter::U16Be(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}
void ByteWriter::U32Be(uint32_t v) {
  for (int i = 3; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

std::string ToHex(ByteView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(b.size() * 2);
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 0xf];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
}  // namespace

Result<Bytes> FromHex(std::string_view hex) {
  hex = TrimSpace(hex);
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.size() % 2 != 0) return InvalidArgument("hex: odd number of digits");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument("hex: invalid digit at position " + std::to_string(2 * i));
    }
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string Base64Encode(ByteView b) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((b.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (b.size() - i == 1) {
    uint32_t v = b[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (b.size() - i == 2) {
    uint32_t v = (b[i] << 16) | (b[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

Result<Bytes> Base64Decode(std::string_view s) {
  Bytes out;
  out.reserve(s.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == '=') { ++pad; continue; }
    else if (std::isspace(static_cast<unsigned char>(c))) continue;
    else return InvalidArgument("base64: invalid character at position " + std::to_string(i));
    if (pad > 0) return InvalidArgument("base64: data after padding");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  if (bits >= 6 || pad > 2) return InvalidArgument("base64: truncated input");
  return out;
}

}  // namespace teecloud
