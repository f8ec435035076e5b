// Typed bindings for teecloud's governance contracts (contracts/src): TeeCloudRegistry,
// AppController and AppFactory. Hand-written over abi.h:
//   - views are methods that eth_call the contract at a fixed block and decode the answer;
//   - transactions are static functions that return call data (send it with TransactionSender
//     to the contract's address);
//   - events decode into ContractEvent (for audit history), custom errors into readable
//     reverts ("TimelockNotElapsed(readyAt=1700003600, nowTs=1700000001)").
// The signatures here are checked against the compiled ABI in contracts_test.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "chain/abi.h"
#include "chain/eth_rpc.h"
#include "chain/types.h"

namespace teecloud::chain {

// What a KMS member knows about a booting CVM (contracts/src/TeeCloudTypes.sol).
struct BootInfo {
  Address app_id{};
  Hash32 manifest_hash{};
  Address instance_id{};
  Hash32 device_id{};
  Hash32 mr_aggregated{};
  Hash32 os_image_hash{};
  std::string tcb_status;
  uint64_t manifest_version = 0;

  friend bool operator==(const BootInfo&, const BootInfo&) = default;
};

inline constexpr char kBootInfoType[] =
    "(address,bytes32,address,bytes32,bytes32,bytes32,string,uint64)";
AbiValue BootInfoToAbi(const BootInfo& b);

// JSON form (snake_case, hex strings): {"app_id", "manifest_hash", "instance_id", "device_id",
// "mr_aggregated", "os_image_hash", "tcb_status", "manifest_version"}. manifest_hash,
// os_image_hash and manifest_version are required; app_id defaults to `default_app` (when
// given); the other ids default to zero and tcb_status to "". Unknown keys are rejected.
Result<BootInfo> BootInfoFromJson(const Json& j, const std::optional<Address>& default_app);
OrderedJson BootInfoToJson(const BootInfo& b);

// isAppAllowed / isKmsAllowed answer: never a revert for a refusal.
struct BootDecision {
  bool allowed = false;
  std::string reason;  // empty when allowed
};

// eth_call of one contract at one block.
class ContractCaller {
 public:
  ContractCaller(EthRpc& rpc, const Address& address, const BlockRef& block)
      : rpc_(rpc), address_(address), block_(block) {}
  // `signature` "name(type,...)", `returns` "type,...". An empty answer from an address is
  // kNotFound ("no contract ..."), undecodable data kDataLoss.
  Result<std::vector<AbiValue>> Call(std::string_view signature, const std::vector<AbiValue>& args,
                                     std::string_view returns);
  const Address& address() const { return address_; }
  const BlockRef& block() const { return block_; }

 private:
  EthRpc& rpc_;
  Address address_;
  BlockRef block_;
};

class RegistryContract {
 public:
  RegistryContract(EthRpc& rpc, const Address& address, const BlockRef& block = BlockRef::Latest())
      : caller_(rpc, address, block) {}
  const Address& address() const { return caller_.address(); }

  Result<Address> Owner();
  Result<Address> PendingOwner();
  Result<uint64_t> MinUpgradeDelay();
  Result<Address> AppFactory();
  Result<std::vector<Hash32>> OsImages();
  Result<bool> IsOsImageAllowed(const Hash32& os_image);
  Result<bool> IsAppRegistered(const Address& app);
  Result<uint64_t> AppCount();
  Result<std::vector<Address>> Apps(uint64_t start, uint64_t count);
  Result<uint64_t> KmsThreshold();
  Result<std::vector<Hash32>> KmsMemberIds();
  Result<std::vector<Hash32>> KmsMrs();
  Result<BootDecision> IsAppAllowed(const BootInfo& boot);
  Result<BootDecision> IsKmsAllowed(const BootInfo& boot);

  // Transactions (owner only).
  static Bytes AddOsImage(const Hash32& os_image);
  static Bytes RemoveOsImage(const Hash32& os_image);
  static Bytes SetAppFactory(const Address& factory);
  static Bytes SetMinUpgradeDelay(uint64_t seconds);
  // ABI-encoded constructor(address initialOwner, uint64 minUpgradeDelay), to append to the
  // creation bytecode.
  static Bytes ConstructorArgs(const Address& owner, uint64_t min_upgrade_delay);

 private:
  ContractCaller caller_;
};

// AppController.Config: the settings of a new app.
struct AppConfig {
  Address owner{};
  Address guardian{};  // zero: none
  uint64_t upgrade_delay = 0;
  Hash32 manifest_hash{};
  uint64_t manifest_version = 1;
  bool allow_any_device = true;
  std::vector<Hash32> devices;
  bool require_up_to_date_tcb = false;
};

struct ManifestEntry {
  Hash32 hash{};
  uint64_t version = 0;
};

struct PendingProposal {
  Hash32 hash{};
  uint64_t version = 0;
  uint64_t ready_at = 0;  // Unix seconds (block timestamp) from which activate() succeeds
};

// Everything `teecloud app status` shows, read at one block.
struct AppState {
  Address owner{};
  Address pending_owner{};
  Address guardian{};
  Address pending_guardian{};
  uint64_t pending_guardian_ready_at = 0;  // 0: none pending
  bool frozen = false;
  uint64_t min_version = 0;
  uint64_t upgrade_delay = 0;
  uint64_t effective_upgrade_delay = 0;
  uint64_t pending_delay = 0;
  uint64_t pending_delay_ready_at = 0;  // 0: none pending
  bool allow_any_device = false;
  bool require_up_to_date_tcb = false;
  std::vector<ManifestEntry> manifests;
  std::vector<PendingProposal> proposals;
  std::vector<Hash32> devices;
};

class AppControllerContract {
 public:
  AppControllerContract(EthRpc& rpc, const Address& address,
                        const BlockRef& block = BlockRef::Latest())
      : caller_(rpc, address, block) {}
  const Address& address() const { return caller_.address(); }

  Result<Address> Owner();
  Result<Address> Guardian();
  Result<bool> Frozen();
  Result<uint64_t> MinVersion();
  Result<uint64_t> UpgradeDelay();
  Result<uint64_t> EffectiveUpgradeDelay();
  Result<Address> Registry();
  Result<std::vector<Hash32>> AllowedManifests();
  Result<uint64_t> ManifestVersion(const Hash32& manifest);
  Result<std::vector<Hash32>> PendingProposals();
  Result<PendingProposal> Proposal(const Hash32& manifest);  // version 0: none
  Result<std::vector<Hash32>> Devices();
  Result<BootDecision> IsAppAllowed(const BootInfo& boot);
  Result<AppState> ReadState();

  // Transactions (owner; Cancel also the guardian).
  static Bytes Propose(const Hash32& manifest, uint64_t version);
  static Bytes Activate(const Hash32& manifest);
  static Bytes ActivateAndRaiseMinVersion(const Hash32& manifest);
  static Bytes Cancel(const Hash32& manifest);
  static Bytes Revoke(const Hash32& manifest);
  static Bytes RaiseMinVersion(uint64_t version);
  static Bytes Freeze();
  static Bytes AddDevice(const Hash32& device);
  static Bytes RemoveDevice(const Hash32& device);
  static Bytes SetAllowAnyDevice(bool allow_any);
  static Bytes SetRequireUpToDateTcb(bool required);
  static Bytes SetGuardian(const Address& guardian);
  static Bytes SetUpgradeDelay(uint64_t seconds);

 private:
  ContractCaller caller_;
};

class AppFactoryContract {
 public:
  static Bytes CreateApp(const AppConfig& config);
  // ABI-encoded constructor(ITeeCloudRegistry registry).
  static Bytes ConstructorArgs(const Address& registry);
  // The app a createApp transaction created: its AppCreated event emitted by `factory`.
  static Result<Address> CreatedApp(const TxReceipt& receipt, const Address& factory);
};

// ---------------------------------------------------------------- events and errors

// One decoded event. Values are display strings: addresses EIP-55, bytes32/bytes 0x-hex,
// integers decimal, bools true/false.
struct ContractEvent {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;
  Address address{};
  uint64_t block_number = 0;
  Hash32 transaction_hash{};
  uint64_t log_index = 0;

  // "ManifestProposed(manifestHash=0x.., version=2, readyAt=1700003600)"
  std::string ToString() const;
};

// An event or custom error the bindings know, e.g. "ManifestProposed(bytes32 indexed
// manifestHash, uint64 version, uint64 readyAt)".
struct AbiItemSpec {
  std::string declaration;
  std::string name;
  std::string signature;  // canonical "ManifestProposed(bytes32,uint64,uint64)"
  std::vector<std::string> param_names;
  std::vector<AbiType> param_types;
  std::vector<bool> indexed;
};
// Events of TeeCloudRegistry, AppController, AppFactory and OpenZeppelin's Ownable2Step.
const std::vector<AbiItemSpec>& KnownEvents();
// Custom errors of the same contracts.
const std::vector<AbiItemSpec>& KnownErrors();

// nullopt for events the bindings do not know; an error for a known event whose data does not
// decode.
Result<std::optional<ContractEvent>> DecodeEvent(const Log& log);
// Every known event of `address` in [from, to], in chain order.
Result<std::vector<ContractEvent>> ReadEvents(EthRpc& rpc, const Address& address,
                                              const BlockRef& from, const BlockRef& to);

// A RevertDecoder that also knows the contracts' custom errors.
std::string DecodeTeeCloudRevert(ByteView revert_data);

}  // namespace teecloud::chain
