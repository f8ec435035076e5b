// Ethereum transactions: legacy with EIP-155 replay protection and EIP-1559 (type 2), their
// signing hashes, signing with a Signer, and parsing + sender recovery of signed raw bytes.
//
// Amounts that can be large (value) are 256-bit; gas quantities and fees per gas are 64-bit
// (2^64 wei = 18 ether per unit of gas, far beyond any real fee).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/error.h"
#include "chain/signer.h"
#include "chain/types.h"

namespace teecloud::chain {

// Legacy transaction signed per EIP-155 (v = chain_id * 2 + 35 + y_parity).
struct LegacyTx {
  uint64_t nonce = 0;
  uint64_t gas_price = 0;
  uint64_t gas_limit = 0;
  std::optional<Address> to;  // absent: contract creation
  U256 value{};
  Bytes data;
  uint64_t chain_id = 1;
};

// EIP-1559 fee-market transaction (type 0x02) with an empty access list.
struct Eip1559Tx {
  uint64_t chain_id = 1;
  uint64_t nonce = 0;
  uint64_t max_priority_fee_per_gas = 0;
  uint64_t max_fee_per_gas = 0;
  uint64_t gas_limit = 0;
  std::optional<Address> to;
  U256 value{};
  Bytes data;
};

struct SignedTx {
  Bytes raw;       // what eth_sendRawTransaction takes
  Hash32 hash;     // Keccak-256(raw): the transaction hash
  uint64_t v = 0;  // legacy: EIP-155 v; type 2: y parity (0/1)
  std::array<uint8_t, 32> r{};
  std::array<uint8_t, 32> s{};
};

// RLP(nonce, gasPrice, gas, to, value, data, chainId, 0, 0) (EIP-155 signing data).
Bytes SigningPayload(const LegacyTx& tx);
// 0x02 || RLP(chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, accessList).
Bytes SigningPayload(const Eip1559Tx& tx);
Hash32 SigningHash(const LegacyTx& tx);
Hash32 SigningHash(const Eip1559Tx& tx);

Result<SignedTx> SignTransaction(const LegacyTx& tx, const Signer& signer);
Result<SignedTx> SignTransaction(const Eip1559Tx& tx, const Signer& signer);

// A parsed signed transaction (legacy EIP-155 / pre-EIP-155, or type 2 with any access list).
struct DecodedTx {
  int type = 0;                      // 0 legacy, 2 EIP-1559
  std::optional<uint64_t> chain_id;  // absent for pre-EIP-155 legacy (v = 27/28)
  uint64_t nonce = 0;
  uint64_t gas_limit = 0;
  std::optional<Address> to;
  U256 value{};
  Bytes data;
  Hash32 hash{};
  Hash32 signing_hash{};
  Address sender{};  // recovered from the signature
};

// Parses raw signed bytes and recovers the sender. Rejects other types, malformed RLP,
// non-canonical integers, high-S signatures and bad v values.
Result<DecodedTx> DecodeSignedTransaction(ByteView raw);

}  // namespace teecloud::chain
