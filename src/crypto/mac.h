// HMAC and HKDF (RFC 2104, RFC 5869).
#pragma once

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/hash.h"
#include "crypto/secret.h"

namespace teecloud::crypto {

Digest256 HmacSha256(ByteView key, ByteView data);
Digest384 HmacSha384(ByteView key, ByteView data);
Digest512 HmacSha512(ByteView key, ByteView data);
// HKDF-SHA256 extract+expand. Fails if length > 255*32.
Result<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, size_t length);

}  // namespace teecloud::crypto
