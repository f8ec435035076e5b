#include "chain/abi.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "crypto/hash.h"

namespace teecloud::chain {
namespace {

using Kind = AbiType::Kind;

// Parser limits: fixed array lengths and static head sizes beyond these are not real ABIs and
// would only serve to overflow size arithmetic.
constexpr size_t kMaxFixedArrayLength = size_t{1} << 20;
constexpr size_t kMaxStaticSize = size_t{1} << 26;

size_t SatAdd(size_t a, size_t b) {
  return a > std::numeric_limits<size_t>::max() - b ? std::numeric_limits<size_t>::max() : a + b;
}
size_t SatMul(size_t a, size_t b) {
  if (a != 0 && b > std::numeric_limits<size_t>::max() / a) {
    return std::numeric_limits<size_t>::max();
  }
  return a * b;
}

// ---------------------------------------------------------------------------------------------
// Type parsing.

class TypeParser {
 public:
  explicit TypeParser(std::string_view s) : s_(s) {}

  bool AtEnd() const { return pos_ == s_.size(); }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  size_t pos() const { return pos_; }

  Result<AbiType> ParseType(int depth) {
    if (depth > kAbiMaxDepth) return Fail("nesting deeper than 32");
    AbiType t;
    if (Consume('(')) {
      ASSIGN_OR_RETURN(t.children, ParseList(depth + 1));
      if (!Consume(')')) return Fail("expected ')'");
      if (t.children.empty()) return Fail("empty tuple");
      t.kind = Kind::kTuple;
      if (!t.IsDynamic() && t.HeadSize() > kMaxStaticSize) return Fail("static size too large");
    } else {
      ASSIGN_OR_RETURN(t, ParseElementary());
    }
    while (Consume('[')) {
      if (++depth > kAbiMaxDepth) return Fail("nesting deeper than 32");
      AbiType arr;
      arr.children.push_back(std::move(t));
      if (Consume(']')) {
        arr.kind = Kind::kArray;
      } else {
        size_t k = 0;
        size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
          k = k * 10 + static_cast<size_t>(s_[pos_] - '0');
          if (k > kMaxFixedArrayLength) return Fail("fixed array too long");
          ++pos_;
        }
        if (pos_ == start) return Fail("expected array length");
        if (s_[start] == '0') return Fail("array length 0 or with leading zero");
        if (!Consume(']')) return Fail("expected ']'");
        arr.kind = Kind::kFixedArray;
        arr.size = k;
        if (!arr.IsDynamic() && arr.HeadSize() > kMaxStaticSize) {
          return Fail("static size too large");
        }
      }
      t = std::move(arr);
    }
    return t;
  }

  // Comma-separated types up to (not including) ')' or the end; may be empty.
  Result<std::vector<AbiType>> ParseList(int depth) {
    std::vector<AbiType> out;
    if (AtEnd() || s_[pos_] == ')') return out;
    while (true) {
      ASSIGN_OR_RETURN(AbiType t, ParseType(depth));
      out.push_back(std::move(t));
      if (!Consume(',')) return out;
    }
  }

  tl::unexpected<Error> Fail(std::string_view why) const {
    return InvalidArgument("abi type \"" + std::string(s_) + "\" at " + std::to_string(pos_) +
                           ": " + std::string(why));
  }

 private:
  Result<AbiType> ParseElementary() {
    size_t start = pos_;
    while (pos_ < s_.size() &&
           ((s_[pos_] >= 'a' && s_[pos_] <= 'z') || (s_[pos_] >= '0' && s_[pos_] <= '9'))) {
      ++pos_;
    }
    std::string_view name = s_.substr(start, pos_ - start);
    AbiType t;
    auto suffix_number = [](std::string_view digits, int& out) {
      if (digits.empty() || digits.size() > 3 || digits[0] == '0') return false;
      out = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
      }
      return true;
    };
    if (name == "address") {
      t.kind = Kind::kAddress;
    } else if (name == "bool") {
      t.kind = Kind::kBool;
    } else if (name == "string") {
      t.kind = Kind::kString;
    } else if (name == "bytes") {
      t.kind = Kind::kBytes;
    } else if (name == "uint" || name == "int") {
      t.kind = name == "uint" ? Kind::kUint : Kind::kInt;
      t.bits = 256;
    } else if (name.starts_with("uint") || name.starts_with("int")) {
      bool is_uint = name.starts_with("uint");
      int bits = 0;
      if (!suffix_number(name.substr(is_uint ? 4 : 3), bits) || bits % 8 != 0 || bits > 256) {
        pos_ = start;
        return Fail("bad integer width");
      }
      t.kind = is_uint ? Kind::kUint : Kind::kInt;
      t.bits = bits;
    } else if (name.starts_with("bytes")) {
      int n = 0;
      if (!suffix_number(name.substr(5), n) || n > 32) {
        pos_ = start;
        return Fail("bad bytesN size");
      }
      t.kind = Kind::kFixedBytes;
      t.size = static_cast<size_t>(n);
    } else {
      pos_ = start;
      return Fail(name.empty() ? "expected a type" : "unsupported type");
    }
    return t;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Encoding.

AbiWord WordFromUint64(uint64_t v) {
  AbiWord w{};
  for (int i = 0; i < 8; ++i) w[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return w;
}

void AppendWord(const AbiWord& w, Bytes& out) { out.insert(out.end(), w.begin(), w.end()); }

size_t PaddedLength(size_t n) { return n + (32 - n % 32) % 32; }

void AppendPadded(ByteView b, Bytes& out) {
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), PaddedLength(b.size()) - b.size(), 0);
}

// True if w is a valid uint<bits>: everything above the low bits/8 bytes is zero.
bool FitsUint(const AbiWord& w, int bits) {
  size_t high = 32 - static_cast<size_t>(bits) / 8;
  return std::all_of(w.begin(), w.begin() + high, [](uint8_t b) { return b == 0; });
}

// True if w is the sign extension of an int<bits>.
bool FitsInt(const AbiWord& w, int bits) {
  size_t high = 32 - static_cast<size_t>(bits) / 8;
  uint8_t fill = (w[high] & 0x80) ? 0xff : 0x00;
  return std::all_of(w.begin(), w.begin() + high, [fill](uint8_t b) { return b == fill; });
}

tl::unexpected<Error> Mismatch(const AbiType& t, std::string_view why) {
  return InvalidArgument("abi encode " + t.ToString() + ": " + std::string(why));
}

template <typename T>
const T* Get(const AbiValue& v) {
  return std::get_if<T>(&v.value);
}

Result<Bytes> EncodeValue(const AbiType& t, const AbiValue& v, int depth);

// Head/tail encoding of a sequence (tuple components or array elements).
template <typename TypeAt>
Result<Bytes> EncodeSeq(size_t n, TypeAt type_at, const std::vector<AbiValue>& values, int depth) {
  size_t head_size = 0;
  for (size_t i = 0; i < n; ++i) head_size = SatAdd(head_size, type_at(i).HeadSize());
  Bytes head;
  Bytes tail;
  for (size_t i = 0; i < n; ++i) {
    const AbiType& t = type_at(i);
    ASSIGN_OR_RETURN(Bytes enc, EncodeValue(t, values[i], depth + 1));
    if (t.IsDynamic()) {
      AppendWord(WordFromUint64(head_size + tail.size()), head);
      tail.insert(tail.end(), enc.begin(), enc.end());
    } else {
      head.insert(head.end(), enc.begin(), enc.end());
    }
  }
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Result<Bytes> EncodeValue(const AbiType& t, const AbiValue& v, int depth) {
  if (depth > kAbiMaxDepth) return Mismatch(t, "nesting too deep");
  Bytes out;
  switch (t.kind) {
    case Kind::kUint:
    case Kind::kInt: {
      const AbiWord* w = Get<AbiWord>(v);
      if (w == nullptr) return Mismatch(t, "value is not an integer");
      bool fits = t.kind == Kind::kUint ? FitsUint(*w, t.bits) : FitsInt(*w, t.bits);
      if (!fits) return Mismatch(t, "integer out of range");
      AppendWord(*w, out);
      return out;
    }
    case Kind::kAddress: {
      AbiWord w{};
      if (const Bytes* b = Get<Bytes>(v); b != nullptr && b->size() == 20) {
        std::copy(b->begin(), b->end(), w.begin() + 12);
      } else if (const AbiWord* word = Get<AbiWord>(v); word != nullptr && FitsUint(*word, 160)) {
        w = *word;
      } else {
        return Mismatch(t, "value is not 20 bytes");
      }
      AppendWord(w, out);
      return out;
    }
    case Kind::kBool: {
      const bool* b = Get<bool>(v);
      if (b == nullptr) return Mismatch(t, "value is not a bool");
      AppendWord(WordFromUint64(*b ? 1 : 0), out);
      return out;
    }
    case Kind::kFixedBytes: {
      const Bytes* b = Get<Bytes>(v);
      if (b == nullptr || b->size() != t.size) {
        return Mismatch(t, "value is not " + std::to_string(t.size) + " bytes");
      }
      AppendPadded(*b, out);
      return out;
    }
    case Kind::kBytes:
    case Kind::kString: {
      ByteView data;
      if (const Bytes* b = Get<Bytes>(v); b != nullptr && t.kind == Kind::kBytes) {
        data = *b;
      } else if (const std::string* s = Get<std::string>(v);
                 s != nullptr && t.kind == Kind::kString) {
        data = AsBytes(*s);
      } else {
        return Mismatch(t, t.kind == Kind::kBytes ? "value is not bytes" : "value is not a string");
      }
      AppendWord(WordFromUint64(data.size()), out);
      AppendPadded(data, out);
      return out;
    }
    case Kind::kArray:
    case Kind::kFixedArray:
    case Kind::kTuple: {
      const auto* items = Get<std::vector<AbiValue>>(v);
      if (items == nullptr) return Mismatch(t, "value is not a list");
      size_t want = t.kind == Kind::kTuple ? t.children.size() : t.size;
      if (t.kind != Kind::kArray && items->size() != want) {
        return Mismatch(
            t, "expected " + std::to_string(want) + " items, got " + std::to_string(items->size()));
      }
      if (t.kind == Kind::kTuple) {
        return EncodeSeq(
            items->size(), [&](size_t i) -> const AbiType& { return t.children[i]; }, *items,
            depth);
      }
      ASSIGN_OR_RETURN(Bytes body,
                       EncodeSeq(
                           items->size(), [&](size_t) -> const AbiType& { return t.children[0]; },
                           *items, depth));
      if (t.kind == Kind::kArray) AppendWord(WordFromUint64(items->size()), out);
      out.insert(out.end(), body.begin(), body.end());
      return out;
    }
  }
  return Mismatch(t, "unknown type kind");
}

// ---------------------------------------------------------------------------------------------
// Decoding. `data` always starts where the value's encoding starts and extends to the end of
// the input, so offsets (relative to the start of the enclosing tuple) can be checked against it.

class Decoder {
 public:
  // Honest encodings charge disjoint regions, so they never exceed the input size; overlapping
  // offsets that would decode the same bytes many times run out of budget instead.
  explicit Decoder(size_t budget) : budget_(budget) {}

  Result<AbiValue> Value(const AbiType& t, ByteView data, int depth) {
    if (depth > kAbiMaxDepth) return Fail(t, "nesting too deep");
    switch (t.kind) {
      case Kind::kUint:
      case Kind::kInt: {
        ASSIGN_OR_RETURN(AbiWord w, Word(t, data, 0));
        bool fits = t.kind == Kind::kUint ? FitsUint(w, t.bits) : FitsInt(w, t.bits);
        if (!fits) return Fail(t, "integer out of range (dirty high bits)");
        return AbiValue{w};
      }
      case Kind::kAddress: {
        ASSIGN_OR_RETURN(AbiWord w, Word(t, data, 0));
        if (!FitsUint(w, 160)) return Fail(t, "address has non-zero high bytes");
        return AbiValue{Bytes(w.begin() + 12, w.end())};
      }
      case Kind::kBool: {
        ASSIGN_OR_RETURN(AbiWord w, Word(t, data, 0));
        if (!FitsUint(w, 8) || w[31] > 1) return Fail(t, "bool is not 0 or 1");
        return AbiValue{w[31] == 1};
      }
      case Kind::kFixedBytes: {
        ASSIGN_OR_RETURN(AbiWord w, Word(t, data, 0));
        if (!std::all_of(w.begin() + static_cast<ptrdiff_t>(t.size), w.end(),
                         [](uint8_t b) { return b == 0; })) {
          return Fail(t, "non-zero padding");
        }
        return AbiValue{Bytes(w.begin(), w.begin() + static_cast<ptrdiff_t>(t.size))};
      }
      case Kind::kBytes:
      case Kind::kString: {
        ASSIGN_OR_RETURN(AbiWord w, Word(t, data, 0));
        size_t room = data.size() - 32;
        ASSIGN_OR_RETURN(size_t len, ToSize(t, w, room, "length"));
        size_t padded = PaddedLength(len);
        if (padded > room) return Fail(t, "padding past the end of the data");
        RETURN_IF_ERROR(Charge(t, padded));
        ByteView body = data.subspan(32, len);
        ByteView padding = data.subspan(32 + len, padded - len);
        if (!IsAllZero(padding)) return Fail(t, "non-zero padding");
        if (t.kind == Kind::kBytes) return AbiValue{ToBytes(body)};
        return AbiValue{std::string(AsStringView(body))};
      }
      case Kind::kArray: {
        ASSIGN_OR_RETURN(AbiWord w, Word(t, data, 0));
        ByteView rest = data.subspan(32);
        const AbiType& elem = t.children[0];
        if (elem.HeadSize() == 0) return Fail(t, "zero-size element type");
        // Each element needs at least its head inside the data: bound k before any allocation.
        ASSIGN_OR_RETURN(size_t k, ToSize(t, w, rest.size() / elem.HeadSize(), "array length"));
        return Seq(
            t, k, [&](size_t) -> const AbiType& { return elem; }, rest, depth);
      }
      case Kind::kFixedArray:
        return Seq(
            t, t.size, [&](size_t) -> const AbiType& { return t.children[0]; }, data, depth);
      case Kind::kTuple:
        return Seq(
            t, t.children.size(), [&](size_t i) -> const AbiType& { return t.children[i]; }, data,
            depth);
    }
    return Fail(t, "unknown type kind");
  }

  template <typename TypeAt>
  Result<AbiValue> Seq(const AbiType& parent, size_t n, TypeAt type_at, ByteView data, int depth) {
    size_t head_size = 0;
    for (size_t i = 0; i < n; ++i) head_size = SatAdd(head_size, type_at(i).HeadSize());
    if (head_size > data.size()) return Fail(parent, "heads past the end of the data");
    std::vector<AbiValue> items;
    items.reserve(n);
    size_t pos = 0;
    for (size_t i = 0; i < n; ++i) {
      const AbiType& t = type_at(i);
      if (t.IsDynamic()) {
        ASSIGN_OR_RETURN(AbiWord w, Word(t, data, pos));
        ASSIGN_OR_RETURN(size_t offset, ToSize(t, w, data.size(), "offset"));
        ASSIGN_OR_RETURN(AbiValue v, Value(t, data.subspan(offset), depth + 1));
        items.push_back(std::move(v));
        pos += 32;
      } else {
        ASSIGN_OR_RETURN(AbiValue v, Value(t, data.subspan(pos), depth + 1));
        items.push_back(std::move(v));
        pos += t.HeadSize();
      }
    }
    return AbiValue{std::move(items)};
  }

 private:
  // Reads the word at data[pos] and charges 32 bytes of budget.
  Result<AbiWord> Word(const AbiType& t, ByteView data, size_t pos) {
    if (pos > data.size() || data.size() - pos < 32)
      return Fail(t, "word past the end of the data");
    RETURN_IF_ERROR(Charge(t, 32));
    AbiWord w;
    std::copy_n(data.begin() + static_cast<ptrdiff_t>(pos), 32, w.begin());
    return w;
  }

  // Interprets w as an unsigned integer no larger than `limit` (offsets, lengths).
  Result<size_t> ToSize(const AbiType& t, const AbiWord& w, size_t limit, std::string_view what) {
    if (!FitsUint(w, 64)) return Fail(t, std::string(what) + " too large");
    uint64_t v = 0;
    for (size_t i = 24; i < 32; ++i) v = (v << 8) | w[i];
    if (v > limit) return Fail(t, std::string(what) + " past the end of the data");
    return static_cast<size_t>(v);
  }

  Status Charge(const AbiType& t, size_t n) {
    if (n > budget_) return Fail(t, "encoding reuses data beyond the decode budget");
    budget_ -= n;
    return OkStatus();
  }

  static tl::unexpected<Error> Fail(const AbiType& t, std::string_view why) {
    return InvalidArgument("abi decode " + t.ToString() + ": " + std::string(why));
  }

  size_t budget_;
};

std::string HexMinimal(const AbiWord& w) {
  std::string hex = ToHex(ByteView(w.data(), w.size()));
  size_t nz = hex.find_first_not_of('0');
  if (nz == std::string::npos) return "00";
  hex = hex.substr(nz);
  if (hex.size() % 2 == 1) hex.insert(hex.begin(), '0');
  return hex;
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// AbiType.

std::string AbiType::ToString() const {
  switch (kind) {
    case Kind::kUint:
      return "uint" + std::to_string(bits);
    case Kind::kInt:
      return "int" + std::to_string(bits);
    case Kind::kAddress:
      return "address";
    case Kind::kBool:
      return "bool";
    case Kind::kFixedBytes:
      return "bytes" + std::to_string(size);
    case Kind::kBytes:
      return "bytes";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return children.empty() ? "?[]" : children[0].ToString() + "[]";
    case Kind::kFixedArray:
      return (children.empty() ? "?" : children[0].ToString()) + "[" + std::to_string(size) + "]";
    case Kind::kTuple: {
      std::string s = "(";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i > 0) s += ",";
        s += children[i].ToString();
      }
      return s + ")";
    }
  }
  return "?";
}

bool AbiType::IsDynamic() const {
  switch (kind) {
    case Kind::kBytes:
    case Kind::kString:
    case Kind::kArray:
      return true;
    case Kind::kFixedArray:
    case Kind::kTuple:
      return std::any_of(children.begin(), children.end(),
                         [](const AbiType& c) { return c.IsDynamic(); });
    default:
      return false;
  }
}

size_t AbiType::HeadSize() const {
  if (IsDynamic()) return 32;
  if (kind == Kind::kFixedArray) return children.empty() ? 0 : SatMul(size, children[0].HeadSize());
  if (kind == Kind::kTuple) {
    size_t total = 0;
    for (const AbiType& c : children) total = SatAdd(total, c.HeadSize());
    return total;
  }
  return 32;
}

Result<AbiType> ParseAbiType(std::string_view s) {
  TypeParser p(s);
  ASSIGN_OR_RETURN(AbiType t, p.ParseType(0));
  if (!p.AtEnd()) return p.Fail("unexpected trailing characters");
  return t;
}

Result<std::vector<AbiType>> ParseAbiTypeList(std::string_view s) {
  TypeParser p(s);
  ASSIGN_OR_RETURN(std::vector<AbiType> types, p.ParseList(1));
  if (!p.AtEnd()) return p.Fail("unexpected trailing characters");
  return types;
}

// -----------------------------------------------------------------------------------------------
// Values.

AbiValue AbiUint(uint64_t v) { return AbiValue{WordFromUint64(v)}; }

AbiValue AbiInt(int64_t v) {
  AbiWord w = WordFromUint64(static_cast<uint64_t>(v));
  if (v < 0) std::fill(w.begin(), w.begin() + 24, 0xff);
  return AbiValue{w};
}

AbiValue AbiWordValue(const AbiWord& w) { return AbiValue{w}; }

Result<AbiValue> AbiUintFromHex(std::string_view hex) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  if (hex.empty() || hex.size() > 64) return InvalidArgument("uint256 hex: 1 to 64 digits");
  std::string padded(hex.size() % 2, '0');
  padded += hex;
  ASSIGN_OR_RETURN(Bytes b, FromHex(padded));
  AbiWord w{};
  std::copy(b.begin(), b.end(), w.end() - static_cast<ptrdiff_t>(b.size()));
  return AbiValue{w};
}

AbiValue AbiBool(bool v) { return AbiValue{v}; }
AbiValue AbiBytes(ByteView b) { return AbiValue{ToBytes(b)}; }
AbiValue AbiString(std::string_view s) { return AbiValue{std::string(s)}; }
AbiValue AbiList(std::vector<AbiValue> items) { return AbiValue{std::move(items)}; }

Result<AbiWord> AbiToWord(const AbiValue& v) {
  if (const AbiWord* w = Get<AbiWord>(v)) return *w;
  return InvalidArgument("abi value is not an integer");
}

Result<uint64_t> AbiToUint64(const AbiValue& v) {
  ASSIGN_OR_RETURN(AbiWord w, AbiToWord(v));
  if (!FitsUint(w, 64)) return OutOfRange("abi integer does not fit in uint64");
  uint64_t x = 0;
  for (size_t i = 24; i < 32; ++i) x = (x << 8) | w[i];
  return x;
}

Result<int64_t> AbiToInt64(const AbiValue& v) {
  ASSIGN_OR_RETURN(AbiWord w, AbiToWord(v));
  if (!FitsInt(w, 64)) return OutOfRange("abi integer does not fit in int64");
  uint64_t x = 0;
  for (size_t i = 24; i < 32; ++i) x = (x << 8) | w[i];
  return static_cast<int64_t>(x);
}

Result<bool> AbiToBool(const AbiValue& v) {
  if (const bool* b = Get<bool>(v)) return *b;
  return InvalidArgument("abi value is not a bool");
}

Result<Bytes> AbiToBytes(const AbiValue& v) {
  if (const Bytes* b = Get<Bytes>(v)) return *b;
  return InvalidArgument("abi value is not bytes");
}

Result<std::string> AbiToString(const AbiValue& v) {
  if (const std::string* s = Get<std::string>(v)) return *s;
  return InvalidArgument("abi value is not a string");
}

Result<std::vector<AbiValue>> AbiToList(const AbiValue& v) {
  if (const auto* l = Get<std::vector<AbiValue>>(v)) return *l;
  return InvalidArgument("abi value is not a list");
}

// -----------------------------------------------------------------------------------------------
// Encode / decode.

Result<Bytes> AbiEncode(const std::vector<AbiType>& types, const std::vector<AbiValue>& values) {
  if (types.size() != values.size()) {
    return InvalidArgument("abi encode: " + std::to_string(types.size()) + " types but " +
                           std::to_string(values.size()) + " values");
  }
  return EncodeSeq(
      types.size(), [&](size_t i) -> const AbiType& { return types[i]; }, values, 0);
}

Result<std::vector<AbiValue>> AbiDecode(const std::vector<AbiType>& types, ByteView data) {
  Decoder d(data.size());
  AbiType tuple{.kind = Kind::kTuple, .bits = 0, .size = 0, .children = {}};
  ASSIGN_OR_RETURN(AbiValue v, d.Seq(
                                   tuple, types.size(),
                                   [&](size_t i) -> const AbiType& { return types[i]; }, data, 0));
  return std::get<std::vector<AbiValue>>(std::move(v.value));
}

std::array<uint8_t, 4> FunctionSelector(std::string_view signature) {
  crypto::Digest256 h = crypto::Keccak256(AsBytes(signature));
  return {h[0], h[1], h[2], h[3]};
}

Result<Bytes> EncodeCall(std::string_view signature, const std::vector<AbiValue>& args) {
  size_t open = signature.find('(');
  if (open == std::string_view::npos || open == 0 || !signature.ends_with(")")) {
    return InvalidArgument("abi signature \"" + std::string(signature) +
                           "\": expected name(type,...)");
  }
  std::string_view name = signature.substr(0, open);
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$';
    if (!ok)
      return InvalidArgument("abi signature: bad function name \"" + std::string(name) + "\"");
  }
  ASSIGN_OR_RETURN(std::vector<AbiType> types,
                   ParseAbiTypeList(signature.substr(open + 1, signature.size() - open - 2)));
  std::string canonical = std::string(name) + "(";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0) canonical += ",";
    canonical += types[i].ToString();
  }
  canonical += ")";
  ASSIGN_OR_RETURN(Bytes body, AbiEncode(types, args));
  std::array<uint8_t, 4> sel = FunctionSelector(canonical);
  Bytes out(sel.begin(), sel.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<std::string> DecodeRevertReason(ByteView data) {
  if (data.empty()) return NotFound("revert without data");
  if (data.size() < 4) return InvalidArgument("revert data shorter than a selector");
  ByteView sel = data.first(4);
  ByteView body = data.subspan(4);
  static constexpr uint8_t kErrorString[4] = {0x08, 0xc3, 0x79, 0xa0};  // Error(string)
  static constexpr uint8_t kPanic[4] = {0x4e, 0x48, 0x7b, 0x71};        // Panic(uint256)
  if (BytesEqual(sel, kErrorString)) {
    AbiType t{.kind = Kind::kString, .bits = 0, .size = 0, .children = {}};
    ASSIGN_OR_RETURN(std::vector<AbiValue> v, AbiDecode({t}, body));
    return std::get<std::string>(std::move(v[0].value));
  }
  if (BytesEqual(sel, kPanic)) {
    AbiType t{.kind = Kind::kUint, .bits = 256, .size = 0, .children = {}};
    ASSIGN_OR_RETURN(std::vector<AbiValue> v, AbiDecode({t}, body));
    return "panic 0x" + HexMinimal(std::get<AbiWord>(v[0].value));
  }
  return InvalidArgument("revert data with unknown selector 0x" + ToHex(sel));
}

}  // namespace teecloud::chain
