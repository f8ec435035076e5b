// crypto/-internal helpers shared between ec.cc and x509.cc. Not part of the public API.
#pragma once

#include "base/error.h"
#include "crypto/ec.h"

namespace teecloud::crypto::internal {

// Wraps an EC public key held in any EVP_PKEY* (e.g. X509_get0_pubkey) as an EcPublicKey
// without a DER round trip. Does not take ownership of `evp_pkey`.
Result<EcPublicKey> EcPublicKeyFromEvp(void* evp_pkey);

}  // namespace teecloud::crypto::internal
