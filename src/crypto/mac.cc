// HMAC (RFC 2104) and HKDF (RFC 5869) through OpenSSL 3 EVP interfaces.
#include "crypto/mac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

namespace teecloud::crypto {
namespace {

// HMAC() is the one-shot API that OpenSSL 3.0 keeps undeprecated.
template <size_t N>
std::array<uint8_t, N> Hmac(const char* md_name, ByteView key, ByteView data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  const EVP_MD* md = EVP_get_digestbyname(md_name);
  TEECLOUD_CHECK(md != nullptr);
  // HMAC() with a NULL key pointer fails; an empty key is legal (RFC 2104 pads it with zeros).
  static const uint8_t kEmpty = 0;
  const uint8_t* k = key.empty() ? &kEmpty : key.data();
  TEECLOUD_CHECK(HMAC(md, k, static_cast<int>(key.size()), data.data(), data.size(), out.data(),
                      &len) != nullptr);
  TEECLOUD_CHECK(len == N);
  return out;
}

}  // namespace

Digest256 HmacSha256(ByteView key, ByteView data) { return Hmac<32>("SHA256", key, data); }
Digest384 HmacSha384(ByteView key, ByteView data) { return Hmac<48>("SHA384", key, data); }
Digest512 HmacSha512(ByteView key, ByteView data) { return Hmac<64>("SHA512", key, data); }

Result<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  // RFC 5869 §2.3: L <= 255 * HashLen.
  if (length == 0 || length > 255 * 32) {
    return InvalidArgument("HKDF-SHA256 output length must be 1..8160 bytes");
  }
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  TEECLOUD_CHECK(kdf != nullptr);
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf),
                                                                EVP_KDF_CTX_free);
  TEECLOUD_CHECK(ctx != nullptr);

  // OSSL_PARAM wants non-const pointers; OpenSSL only reads these buffers.
  char digest[] = "SHA256";
  static uint8_t kEmpty = 0;
  auto ptr = [](ByteView b) { return b.empty() ? &kEmpty : const_cast<uint8_t*>(b.data()); };
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ptr(ikm), ikm.size());
  // An absent salt is HashLen zero bytes (RFC 5869 §2.2), which equals HMAC with an empty key.
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, ptr(salt), salt.size());
  }
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, ptr(info), info.size());
  params[n] = OSSL_PARAM_construct_end();

  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    ERR_clear_error();
    return Internal("HKDF-SHA256 derivation failed");
  }
  return out;
}

}  // namespace teecloud::crypto
