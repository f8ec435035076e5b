#include "node/attest_binding.h"

#include <string>

#include "crypto/hash.h"

namespace teecloud::node {

Result<Bytes> AttestReportData(ByteView nonce) {
  if (nonce.size() < kMinAttestNonceBytes || nonce.size() > kMaxAttestNonceBytes) {
    return InvalidArgument("nonce: expected " + std::to_string(kMinAttestNonceBytes) + ".." +
                           std::to_string(kMaxAttestNonceBytes) + " bytes, got " +
                           std::to_string(nonce.size()));
  }
  const auto d = crypto::Sha512(Concat({AsBytes("teecloud-node-attest:v1:"), nonce}));
  return Bytes(d.begin(), d.end());
}

}  // namespace teecloud::node
