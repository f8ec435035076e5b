// SHA-2 through OpenSSL's EVP interface (FIPS 180-4).
#include "crypto/hash.h"

#include <openssl/evp.h>

#include "base/error.h"

namespace teecloud::crypto {
namespace {

// Fetched once: EVP_sha256() etc. are static, but EVP_Digest with a pre-fetched EVP_MD avoids
// the provider lookup OpenSSL 3 does on every call for implicitly fetched digests.
const EVP_MD* FetchedMd(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  TEECLOUD_CHECK(md != nullptr);  // The default provider always has SHA-2.
  return md;
}

template <size_t N>
std::array<uint8_t, N> DigestWith(const EVP_MD* md, ByteView data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  TEECLOUD_CHECK(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1);
  TEECLOUD_CHECK(len == N);
  return out;
}

}  // namespace

Digest256 Sha256(ByteView data) {
  static const EVP_MD* const md = FetchedMd("SHA256");
  return DigestWith<32>(md, data);
}

Digest384 Sha384(ByteView data) {
  static const EVP_MD* const md = FetchedMd("SHA384");
  return DigestWith<48>(md, data);
}

Digest512 Sha512(ByteView data) {
  static const EVP_MD* const md = FetchedMd("SHA512");
  return DigestWith<64>(md, data);
}

Sha384Hasher::Sha384Hasher() : ctx_(EVP_MD_CTX_new()) {
  static const EVP_MD* const md = FetchedMd("SHA384");
  TEECLOUD_CHECK(ctx_ != nullptr);
  TEECLOUD_CHECK(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), md, nullptr) == 1);
}

Sha384Hasher::~Sha384Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha384Hasher::Update(ByteView data) {
  TEECLOUD_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) == 1);
}

// Finalizes and re-initializes, so the hasher can be reused for a fresh message.
Digest384 Sha384Hasher::Final() {
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  Digest384 out{};
  unsigned int len = 0;
  TEECLOUD_CHECK(EVP_DigestFinal_ex(ctx, out.data(), &len) == 1);
  TEECLOUD_CHECK(len == out.size());
  TEECLOUD_CHECK(EVP_DigestInit_ex(ctx, nullptr, nullptr) == 1);
  return out;
}

}  // namespace teecloud::crypto
