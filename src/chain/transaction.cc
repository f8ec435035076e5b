#include "chain/transaction.h"

#include <algorithm>
#include <vector>

#include "chain/rlp.h"
#include "crypto/hash.h"

namespace teecloud::chain {

namespace {

// secp256k1 group order n / 2: EIP-2 (Homestead) rejects s above it.
constexpr std::array<uint8_t, 32> kHalfOrder = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

RlpItem RlpTo(const std::optional<Address>& to) {
  return to ? RlpBytes(View(*to)) : RlpBytes(ByteView());
}

std::vector<RlpItem> LegacyFields(const LegacyTx& tx) {
  return {RlpUint(tx.nonce),
          RlpUint(tx.gas_price),
          RlpUint(tx.gas_limit),
          RlpTo(tx.to),
          RlpUint256(ByteView(tx.value.data(), tx.value.size())),
          RlpBytes(tx.data)};
}

std::vector<RlpItem> Eip1559Fields(const Eip1559Tx& tx) {
  return {RlpUint(tx.chain_id),
          RlpUint(tx.nonce),
          RlpUint(tx.max_priority_fee_per_gas),
          RlpUint(tx.max_fee_per_gas),
          RlpUint(tx.gas_limit),
          RlpTo(tx.to),
          RlpUint256(ByteView(tx.value.data(), tx.value.size())),
          RlpBytes(tx.data),
          RlpList({})};
}

Hash32 Keccak(ByteView b) { return crypto::Keccak256(b); }

// A canonical big-endian integer of at most 32 bytes (no leading zero byte).
Result<std::array<uint8_t, 32>> RlpToWord(const RlpItem& item, std::string_view what) {
  if (!item.is_bytes()) return InvalidArgument(std::string(what) + ": expected a byte string");
  const Bytes& b = item.bytes();
  if (b.size() > 32) return InvalidArgument(std::string(what) + ": longer than 32 bytes");
  if (!b.empty() && b[0] == 0) return InvalidArgument(std::string(what) + ": leading zero");
  std::array<uint8_t, 32> w{};
  std::copy(b.begin(), b.end(), w.end() - static_cast<ptrdiff_t>(b.size()));
  return w;
}

Result<uint64_t> RlpToU64(const RlpItem& item, std::string_view what) {
  if (!item.is_bytes()) return InvalidArgument(std::string(what) + ": expected a byte string");
  auto v = RlpToUint64(item);
  if (!v) return InvalidArgument(std::string(what) + ": " + v.error().message);
  return *v;
}

Result<std::optional<Address>> RlpToAddress(const RlpItem& item) {
  if (!item.is_bytes()) return InvalidArgument("to: expected a byte string");
  if (item.bytes().empty()) return std::optional<Address>();
  ASSIGN_OR_RETURN(Address a, AddressFromBytes(item.bytes()));
  return std::optional<Address>(a);
}

Result<Address> Recover(const Hash32& digest, const std::array<uint8_t, 32>& r,
                        const std::array<uint8_t, 32>& s, uint8_t recovery_id) {
  if (IsAllZero(ByteView(r.data(), r.size())) || IsAllZero(ByteView(s.data(), s.size()))) {
    return InvalidArgument("signature: zero r or s");
  }
  if (std::lexicographical_compare(kHalfOrder.begin(), kHalfOrder.end(), s.begin(), s.end())) {
    return InvalidArgument("signature: high s (EIP-2)");
  }
  crypto::RecoverableSignature sig;
  sig.r = r;
  sig.s = s;
  sig.recovery_id = recovery_id;
  auto pub = crypto::Secp256k1Recover(View(digest), sig);
  if (!pub) return InvalidArgument("signature: cannot recover the sender");
  return crypto::EthAddressFromPublicKey(*pub);
}

}  // namespace

Bytes SigningPayload(const LegacyTx& tx) {
  std::vector<RlpItem> f = LegacyFields(tx);
  f.push_back(RlpUint(tx.chain_id));
  f.push_back(RlpUint(0));
  f.push_back(RlpUint(0));
  return RlpEncode(RlpList(std::move(f)));
}

Bytes SigningPayload(const Eip1559Tx& tx) {
  Bytes out = {0x02};
  Bytes body = RlpEncode(RlpList(Eip1559Fields(tx)));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Hash32 SigningHash(const LegacyTx& tx) { return Keccak(SigningPayload(tx)); }
Hash32 SigningHash(const Eip1559Tx& tx) { return Keccak(SigningPayload(tx)); }

Result<SignedTx> SignTransaction(const LegacyTx& tx, const Signer& signer) {
  if (tx.chain_id == 0 || tx.chain_id > (UINT64_MAX - 36) / 2) {
    return InvalidArgument("legacy transaction: chain id out of range for EIP-155");
  }
  ASSIGN_OR_RETURN(crypto::RecoverableSignature sig, signer.SignDigest(SigningHash(tx)));
  SignedTx out;
  out.v = tx.chain_id * 2 + 35 + sig.recovery_id;
  out.r = sig.r;
  out.s = sig.s;
  std::vector<RlpItem> f = LegacyFields(tx);
  f.push_back(RlpUint(out.v));
  f.push_back(RlpUint256(ByteView(out.r.data(), out.r.size())));
  f.push_back(RlpUint256(ByteView(out.s.data(), out.s.size())));
  out.raw = RlpEncode(RlpList(std::move(f)));
  out.hash = Keccak(out.raw);
  return out;
}

Result<SignedTx> SignTransaction(const Eip1559Tx& tx, const Signer& signer) {
  if (tx.max_priority_fee_per_gas > tx.max_fee_per_gas) {
    return InvalidArgument("EIP-1559 transaction: max priority fee above max fee");
  }
  ASSIGN_OR_RETURN(crypto::RecoverableSignature sig, signer.SignDigest(SigningHash(tx)));
  SignedTx out;
  out.v = sig.recovery_id;
  out.r = sig.r;
  out.s = sig.s;
  std::vector<RlpItem> f = Eip1559Fields(tx);
  f.push_back(RlpUint(out.v));
  f.push_back(RlpUint256(ByteView(out.r.data(), out.r.size())));
  f.push_back(RlpUint256(ByteView(out.s.data(), out.s.size())));
  Bytes body = RlpEncode(RlpList(std::move(f)));
  out.raw = {0x02};
  out.raw.insert(out.raw.end(), body.begin(), body.end());
  out.hash = Keccak(out.raw);
  return out;
}

Result<DecodedTx> DecodeSignedTransaction(ByteView raw) {
  if (raw.empty()) return InvalidArgument("transaction: empty");
  DecodedTx tx;
  tx.hash = Keccak(raw);
  if (raw[0] >= 0xc0) {
    // Legacy: RLP([nonce, gasPrice, gas, to, value, data, v, r, s]).
    ASSIGN_OR_RETURN(RlpItem item, RlpDecode(raw));
    if (!item.is_list() || item.list().size() != 9) {
      return InvalidArgument("legacy transaction: expected a list of 9 items");
    }
    const auto& f = item.list();
    tx.type = 0;
    ASSIGN_OR_RETURN(tx.nonce, RlpToU64(f[0], "nonce"));
    ASSIGN_OR_RETURN(uint64_t gas_price, RlpToU64(f[1], "gasPrice"));
    (void)gas_price;
    ASSIGN_OR_RETURN(tx.gas_limit, RlpToU64(f[2], "gas"));
    ASSIGN_OR_RETURN(tx.to, RlpToAddress(f[3]));
    ASSIGN_OR_RETURN(tx.value, RlpToWord(f[4], "value"));
    if (!f[5].is_bytes()) return InvalidArgument("data: expected a byte string");
    tx.data = f[5].bytes();
    ASSIGN_OR_RETURN(uint64_t v, RlpToU64(f[6], "v"));
    ASSIGN_OR_RETURN(auto r, RlpToWord(f[7], "r"));
    ASSIGN_OR_RETURN(auto s, RlpToWord(f[8], "s"));
    std::vector<RlpItem> unsigned_fields(f.begin(), f.begin() + 6);
    uint8_t recovery_id = 0;
    if (v == 27 || v == 28) {
      recovery_id = static_cast<uint8_t>(v - 27);
    } else if (v >= 35) {
      tx.chain_id = (v - 35) / 2;
      recovery_id = static_cast<uint8_t>((v - 35) % 2);
      unsigned_fields.push_back(RlpUint(*tx.chain_id));
      unsigned_fields.push_back(RlpUint(0));
      unsigned_fields.push_back(RlpUint(0));
    } else {
      return InvalidArgument("legacy transaction: bad v");
    }
    tx.signing_hash = Keccak(RlpEncode(RlpList(std::move(unsigned_fields))));
    ASSIGN_OR_RETURN(tx.sender, Recover(tx.signing_hash, r, s, recovery_id));
    return tx;
  }
  if (raw[0] != 0x02) return InvalidArgument("transaction: unsupported type");
  // Type 2: 0x02 || RLP([chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data,
  //                      accessList, yParity, r, s]).
  ASSIGN_OR_RETURN(RlpItem item, RlpDecode(raw.subspan(1)));
  if (!item.is_list() || item.list().size() != 12) {
    return InvalidArgument("EIP-1559 transaction: expected a list of 12 items");
  }
  const auto& f = item.list();
  tx.type = 2;
  ASSIGN_OR_RETURN(uint64_t chain_id, RlpToU64(f[0], "chainId"));
  tx.chain_id = chain_id;
  ASSIGN_OR_RETURN(tx.nonce, RlpToU64(f[1], "nonce"));
  ASSIGN_OR_RETURN(uint64_t tip, RlpToU64(f[2], "maxPriorityFeePerGas"));
  ASSIGN_OR_RETURN(uint64_t max_fee, RlpToU64(f[3], "maxFeePerGas"));
  (void)tip;
  (void)max_fee;
  ASSIGN_OR_RETURN(tx.gas_limit, RlpToU64(f[4], "gas"));
  ASSIGN_OR_RETURN(tx.to, RlpToAddress(f[5]));
  ASSIGN_OR_RETURN(tx.value, RlpToWord(f[6], "value"));
  if (!f[7].is_bytes()) return InvalidArgument("data: expected a byte string");
  tx.data = f[7].bytes();
  if (!f[8].is_list()) return InvalidArgument("accessList: expected a list");
  ASSIGN_OR_RETURN(uint64_t parity, RlpToU64(f[9], "yParity"));
  if (parity > 1) return InvalidArgument("EIP-1559 transaction: yParity must be 0 or 1");
  ASSIGN_OR_RETURN(auto r, RlpToWord(f[10], "r"));
  ASSIGN_OR_RETURN(auto s, RlpToWord(f[11], "s"));
  Bytes payload = {0x02};
  Bytes body = RlpEncode(RlpList(std::vector<RlpItem>(f.begin(), f.begin() + 9)));
  payload.insert(payload.end(), body.begin(), body.end());
  tx.signing_hash = Keccak(payload);
  ASSIGN_OR_RETURN(tx.sender, Recover(tx.signing_hash, r, s, static_cast<uint8_t>(parity)));
  return tx;
}

}  // namespace teecloud::chain
