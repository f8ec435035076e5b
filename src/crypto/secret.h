// SecretBytes: key material that zeroizes on destruction and cannot be printed or logged.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "base/bytes.h"

namespace teecloud::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n);
  explicit SecretBytes(ByteView data);
  ~SecretBytes();
  SecretBytes(const SecretBytes& other);
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // Explicit access; callers must not copy the bytes into non-zeroizing storage they log.
  ByteView view() const { return ByteView(data_.data(), data_.size()); }
  uint8_t* data() { return data_.data(); }

 private:
  void Wipe();
  std::vector<uint8_t> data_;
};

// Printing a secret prints a placeholder, never the bytes.
inline std::ostream& operator<<(std::ostream& os, const SecretBytes& s) {
  return os << "<secret " << s.size() << " bytes>";
}

}  // namespace teecloud::crypto
