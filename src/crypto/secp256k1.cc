// secp256k1 ECDSA (SEC 2 §2.4.1) for Ethereum, on libsecp256k1.
#include "crypto/secp256k1.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>

namespace teecloud::crypto {
namespace {

// One context for the process. libsecp256k1 contexts are safe for concurrent use through
// const pointers; randomizing once (side-channel blinding for signing) is the documented setup.
const secp256k1_context* Ctx() {
  static const secp256k1_context* const ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    TEECLOUD_CHECK(c != nullptr);
    uint8_t seed[32];
    TEECLOUD_CHECK(RAND_bytes(seed, sizeof(seed)) == 1);
    TEECLOUD_CHECK(secp256k1_context_randomize(c, seed) == 1);
    OPENSSL_cleanse(seed, sizeof(seed));
    return c;
  }();
  return ctx;
}

Status CheckKey(const SecretBytes& private_key) {
  if (private_key.size() != 32) return InvalidArgument("secp256k1 private key must be 32 bytes");
  // Valid scalars are 1..n-1.
  if (secp256k1_ec_seckey_verify(Ctx(), private_key.view().data()) != 1) {
    return InvalidArgument("secp256k1 private key out of range");
  }
  return OkStatus();
}

Result<secp256k1_pubkey> ParsePublicKey(ByteView public_key) {
  uint8_t buf[65];
  size_t len = 0;
  if (public_key.size() == 64) {
    buf[0] = 0x04;
    std::copy(public_key.begin(), public_key.end(), buf + 1);
    len = 65;
  } else if (public_key.size() == 65 || public_key.size() == 33) {
    std::copy(public_key.begin(), public_key.end(), buf);
    len = public_key.size();
  } else {
    return InvalidArgument("secp256k1 public key must be 64, 65 or 33 bytes");
  }
  secp256k1_pubkey pk;
  // Rejects points not on the curve and bad prefixes.
  if (secp256k1_ec_pubkey_parse(Ctx(), &pk, buf, len) != 1) {
    return InvalidArgument("invalid secp256k1 public key");
  }
  return pk;
}

Bytes SerializeXy(const secp256k1_pubkey& pk) {
  uint8_t buf[65];
  size_t len = sizeof(buf);
  TEECLOUD_CHECK(secp256k1_ec_pubkey_serialize(Ctx(), buf, &len, &pk, SECP256K1_EC_UNCOMPRESSED) ==
                 1);
  return Bytes(buf + 1, buf + 65);
}

Status CheckDigest(ByteView digest32) {
  if (digest32.size() != 32) return InvalidArgument("secp256k1 digest must be 32 bytes");
  return OkStatus();
}

}  // namespace

Status Secp256k1CheckPrivateKey(const SecretBytes& private_key) { return CheckKey(private_key); }

Result<Bytes> Secp256k1PublicKey(const SecretBytes& private_key) {
  RETURN_IF_ERROR(CheckKey(private_key));
  secp256k1_pubkey pk;
  TEECLOUD_CHECK(secp256k1_ec_pubkey_create(Ctx(), &pk, private_key.view().data()) == 1);
  return SerializeXy(pk);
}

Result<Bytes> Secp256k1PublicKeyCompressed(const SecretBytes& private_key) {
  RETURN_IF_ERROR(CheckKey(private_key));
  secp256k1_pubkey pk;
  TEECLOUD_CHECK(secp256k1_ec_pubkey_create(Ctx(), &pk, private_key.view().data()) == 1);
  Bytes out(33);
  size_t len = out.size();
  TEECLOUD_CHECK(
      secp256k1_ec_pubkey_serialize(Ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED) == 1);
  return out;
}

Result<RecoverableSignature> Secp256k1Sign(const SecretBytes& private_key, ByteView digest32) {
  RETURN_IF_ERROR(CheckKey(private_key));
  RETURN_IF_ERROR(CheckDigest(digest32));
  secp256k1_ecdsa_recoverable_signature sig;
  // nullptr nonce function = RFC 6979 (HMAC-SHA256 DRBG); libsecp256k1 always emits low-S.
  if (secp256k1_ecdsa_sign_recoverable(Ctx(), &sig, digest32.data(), private_key.view().data(),
                                       nullptr, nullptr) != 1) {
    return Internal("secp256k1 signing failed");
  }
  uint8_t compact[64];
  int recid = 0;
  TEECLOUD_CHECK(
      secp256k1_ecdsa_recoverable_signature_serialize_compact(Ctx(), compact, &recid, &sig) == 1);
  RecoverableSignature out;
  std::copy(compact, compact + 32, out.r.begin());
  std::copy(compact + 32, compact + 64, out.s.begin());
  out.recovery_id = static_cast<uint8_t>(recid);
  return out;
}

Status Secp256k1Verify(ByteView public_key, ByteView digest32, ByteView signature_rs) {
  RETURN_IF_ERROR(CheckDigest(digest32));
  if (signature_rs.size() != 64) return InvalidArgument("secp256k1 signature must be 64 bytes");
  ASSIGN_OR_RETURN(secp256k1_pubkey pk, ParsePublicKey(public_key));
  secp256k1_ecdsa_signature sig;
  // parse_compact fails only when r or s >= n.
  if (secp256k1_ecdsa_signature_parse_compact(Ctx(), &sig, signature_rs.data()) != 1) {
    return Unauthenticated("secp256k1 signature r or s out of range");
  }
  // normalize returns 1 when the input was high-S (malleable form, rejected by EIP-2).
  if (secp256k1_ecdsa_signature_normalize(Ctx(), nullptr, &sig) == 1) {
    return Unauthenticated("secp256k1 signature has high S");
  }
  if (secp256k1_ecdsa_verify(Ctx(), &sig, digest32.data(), &pk) != 1) {
    return Unauthenticated("secp256k1 signature verification failed");
  }
  return OkStatus();
}

Result<Bytes> Secp256k1Recover(ByteView digest32, const RecoverableSignature& sig) {
  RETURN_IF_ERROR(CheckDigest(digest32));
  if (sig.recovery_id > 3) return InvalidArgument("secp256k1 recovery id must be 0..3");
  uint8_t compact[64];
  std::copy(sig.r.begin(), sig.r.end(), compact);
  std::copy(sig.s.begin(), sig.s.end(), compact + 32);
  secp256k1_ecdsa_recoverable_signature rsig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(Ctx(), &rsig, compact, sig.recovery_id) !=
      1) {
    return Unauthenticated("secp256k1 signature r or s out of range");
  }
  // Same malleability rule as Verify (EIP-2): reject s > n/2.
  secp256k1_ecdsa_signature plain;
  secp256k1_ecdsa_recoverable_signature_convert(Ctx(), &plain, &rsig);
  if (secp256k1_ecdsa_signature_normalize(Ctx(), nullptr, &plain) == 1) {
    return Unauthenticated("secp256k1 signature has high S");
  }
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(Ctx(), &pk, &rsig, digest32.data()) != 1) {
    return Unauthenticated("secp256k1 public key recovery failed");
  }
  return SerializeXy(pk);
}

// Yellow Paper appendix F: address = the rightmost 160 bits of KEC(x || y). A 65-byte SEC 1
// uncompressed key is accepted too (the 0x04 prefix is not hashed).
std::array<uint8_t, 20> EthAddressFromPublicKey(ByteView public_key_xy) {
  if (public_key_xy.size() == 65 && public_key_xy[0] == 0x04) {
    public_key_xy = public_key_xy.subspan(1);
  }
  const Digest256 h = Keccak256(public_key_xy);
  std::array<uint8_t, 20> out{};
  std::copy(h.begin() + 12, h.end(), out.begin());
  return out;
}

}  // namespace teecloud::crypto
