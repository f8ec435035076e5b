// How a caller's nonce becomes the report data of a quote the node fetches for it.
//
//   report_data = SHA-512("teecloud-node-attest:v1:" || nonce)
//
// Domain-separated on purpose: a node API caller must never obtain a quote over report data of
// its choosing, or it could bind a quote to its own key in another protocol (RA-TLS binds
// SHA-512("ratls-cert:" || SPKI)). A verifier recomputes this from its nonce and compares.
#pragma once

#include "base/bytes.h"
#include "base/error.h"

namespace teecloud::node {

inline constexpr size_t kMinAttestNonceBytes = 8;
inline constexpr size_t kMaxAttestNonceBytes = 256;

// Fails when the nonce is shorter than kMinAttestNonceBytes or longer than kMaxAttestNonceBytes.
Result<Bytes> AttestReportData(ByteView nonce);

}  // namespace teecloud::node
