// ECDSA over P-256 / P-384.
//
// Why the low-level EC_KEY/ECDSA API (deprecated in OpenSSL 3.0): quote verification is
// dominated by ECDSA verify calls, and the EVP_PKEY_verify path re-fetches the signature
// provider and builds a new EVP_PKEY_CTX on every call. ECDSA_do_verify on an EC_KEY that is
// parsed once adds almost nothing over the raw curve arithmetic. Keys are therefore built as
// "legacy" EVP_PKEYs wrapping an EC_KEY, so EVP_PKEY_get0_EC_KEY is a plain pointer read.
// The suppression is confined to this file; every other file uses EVP only.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "crypto/ec.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "crypto/ec_internal.h"
#include "crypto/hash.h"

namespace teecloud::crypto {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct EcKeyFree {
  void operator()(EC_KEY* k) const { EC_KEY_free(k); }
};
struct EcPointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct P8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using EcKeyPtr = std::unique_ptr<EC_KEY, EcKeyFree>;
using EcPointPtr = std::unique_ptr<EC_POINT, EcPointFree>;
using SigPtr = std::unique_ptr<ECDSA_SIG, SigFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

int CurveNid(Curve curve) { return curve == Curve::kP256 ? NID_X9_62_prime256v1 : NID_secp384r1; }

size_t FieldSize(Curve curve) { return curve == Curve::kP256 ? 32 : 48; }

// A new, empty EC_KEY on `curve`. EC_KEY_new_by_curve_name rebuilds the group from its
// parameters (~10 us, a fifth of a P-256 verify); duplicating a group built once is ~1 us.
// The shared groups are only ever read (EC_KEY_set_group copies), so sharing them across
// threads is safe.
EcKeyPtr NewKey(Curve curve) {
  static const EC_GROUP* const p256 = EC_GROUP_new_by_curve_name(CurveNid(Curve::kP256));
  static const EC_GROUP* const p384 = EC_GROUP_new_by_curve_name(CurveNid(Curve::kP384));
  const EC_GROUP* group = curve == Curve::kP256 ? p256 : p384;
  TEECLOUD_CHECK(group != nullptr);
  EcKeyPtr key(EC_KEY_new());
  TEECLOUD_CHECK(key != nullptr && EC_KEY_set_group(key.get(), group) == 1);
  return key;
}

// Drops OpenSSL's thread-local error queue after an expected failure so it cannot grow or
// leak into unrelated later calls.
template <typename T>
T Cleared(T value) {
  ERR_clear_error();
  return value;
}

const EC_KEY* GetEcKey(const void* pkey) {
  return EVP_PKEY_get0_EC_KEY(static_cast<const EVP_PKEY*>(pkey));
}

Result<Curve> CurveOfEcKey(const EC_KEY* key) {
  if (key == nullptr) return InvalidArgument("not an EC key");
  const EC_GROUP* group = EC_KEY_get0_group(key);
  const int nid = group ? EC_GROUP_get_curve_name(group) : NID_undef;
  if (nid == NID_X9_62_prime256v1) return Curve::kP256;
  if (nid == NID_secp384r1) return Curve::kP384;
  return InvalidArgument("unsupported EC curve (only P-256 and P-384)");
}

// Wraps an EC_KEY into a legacy EVP_PKEY (takes ownership).
Result<std::shared_ptr<void>> WrapEcKey(EcKeyPtr key) {
  EVP_PKEY* pkey = EVP_PKEY_new();
  if (pkey == nullptr) return Internal("EVP_PKEY_new failed");
  if (EVP_PKEY_assign_EC_KEY(pkey, key.get()) != 1) {
    EVP_PKEY_free(pkey);
    return Cleared(Internal("EVP_PKEY_assign_EC_KEY failed"));
  }
  key.release();
  return std::shared_ptr<void>(pkey, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

// Re-wraps any EC EVP_PKEY (possibly provider-backed) as a legacy EC_KEY-backed one.
Result<std::shared_ptr<void>> ToLegacy(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return InvalidArgument("not an EC key");
  EcKeyPtr key(EVP_PKEY_get1_EC_KEY(pkey));
  if (!key) return Cleared(InvalidArgument("not an EC key"));
  auto curve = CurveOfEcKey(key.get());
  if (!curve) return tl::unexpected(curve.error());
  return WrapEcKey(std::move(key));
}

Result<Bytes> SigToRaw(const ECDSA_SIG* sig, size_t half) {
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  if (BN_is_negative(r) || BN_is_negative(s) || static_cast<size_t>(BN_num_bytes(r)) > half ||
      static_cast<size_t>(BN_num_bytes(s)) > half) {
    return InvalidArgument("ECDSA signature component larger than the curve size");
  }
  Bytes out(2 * half);
  BN_bn2binpad(r, out.data(), static_cast<int>(half));
  BN_bn2binpad(s, out.data() + half, static_cast<int>(half));
  return out;
}

Result<SigPtr> RawToSig(ByteView raw_rs) {
  if (raw_rs.empty() || raw_rs.size() % 2 != 0 || raw_rs.size() > 132) {
    return InvalidArgument("raw ECDSA signature must be r||s of equal halves");
  }
  const size_t half = raw_rs.size() / 2;
  BnPtr r(BN_bin2bn(raw_rs.data(), static_cast<int>(half), nullptr));
  BnPtr s(BN_bin2bn(raw_rs.data() + half, static_cast<int>(half), nullptr));
  SigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig) return Internal("out of memory");
  ECDSA_SIG_set0(sig.get(), r.release(), s.release());
  return sig;
}

Bytes HashMessage(ByteView message, HashAlg hash) {
  switch (hash) {
    case HashAlg::kSha256: {
      const Digest256 d = Sha256(message);
      return Bytes(d.begin(), d.end());
    }
    case HashAlg::kSha384: {
      const Digest384 d = Sha384(message);
      return Bytes(d.begin(), d.end());
    }
    case HashAlg::kSha512: {
      const Digest512 d = Sha512(message);
      return Bytes(d.begin(), d.end());
    }
  }
  TEECLOUD_CHECK(false);
  return {};
}

Status VerifySig(const EC_KEY* key, ByteView digest, const ECDSA_SIG* sig) {
  // 1 = valid, 0 = invalid (including r or s out of [1, n-1]), -1 = error. Anything but 1 is
  // an unauthenticated signature from the caller's point of view.
  const int rc = ECDSA_do_verify(digest.data(), static_cast<int>(digest.size()), sig,
                                 const_cast<EC_KEY*>(key));
  if (rc == 1) return OkStatus();
  return Cleared(Unauthenticated("ECDSA signature verification failed"));
}

}  // namespace

// ---- EcPublicKey ----------------------------------------------------------------------------

Result<EcPublicKey> EcPublicKey::FromRawPoint(Curve curve, ByteView point) {
  const size_t fs = FieldSize(curve);
  Bytes sec1;
  if (point.size() == 2 * fs) {
    sec1.reserve(1 + point.size());
    sec1.push_back(0x04);
    sec1.insert(sec1.end(), point.begin(), point.end());
  } else if (point.size() == 2 * fs + 1 && point[0] == 0x04) {
    sec1.assign(point.begin(), point.end());
  } else {
    return InvalidArgument("EC point has the wrong length for the curve");
  }
  EcKeyPtr key = NewKey(curve);
  const EC_GROUP* group = EC_KEY_get0_group(key.get());
  EcPointPtr pt(EC_POINT_new(group));
  if (!pt) return Internal("out of memory");
  // EC_POINT_oct2point rejects points not on the curve (SEC 1 §2.3.4). The curves have
  // cofactor 1, so an on-curve point other than infinity is in the prime-order subgroup and
  // the expensive order check of EC_KEY_check_key is unnecessary.
  if (EC_POINT_oct2point(group, pt.get(), sec1.data(), sec1.size(), nullptr) != 1) {
    return Cleared(InvalidArgument("EC point is not on the curve"));
  }
  if (EC_POINT_is_at_infinity(group, pt.get())) {
    return InvalidArgument("EC point is the point at infinity");
  }
  if (EC_KEY_set_public_key(key.get(), pt.get()) != 1) {
    return Cleared(InvalidArgument("invalid EC public key"));
  }
  ASSIGN_OR_RETURN(auto pkey, WrapEcKey(std::move(key)));
  return EcPublicKey(std::move(pkey));
}

Result<EcPublicKey> EcPublicKey::FromSpkiDer(ByteView spki) {
  const unsigned char* p = spki.data();
  EVP_PKEY* raw = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  if (raw == nullptr) return Cleared(InvalidArgument("malformed SubjectPublicKeyInfo"));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(raw, EVP_PKEY_free);
  if (p != spki.data() + spki.size()) {
    return InvalidArgument("trailing bytes after SubjectPublicKeyInfo");
  }
  ASSIGN_OR_RETURN(auto legacy, ToLegacy(pkey.get()));
  return EcPublicKey(std::move(legacy));
}

Curve EcPublicKey::curve() const {
  auto c = CurveOfEcKey(GetEcKey(native()));
  TEECLOUD_CHECK(c.has_value());
  return *c;
}

Bytes EcPublicKey::RawPoint() const {
  const EC_KEY* key = GetEcKey(native());
  TEECLOUD_CHECK(key != nullptr);
  Bytes out(1 + 2 * FieldSize(curve()));
  const size_t n =
      EC_POINT_point2oct(EC_KEY_get0_group(key), EC_KEY_get0_public_key(key),
                         POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), nullptr);
  TEECLOUD_CHECK(n == out.size());
  return Bytes(out.begin() + 1, out.end());
}

Bytes EcPublicKey::SpkiDer() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(static_cast<EVP_PKEY*>(native()), &der);
  TEECLOUD_CHECK(len > 0);
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Status EcPublicKey::VerifyRaw(ByteView message, ByteView signature_rs, HashAlg hash) const {
  return VerifyDigestRaw(HashMessage(message, hash), signature_rs);
}

Status EcPublicKey::VerifyDer(ByteView message, ByteView signature_der, HashAlg hash) const {
  ASSIGN_OR_RETURN(Bytes raw, EcdsaDerToRaw(signature_der, FieldSize(curve())));
  return VerifyRaw(message, raw, hash);
}

Status EcPublicKey::VerifyDigestRaw(ByteView digest, ByteView signature_rs) const {
  const EC_KEY* key = GetEcKey(native());
  if (key == nullptr) return Cleared(InvalidArgument("not an EC key"));
  const size_t fs = static_cast<size_t>(EC_GROUP_get_degree(EC_KEY_get0_group(key)) + 7) / 8;
  if (signature_rs.size() != 2 * fs) {
    return InvalidArgument("ECDSA signature must be " + std::to_string(2 * fs) + " bytes (r||s)");
  }
  if (digest.empty() || digest.size() > 64) return InvalidArgument("bad digest length");
  ASSIGN_OR_RETURN(SigPtr sig, RawToSig(signature_rs));
  return VerifySig(key, digest, sig.get());
}

// ---- EcPrivateKey ---------------------------------------------------------------------------

Result<EcPrivateKey> EcPrivateKey::Generate(Curve curve) {
  EcKeyPtr key = NewKey(curve);
  if (EC_KEY_generate_key(key.get()) != 1) {
    return Cleared(Internal("EC key generation failed"));
  }
  ASSIGN_OR_RETURN(auto pkey, WrapEcKey(std::move(key)));
  return EcPrivateKey(std::move(pkey));
}

Result<EcPrivateKey> EcPrivateKey::FromScalar(Curve curve, ByteView scalar) {
  if (scalar.size() != FieldSize(curve)) return InvalidArgument("EC scalar has the wrong length");
  EcKeyPtr key = NewKey(curve);
  const EC_GROUP* group = EC_KEY_get0_group(key.get());
  BnPtr d(BN_secure_new());
  if (!d || BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr) {
    return Cleared(Internal("out of memory"));
  }
  BN_set_flags(d.get(), BN_FLG_CONSTTIME);
  // A private scalar must lie in [1, n-1] (SEC 1 §3.2.1).
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group)) >= 0) {
    return InvalidArgument("EC scalar out of range");
  }
  EcPointPtr pub(EC_POINT_new(group));
  if (!pub || EC_POINT_mul(group, pub.get(), d.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_KEY_set_private_key(key.get(), d.get()) != 1 ||
      EC_KEY_set_public_key(key.get(), pub.get()) != 1) {
    BN_clear(d.get());
    return Cleared(Internal("deriving the EC public key failed"));
  }
  BN_clear(d.get());
  ASSIGN_OR_RETURN(auto pkey, WrapEcKey(std::move(key)));
  return EcPrivateKey(std::move(pkey));
}

Result<EcPrivateKey> EcPrivateKey::FromPkcs8(ByteView der_or_pem) {
  EVP_PKEY* raw = nullptr;
  const std::string_view text = AsStringView(der_or_pem);
  if (text.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(der_or_pem.data(), static_cast<int>(der_or_pem.size())));
    if (!bio) return Internal("out of memory");
    raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  } else {
    const unsigned char* p = der_or_pem.data();
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> p8(
        d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der_or_pem.size())));
    if (p8) raw = EVP_PKCS82PKEY(p8.get());
  }
  if (raw == nullptr) return Cleared(InvalidArgument("malformed PKCS#8 private key"));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(raw, EVP_PKEY_free);
  ASSIGN_OR_RETURN(auto legacy, ToLegacy(pkey.get()));
  const EC_KEY* key = GetEcKey(legacy.get());
  if (EC_KEY_get0_private_key(key) == nullptr) return InvalidArgument("no private key");
  return EcPrivateKey(std::move(legacy));
}

Curve EcPrivateKey::curve() const {
  auto c = CurveOfEcKey(GetEcKey(native()));
  TEECLOUD_CHECK(c.has_value());
  return *c;
}

EcPublicKey EcPrivateKey::PublicKey() const {
  const EC_KEY* key = GetEcKey(native());
  EcKeyPtr pub = NewKey(curve());
  TEECLOUD_CHECK(EC_KEY_set_public_key(pub.get(), EC_KEY_get0_public_key(key)) == 1);
  auto pkey = WrapEcKey(std::move(pub));
  TEECLOUD_CHECK(pkey.has_value());
  return EcPublicKey(std::move(*pkey));
}

SecretBytes EcPrivateKey::Scalar() const {
  const EC_KEY* key = GetEcKey(native());
  SecretBytes out(FieldSize(curve()));
  TEECLOUD_CHECK(BN_bn2binpad(EC_KEY_get0_private_key(key), out.data(),
                              static_cast<int>(out.size())) == static_cast<int>(out.size()));
  return out;
}

SecretBytes EcPrivateKey::Pkcs8Der() const {
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> p8(EVP_PKEY2PKCS8(static_cast<EVP_PKEY*>(native())));
  TEECLOUD_CHECK(p8 != nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der);
  TEECLOUD_CHECK(len > 0);
  SecretBytes out(ByteView(der, static_cast<size_t>(len)));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

std::string EcPrivateKey::Pkcs8Pem() const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  TEECLOUD_CHECK(bio != nullptr);
  TEECLOUD_CHECK(PEM_write_bio_PKCS8PrivateKey(bio.get(), static_cast<EVP_PKEY*>(native()), nullptr,
                                               nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<Bytes> EcPrivateKey::SignRaw(ByteView message, HashAlg hash) const {
  const EC_KEY* key = GetEcKey(native());
  const Bytes digest = HashMessage(message, hash);
  SigPtr sig(
      ECDSA_do_sign(digest.data(), static_cast<int>(digest.size()), const_cast<EC_KEY*>(key)));
  if (!sig) return Cleared(Internal("ECDSA signing failed"));
  return SigToRaw(sig.get(), FieldSize(curve()));
}

Result<Bytes> EcPrivateKey::SignDer(ByteView message, HashAlg hash) const {
  ASSIGN_OR_RETURN(Bytes raw, SignRaw(message, hash));
  return EcdsaRawToDer(raw);
}

// ---- Internal -------------------------------------------------------------------------------

Result<EcPublicKey> internal::EcPublicKeyFromEvp(void* evp_pkey) {
  ASSIGN_OR_RETURN(auto legacy, ToLegacy(static_cast<EVP_PKEY*>(evp_pkey)));
  return EcPublicKey(std::move(legacy));
}

// ---- Signature encodings --------------------------------------------------------------------

Result<Bytes> EcdsaRawToDer(ByteView raw_rs) {
  ASSIGN_OR_RETURN(SigPtr sig, RawToSig(raw_rs));
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return Cleared(Internal("i2d_ECDSA_SIG failed"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<Bytes> EcdsaDerToRaw(ByteView der, size_t half_size) {
  if (half_size == 0 || half_size > 66) return InvalidArgument("bad ECDSA half size");
  const unsigned char* p = der.data();
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return Cleared(InvalidArgument("malformed DER ECDSA signature"));
  if (p != der.data() + der.size()) {
    return InvalidArgument("trailing bytes after DER ECDSA signature");
  }
  return SigToRaw(sig.get(), half_size);
}

}  // namespace teecloud::crypto
