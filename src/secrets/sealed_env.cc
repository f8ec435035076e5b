// dstack's encrypted-env format. What was checked against dstack (README.md "Compatibility"):
//  - the sealer, @phala/dstack-sdk 0.5.8 dist/encrypt-env-vars.mjs (tools/node_modules):
//    JSON.stringify({env: envs}); ephemeral x25519 key (@noble/curves); the raw
//    x25519.getSharedSecret is imported as the AES-GCM-256 key; 12-byte random iv; WebCrypto
//    AES-GCM without additional data (so a 16-byte tag appended); output
//    publicKey || iv || encrypted, hex-encoded for transport.
//  - the opener, dstack-util/src/crypto.rs dh_decrypt (Dstack-TEE/dstack, formerly
//    Phala-Network/dstack): bytes [0,32) ephemeral public key, [32,44) iv, [44,..) ciphertext
//    with tag; the shared secret is refused if all zero; Aes256Gcm without AAD. Its
//    test_dh_decrypt vector is a known-answer test in secrets_test.cc.
//  - the JSON, dstack-util's env parser: struct Data { env: Vec<Pair { key, value }> },
//    names ^[a-zA-Z_][a-zA-Z0-9_]*$, name <= 255 bytes, value <= 128 KiB.
#include "secrets/sealed_env.h"

#include <nlohmann/json.hpp>

#include "base/jcs.h"
#include "crypto/aead.h"

namespace teecloud::secrets {
namespace {

constexpr std::string_view kCtx = "sealed env: ";
constexpr std::string_view kWrongKey =
    "sealed env does not decrypt with this app's key: sealed for another app or tampered";

// {"env":[{"key":K,"value":V},...]}: JSON.stringify's output for the SDK's EnvVar objects.
std::string EnvJson(const std::vector<EnvVar>& vars) {
  std::string out = "{\"env\":[";
  for (size_t i = 0; i < vars.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"key\":";
    AppendJsonStringLiteral(out, vars[i].name);
    out += ",\"value\":";
    AppendJsonStringLiteral(out, vars[i].value);
    out += '}';
  }
  out += "]}";
  return out;
}

// A SAX handler that accepts exactly {"env":[{"key":string,"value":string},...]}: no other
// member, no duplicate member (nlohmann's DOM would keep the last silently), no other type.
// It stops at the first deviation, so nesting never goes deeper than three levels. Errors name
// positions, never values (nlohmann's own parse-error text quotes the input, so it is dropped).
class EnvJsonParser {
 public:
  using Json = nlohmann::json;

  bool null() { return Scalar("null"); }
  bool boolean(bool) { return Scalar("a boolean"); }
  bool number_integer(Json::number_integer_t) { return Scalar("a number"); }
  bool number_unsigned(Json::number_unsigned_t) { return Scalar("a number"); }
  bool number_float(Json::number_float_t, const Json::string_t&) { return Scalar("a number"); }
  bool binary(Json::binary_t&) { return Scalar("binary data"); }

  bool string(Json::string_t& s) {
    if (state_ == State::kEntryKey) {
      entry_.name = std::move(s);
      have_key_ = true;
    } else if (state_ == State::kEntryValue) {
      entry_.value = std::move(s);
      have_value_ = true;
    } else {
      return Scalar("a string");
    }
    state_ = State::kEntry;
    return true;
  }

  bool start_object(std::size_t) {
    if (state_ == State::kStart) {
      state_ = State::kRoot;
      return true;
    }
    if (state_ == State::kEnvArray) {
      if (vars_.size() >= kMaxEnvVars) {
        return Fail("more than " + std::to_string(kMaxEnvVars) + " variables");
      }
      entry_ = EnvVar{};
      have_key_ = have_value_ = false;
      state_ = State::kEntry;
      return true;
    }
    return Scalar("an object");
  }

  bool key(Json::string_t& k) {
    if (state_ == State::kRoot) {
      if (k != "env") return Fail("unknown member in the top-level object (only \"env\")");
      if (have_env_) return Fail("duplicate member \"env\"");
      have_env_ = true;
      state_ = State::kEnvValue;
      return true;
    }
    // state_ == kEntry: nlohmann only reports keys inside objects, and only the root and the
    // entries are objects we entered.
    if (k == "key") {
      if (have_key_) return Fail(Entry() + ": duplicate member \"key\"");
      state_ = State::kEntryKey;
      return true;
    }
    if (k == "value") {
      if (have_value_) return Fail(Entry() + ": duplicate member \"value\"");
      state_ = State::kEntryValue;
      return true;
    }
    return Fail(Entry() + ": unknown member (only \"key\" and \"value\")");
  }

  bool end_object() {
    if (state_ == State::kRoot) {
      if (!have_env_) return Fail("missing member \"env\"");
      state_ = State::kDone;
      return true;
    }
    // state_ == kEntry
    if (!have_key_) return Fail(Entry() + ": missing member \"key\"");
    if (!have_value_) return Fail(Entry() + ": missing member \"value\"");
    vars_.push_back(std::move(entry_));
    state_ = State::kEnvArray;
    return true;
  }

  bool start_array(std::size_t) {
    if (state_ != State::kEnvValue) return Scalar("an array");
    state_ = State::kEnvArray;
    return true;
  }

  bool end_array() {
    // Only the env array is ever entered.
    state_ = State::kRoot;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    if (error_.empty()) error_ = "malformed JSON (at byte " + std::to_string(position) + ")";
    return false;
  }

  const std::string& error() const { return error_; }
  std::vector<EnvVar> TakeVars() { return std::move(vars_); }

 private:
  enum class State { kStart, kRoot, kEnvValue, kEnvArray, kEntry, kEntryKey, kEntryValue, kDone };

  std::string Entry() const { return "env[" + std::to_string(vars_.size()) + "]"; }

  // A value of the wrong type (or one where none belongs) for the current position.
  bool Scalar(std::string_view what) {
    switch (state_) {
      case State::kStart:
        return Fail("the document must be an object {\"env\": [...]}, not " + std::string(what));
      case State::kEnvValue:
        return Fail("\"env\" must be an array, not " + std::string(what));
      case State::kEnvArray:
        return Fail(Entry() + " must be an object {\"key\": ..., \"value\": ...}, not " +
                    std::string(what));
      case State::kEntryKey:
        return Fail(Entry() + ".key must be a string, not " + std::string(what));
      case State::kEntryValue:
        return Fail(Entry() + ".value must be a string, not " + std::string(what));
      default:
        return Fail("unexpected " + std::string(what));
    }
  }

  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  State state_ = State::kStart;
  bool have_env_ = false;
  bool have_key_ = false;
  bool have_value_ = false;
  EnvVar entry_;
  std::vector<EnvVar> vars_;
  std::string error_;
};

Result<std::vector<EnvVar>> ParseEnvJson(std::string_view json) {
  EnvJsonParser parser;
  const bool ok = nlohmann::json::sax_parse(json.begin(), json.end(), &parser,
                                            nlohmann::json::input_format_t::json, /*strict=*/true);
  if (!ok) {
    return InvalidArgument(std::string(kCtx) +
                           (parser.error().empty() ? "malformed JSON" : parser.error()));
  }
  std::vector<EnvVar> vars = parser.TakeVars();
  if (Status valid = ValidateEnvVars(vars); !valid) {
    return tl::unexpected(valid.error().WithContext("sealed env"));
  }
  return vars;
}

// RFC 7748 §5: a receiver masks the top bit of a u-coordinate and reduces it mod p, so 2^255
// encodings (top bit set, or u >= p = 2^255 - 19) name the same point. Honest sealers never
// emit them; accepting them would let anyone alter a sealed env without breaking the tag.
bool IsCanonicalX25519Public(ByteView u) {
  if (u[31] & 0x80) return false;
  if (u[31] != 0x7f || u[0] < 0xed) return true;
  for (size_t i = 1; i < 31; ++i) {
    if (u[i] != 0xff) return true;
  }
  return false;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

Result<Bytes> SealEnvelope(ByteView recipient_x25519_public, ByteView plaintext,
                           crypto::Random& random) {
  if (recipient_x25519_public.size() != kEnvPublicKeySize) {
    return InvalidArgument("env public key must be 32 bytes, got " +
                           std::to_string(recipient_x25519_public.size()));
  }
  if (plaintext.size() > kMaxSealedEnvPlaintextSize) {
    return InvalidArgument("sealed env plaintext over " +
                           std::to_string(kMaxSealedEnvPlaintextSize) + " bytes");
  }
  // Same order of random draws as the dstack SDK: ephemeral key, then iv.
  const crypto::X25519KeyPair ephemeral = crypto::X25519Generate(random);
  auto shared = crypto::X25519(ephemeral.private_key, recipient_x25519_public);
  if (!shared) {
    return InvalidArgument("env public key is not usable (a small-order X25519 point)");
  }
  const Bytes iv = random.RandomBytes(crypto::kAesGcmNonceSize);
  ASSIGN_OR_RETURN(Bytes ciphertext, crypto::AesGcmSeal(*shared, iv, plaintext, {}));
  return Concat({ephemeral.public_key, iv, ciphertext});
}

Result<crypto::SecretBytes> OpenEnvelope(const crypto::SecretBytes& x25519_private,
                                         ByteView sealed) {
  if (x25519_private.size() != 32) return InvalidArgument("env private key must be 32 bytes");
  if (sealed.size() < kSealedEnvOverhead) {
    return InvalidArgument(std::string(kCtx) + std::to_string(sealed.size()) +
                           " bytes, shorter than its ephemeral key, iv and tag (" +
                           std::to_string(kSealedEnvOverhead) + ")");
  }
  if (sealed.size() > kMaxSealedEnvSize) {
    return InvalidArgument(std::string(kCtx) + std::to_string(sealed.size()) +
                           " bytes; the limit is " + std::to_string(kMaxSealedEnvSize));
  }
  const ByteView ephemeral = sealed.subspan(0, 32);
  const ByteView iv = sealed.subspan(32, crypto::kAesGcmNonceSize);
  const ByteView ciphertext = sealed.subspan(kSealedEnvHeaderSize);
  // A non-canonical or small-order ephemeral key (all-zero shared secret, refused as dstack
  // does) cannot come from an honest sealer: it is tampering like a bad tag.
  if (!IsCanonicalX25519Public(ephemeral)) return Unauthenticated(std::string(kWrongKey));
  auto shared = crypto::X25519(x25519_private, ephemeral);
  if (!shared) return Unauthenticated(std::string(kWrongKey));
  auto plaintext = crypto::AesGcmOpen(*shared, iv, ciphertext, {});
  if (!plaintext) {
    if (plaintext.error().code == Code::kUnauthenticated) {
      return Unauthenticated(std::string(kWrongKey));
    }
    return tl::unexpected(plaintext.error());
  }
  return std::move(*plaintext);
}

Result<Bytes> SealEnv(ByteView recipient_x25519_public, const std::vector<EnvVar>& vars,
                      crypto::Random& random) {
  RETURN_IF_ERROR(ValidateEnvVars(vars));
  const std::string json = EnvJson(vars);
  return SealEnvelope(recipient_x25519_public, AsBytes(json), random);
}

Result<std::vector<EnvVar>> OpenSealedEnv(const crypto::SecretBytes& x25519_private,
                                          ByteView sealed) {
  ASSIGN_OR_RETURN(crypto::SecretBytes plaintext, OpenEnvelope(x25519_private, sealed));
  return ParseEnvJson(AsStringView(plaintext.view()));
}

Result<Bytes> ParseEnvPublicKeyHex(std::string_view hex) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!hex.empty() && space(hex.front())) hex.remove_prefix(1);
  while (!hex.empty() && space(hex.back())) hex.remove_suffix(1);
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  if (hex.size() != 2 * kEnvPublicKeySize) {
    return InvalidArgument("env public key: expected 64 hex digits (32 bytes), got " +
                           std::to_string(hex.size()) + " characters");
  }
  for (char c : hex) {
    if (!IsHexDigit(c)) return InvalidArgument("env public key: not a hex string");
  }
  return FromHex(hex);
}

}  // namespace teecloud::secrets
