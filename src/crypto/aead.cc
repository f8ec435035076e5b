// AES-256-GCM (NIST SP 800-38D) and X25519 (RFC 7748) through OpenSSL EVP.
#include "crypto/aead.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <memory>

namespace teecloud::crypto {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;

const EVP_CIPHER* AesGcm() {
  static const EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  TEECLOUD_CHECK(cipher != nullptr);
  return cipher;
}

Status CheckGcmArgs(const SecretBytes& key, ByteView nonce, size_t data_size, ByteView aad) {
  if (key.size() != kAesGcmKeySize) return InvalidArgument("AES-256-GCM key must be 32 bytes");
  // 96-bit nonces only: other lengths go through GHASH (SP 800-38D §8.2.2) and are easy to
  // misuse.
  if (nonce.size() != kAesGcmNonceSize) return InvalidArgument("AES-GCM nonce must be 12 bytes");
  if (data_size > INT_MAX || aad.size() > INT_MAX)
    return InvalidArgument("AES-GCM input too large");
  return OkStatus();
}

CipherCtx NewGcmCtx(const SecretBytes& key, ByteView nonce, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  TEECLOUD_CHECK(ctx != nullptr);
  TEECLOUD_CHECK(EVP_CipherInit_ex(ctx.get(), AesGcm(), nullptr, key.view().data(), nonce.data(),
                                   encrypt ? 1 : 0) == 1);
  return ctx;
}

void AddAad(EVP_CIPHER_CTX* ctx, ByteView aad) {
  if (aad.empty()) return;
  int len = 0;
  TEECLOUD_CHECK(EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) ==
                 1);
}

Result<Pkey> X25519Key(const SecretBytes& private_key) {
  if (private_key.size() != 32) return InvalidArgument("X25519 private key must be 32 bytes");
  EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.view().data(),
                                             private_key.size());
  if (k == nullptr) {
    ERR_clear_error();
    return InvalidArgument("invalid X25519 private key");
  }
  return Pkey(k, EVP_PKEY_free);
}

}  // namespace

Result<Bytes> AesGcmSeal(const SecretBytes& key, ByteView nonce, ByteView plaintext, ByteView aad) {
  RETURN_IF_ERROR(CheckGcmArgs(key, nonce, plaintext.size(), aad));
  CipherCtx ctx = NewGcmCtx(key, nonce, /*encrypt=*/true);
  AddAad(ctx.get(), aad);
  Bytes out(plaintext.size() + kAesGcmTagSize);
  int len = 0;
  if (!plaintext.empty()) {
    TEECLOUD_CHECK(EVP_CipherUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                                    static_cast<int>(plaintext.size())) == 1);
  }
  int final_len = 0;
  TEECLOUD_CHECK(EVP_CipherFinal_ex(ctx.get(), out.data() + len, &final_len) == 1);
  TEECLOUD_CHECK(static_cast<size_t>(len + final_len) == plaintext.size());
  TEECLOUD_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAesGcmTagSize,
                                     out.data() + plaintext.size()) == 1);
  return out;
}

Result<SecretBytes> AesGcmOpen(const SecretBytes& key, ByteView nonce, ByteView sealed,
                               ByteView aad) {
  if (sealed.size() < kAesGcmTagSize) return InvalidArgument("AES-GCM input shorter than the tag");
  const size_t ct_size = sealed.size() - kAesGcmTagSize;
  RETURN_IF_ERROR(CheckGcmArgs(key, nonce, ct_size, aad));
  CipherCtx ctx = NewGcmCtx(key, nonce, /*encrypt=*/false);
  AddAad(ctx.get(), aad);
  SecretBytes out(ct_size);
  int len = 0;
  if (ct_size > 0) {
    TEECLOUD_CHECK(EVP_CipherUpdate(ctx.get(), out.data(), &len, sealed.data(),
                                    static_cast<int>(ct_size)) == 1);
  }
  // The tag is only read by OpenSSL; the ctrl interface takes a non-const pointer.
  TEECLOUD_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAesGcmTagSize,
                                     const_cast<uint8_t*>(sealed.data() + ct_size)) == 1);
  int final_len = 0;
  // Final compares the tag in constant time. On failure `out` (unauthenticated plaintext) is
  // destroyed, and thereby wiped, before anyone sees it.
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    ERR_clear_error();
    return Unauthenticated("AES-GCM authentication failed");
  }
  return out;
}

X25519KeyPair X25519Generate(Random& random) {
  X25519KeyPair kp;
  kp.private_key = random.RandomSecret(32);
  auto pub = X25519PublicFromPrivate(kp.private_key);
  TEECLOUD_CHECK(pub.has_value());  // any 32 bytes are a valid X25519 scalar (RFC 7748 §5)
  kp.public_key = std::move(*pub);
  return kp;
}

Result<Bytes> X25519PublicFromPrivate(const SecretBytes& private_key) {
  ASSIGN_OR_RETURN(Pkey key, X25519Key(private_key));
  Bytes out(32);
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), out.data(), &len) != 1 || len != 32) {
    ERR_clear_error();
    return Internal("X25519 public key derivation failed");
  }
  return out;
}

Result<SecretBytes> X25519(const SecretBytes& private_key, ByteView peer_public) {
  if (peer_public.size() != 32) return InvalidArgument("X25519 public key must be 32 bytes");
  ASSIGN_OR_RETURN(Pkey key, X25519Key(private_key));
  Pkey peer(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(), peer_public.size()),
      EVP_PKEY_free);
  if (!peer) {
    ERR_clear_error();
    return InvalidArgument("invalid X25519 public key");
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr), EVP_PKEY_CTX_free);
  TEECLOUD_CHECK(ctx != nullptr);
  SecretBytes shared(32);
  size_t len = shared.size();
  // OpenSSL refuses an all-zero result (RFC 7748 §6.1 "check"), i.e. a small-order peer key.
  if (EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != 32) {
    ERR_clear_error();
    return InvalidArgument("X25519 key agreement failed (small-order peer key?)");
  }
  // Belt and braces: never hand out an all-zero secret whatever the library version does.
  if (IsAllZero(shared.view())) return InvalidArgument("X25519 shared secret is all zero");
  return shared;
}

}  // namespace teecloud::crypto
