#include "crypto/secret.h"

#include <openssl/crypto.h>

namespace teecloud::crypto {

SecretBytes::SecretBytes(size_t n) : data_(n, 0) {}

SecretBytes::SecretBytes(ByteView data) : data_(data.begin(), data.end()) {}

SecretBytes::~SecretBytes() { Wipe(); }

SecretBytes::SecretBytes(const SecretBytes& other) : data_(other.data_) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    // Wipe first: assigning may reuse or free the old buffer.
    Wipe();
    data_ = other.data_;
  }
  return *this;
}

// Moving a std::vector transfers its buffer, so no copy of the secret is left behind; the
// moved-from vector is cleared regardless to keep the "empty after move" contract explicit.
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
  other.Wipe();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    other.Wipe();
  }
  return *this;
}

// OPENSSL_cleanse cannot be optimized away, unlike memset on memory about to be freed.
void SecretBytes::Wipe() {
  if (!data_.empty()) OPENSSL_cleanse(data_.data(), data_.size());
  data_.clear();
  data_.shrink_to_fit();
}

}  // namespace teecloud::crypto
