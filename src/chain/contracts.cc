#include "chain/contracts.h"

#include <algorithm>
#include <set>

#include "crypto/hash.h"

namespace teecloud::chain {

namespace {

AbiValue Addr(const Address& a) { return AbiBytes(View(a)); }
AbiValue B32(const Hash32& h) { return AbiBytes(View(h)); }

// Call data for a fixed, well-typed signature: encoding cannot fail.
Bytes Encode(std::string_view signature, const std::vector<AbiValue>& args) {
  auto data = EncodeCall(signature, args);
  TEECLOUD_CHECK(data.has_value());
  return std::move(*data);
}

Bytes EncodeArgs(std::string_view types, const std::vector<AbiValue>& args) {
  auto parsed = ParseAbiTypeList(types);
  TEECLOUD_CHECK(parsed.has_value());
  auto data = AbiEncode(*parsed, args);
  TEECLOUD_CHECK(data.has_value());
  return std::move(*data);
}

Result<Address> ToAddress(const AbiValue& v) {
  ASSIGN_OR_RETURN(Bytes b, AbiToBytes(v));
  return AddressFromBytes(b);
}

Result<Hash32> ToHash(const AbiValue& v) {
  ASSIGN_OR_RETURN(Bytes b, AbiToBytes(v));
  return Hash32FromBytes(b);
}

Result<std::vector<Hash32>> ToHashList(const AbiValue& v) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> items, AbiToList(v));
  std::vector<Hash32> out;
  out.reserve(items.size());
  for (const AbiValue& item : items) {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(item));
    out.push_back(h);
  }
  return out;
}

Result<std::vector<Address>> ToAddressList(const AbiValue& v) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> items, AbiToList(v));
  std::vector<Address> out;
  out.reserve(items.size());
  for (const AbiValue& item : items) {
    ASSIGN_OR_RETURN(Address a, ToAddress(item));
    out.push_back(a);
  }
  return out;
}

Result<BootDecision> ToDecision(const std::vector<AbiValue>& v) {
  BootDecision d;
  ASSIGN_OR_RETURN(d.allowed, AbiToBool(v.at(0)));
  ASSIGN_OR_RETURN(d.reason, AbiToString(v.at(1)));
  return d;
}

// Sugar for single-value views.
template <typename T, typename F>
Result<T> One(ContractCaller& c, std::string_view sig, const std::vector<AbiValue>& args,
              std::string_view returns, F convert) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> out, c.Call(sig, args, returns));
  auto v = convert(out.at(0));
  if (!v) return DataLoss(std::string(sig) + ": " + v.error().message);
  return *v;
}

Result<Address> AddressView(ContractCaller& c, std::string_view sig) {
  return One<Address>(c, sig, {}, "address", ToAddress);
}
Result<uint64_t> UintView(ContractCaller& c, std::string_view sig, std::string_view type,
                          const std::vector<AbiValue>& args = {}) {
  return One<uint64_t>(c, sig, args, type, AbiToUint64);
}
Result<bool> BoolView(ContractCaller& c, std::string_view sig,
                      const std::vector<AbiValue>& args = {}) {
  return One<bool>(c, sig, args, "bool", AbiToBool);
}
Result<std::vector<Hash32>> HashListView(ContractCaller& c, std::string_view sig) {
  return One<std::vector<Hash32>>(c, sig, {}, "bytes32[]", ToHashList);
}

// Display form of a decoded value of `type`.
std::string Display(const AbiType& type, const AbiValue& v) {
  switch (type.kind) {
    case AbiType::Kind::kAddress: {
      auto a = ToAddress(v);
      return a ? ChecksumAddress(*a) : "?";
    }
    case AbiType::Kind::kBool: {
      auto b = AbiToBool(v);
      return b ? (*b ? "true" : "false") : "?";
    }
    case AbiType::Kind::kUint: {
      auto w = AbiToWord(v);
      return w ? U256ToDecimal(*w) : "?";
    }
    case AbiType::Kind::kInt: {
      auto i = AbiToInt64(v);
      if (i) return std::to_string(*i);
      auto w = AbiToWord(v);
      return w ? HexData(*w) : "?";
    }
    case AbiType::Kind::kString: {
      auto s = AbiToString(v);
      if (!s) return "?";
      std::string out;
      for (char c : s->substr(0, 256)) out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
      return "\"" + out + "\"";
    }
    case AbiType::Kind::kFixedBytes:
    case AbiType::Kind::kBytes: {
      auto b = AbiToBytes(v);
      return b ? HexData(*b) : "?";
    }
    default:
      return "(" + type.ToString() + ")";
  }
}

AbiItemSpec ParseSpec(std::string_view declaration) {
  AbiItemSpec spec;
  spec.declaration = std::string(declaration);
  const size_t open = declaration.find('(');
  TEECLOUD_CHECK(open != std::string_view::npos && declaration.back() == ')');
  spec.name = std::string(declaration.substr(0, open));
  std::string_view params = declaration.substr(open + 1, declaration.size() - open - 2);
  std::string types;
  while (!params.empty()) {
    size_t comma = params.find(',');
    std::string_view param = params.substr(0, comma);
    params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
    while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
    std::vector<std::string_view> words;
    while (!param.empty()) {
      size_t sp = param.find(' ');
      words.push_back(param.substr(0, sp));
      param = sp == std::string_view::npos ? std::string_view() : param.substr(sp + 1);
    }
    TEECLOUD_CHECK(words.size() == 2 || (words.size() == 3 && words[1] == "indexed"));
    auto type = ParseAbiType(words[0]);
    TEECLOUD_CHECK(type.has_value());
    if (!types.empty()) types += ",";
    types += type->ToString();
    spec.param_types.push_back(*type);
    spec.param_names.emplace_back(words.back());
    spec.indexed.push_back(words.size() == 3);
  }
  spec.signature = spec.name + "(" + types + ")";
  return spec;
}

std::vector<AbiItemSpec> ParseSpecs(std::initializer_list<std::string_view> declarations) {
  std::vector<AbiItemSpec> out;
  for (std::string_view d : declarations) out.push_back(ParseSpec(d));
  return out;
}

std::string FormatItem(const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = name + "(";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ", ";
    out += fields[i].first + "=" + fields[i].second;
  }
  return out + ")";
}

// Reads a JSON hex field into an array; absent -> zero unless required.
template <typename T, typename F>
Status HexField(const Json& j, const char* key, bool required, T& out, F parse) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return InvalidArgument(std::string("boot info: ") + key + " is required");
    return OkStatus();
  }
  if (!it->is_string())
    return InvalidArgument(std::string("boot info: ") + key + ": expected a hex string");
  auto v = parse(it->get<std::string>());
  if (!v) return InvalidArgument(std::string("boot info: ") + key + ": " + v.error().message);
  out = *v;
  return OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- BootInfo

AbiValue BootInfoToAbi(const BootInfo& b) {
  return AbiList({Addr(b.app_id), B32(b.manifest_hash), Addr(b.instance_id), B32(b.device_id),
                  B32(b.mr_aggregated), B32(b.os_image_hash), AbiString(b.tcb_status),
                  AbiUint(b.manifest_version)});
}

Result<BootInfo> BootInfoFromJson(const Json& j, const std::optional<Address>& default_app) {
  if (!j.is_object()) return InvalidArgument("boot info: expected a JSON object");
  static const std::set<std::string> kKeys = {"app_id",     "manifest_hash",   "instance_id",
                                              "device_id",  "mr_aggregated",   "os_image_hash",
                                              "tcb_status", "manifest_version"};
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.contains(key)) return InvalidArgument("boot info: unknown field \"" + key + "\"");
  }
  BootInfo b;
  if (default_app) b.app_id = *default_app;
  RETURN_IF_ERROR(HexField(j, "app_id", !default_app, b.app_id, ParseAddress));
  RETURN_IF_ERROR(HexField(j, "manifest_hash", true, b.manifest_hash, ParseHash32));
  RETURN_IF_ERROR(HexField(j, "instance_id", false, b.instance_id, ParseAddress));
  RETURN_IF_ERROR(HexField(j, "device_id", false, b.device_id, ParseHash32));
  RETURN_IF_ERROR(HexField(j, "mr_aggregated", false, b.mr_aggregated, ParseHash32));
  RETURN_IF_ERROR(HexField(j, "os_image_hash", true, b.os_image_hash, ParseHash32));
  if (auto it = j.find("tcb_status"); it != j.end()) {
    if (!it->is_string()) return InvalidArgument("boot info: tcb_status: expected a string");
    b.tcb_status = it->get<std::string>();
  }
  auto version = j.find("manifest_version");
  if (version == j.end() || !version->is_number_unsigned()) {
    return InvalidArgument("boot info: manifest_version: expected a non-negative integer");
  }
  b.manifest_version = version->get<uint64_t>();
  return b;
}

OrderedJson BootInfoToJson(const BootInfo& b) {
  OrderedJson j;
  j["app_id"] = ChecksumAddress(b.app_id);
  j["manifest_hash"] = HexData(b.manifest_hash);
  j["instance_id"] = ChecksumAddress(b.instance_id);
  j["device_id"] = HexData(b.device_id);
  j["mr_aggregated"] = HexData(b.mr_aggregated);
  j["os_image_hash"] = HexData(b.os_image_hash);
  j["tcb_status"] = b.tcb_status;
  j["manifest_version"] = b.manifest_version;
  return j;
}

// ---------------------------------------------------------------- ContractCaller

Result<std::vector<AbiValue>> ContractCaller::Call(std::string_view signature,
                                                   const std::vector<AbiValue>& args,
                                                   std::string_view returns) {
  ASSIGN_OR_RETURN(Bytes data, EncodeCall(signature, args));
  CallRequest request;
  request.to = address_;
  request.data = std::move(data);
  ASSIGN_OR_RETURN(Bytes out, rpc_.Call(request, block_));
  ASSIGN_OR_RETURN(std::vector<AbiType> types, ParseAbiTypeList(returns));
  if (out.empty() && !types.empty()) {
    return NotFound("no contract at " + ChecksumAddress(address_) + " answered " +
                    std::string(signature) + " (wrong address or chain?)");
  }
  auto decoded = AbiDecode(types, out);
  if (!decoded) {
    return DataLoss(std::string(signature) + " at " + ChecksumAddress(address_) +
                    ": undecodable answer: " + decoded.error().message);
  }
  return decoded;
}

// ---------------------------------------------------------------- TeeCloudRegistry

Result<Address> RegistryContract::Owner() { return AddressView(caller_, "owner()"); }
Result<Address> RegistryContract::PendingOwner() { return AddressView(caller_, "pendingOwner()"); }
Result<uint64_t> RegistryContract::MinUpgradeDelay() {
  return UintView(caller_, "minUpgradeDelay()", "uint64");
}
Result<Address> RegistryContract::AppFactory() { return AddressView(caller_, "appFactory()"); }
Result<std::vector<Hash32>> RegistryContract::OsImages() {
  return HashListView(caller_, "osImages()");
}
Result<bool> RegistryContract::IsOsImageAllowed(const Hash32& os_image) {
  return BoolView(caller_, "isOsImageAllowed(bytes32)", {B32(os_image)});
}
Result<bool> RegistryContract::IsAppRegistered(const Address& app) {
  return BoolView(caller_, "isAppRegistered(address)", {Addr(app)});
}
Result<uint64_t> RegistryContract::AppCount() { return UintView(caller_, "appCount()", "uint256"); }
Result<std::vector<Address>> RegistryContract::Apps(uint64_t start, uint64_t count) {
  return One<std::vector<Address>>(caller_, "apps(uint256,uint256)",
                                   {AbiUint(start), AbiUint(count)}, "address[]", ToAddressList);
}
Result<uint64_t> RegistryContract::KmsThreshold() {
  return UintView(caller_, "kmsThreshold()", "uint16");
}
Result<std::vector<Hash32>> RegistryContract::KmsMemberIds() {
  return HashListView(caller_, "kmsMemberIds()");
}
Result<std::vector<Hash32>> RegistryContract::KmsMrs() { return HashListView(caller_, "kmsMrs()"); }

Result<BootDecision> RegistryContract::IsAppAllowed(const BootInfo& boot) {
  ASSIGN_OR_RETURN(auto out, caller_.Call(std::string("isAppAllowed(") + kBootInfoType + ")",
                                          {BootInfoToAbi(boot)}, "bool,string"));
  return ToDecision(out);
}

Result<BootDecision> RegistryContract::IsKmsAllowed(const BootInfo& boot) {
  ASSIGN_OR_RETURN(auto out, caller_.Call(std::string("isKmsAllowed(") + kBootInfoType + ")",
                                          {BootInfoToAbi(boot)}, "bool,string"));
  return ToDecision(out);
}

Bytes RegistryContract::AddOsImage(const Hash32& os_image) {
  return Encode("addOsImage(bytes32)", {B32(os_image)});
}
Bytes RegistryContract::RemoveOsImage(const Hash32& os_image) {
  return Encode("removeOsImage(bytes32)", {B32(os_image)});
}
Bytes RegistryContract::SetAppFactory(const Address& factory) {
  return Encode("setAppFactory(address)", {Addr(factory)});
}
Bytes RegistryContract::SetMinUpgradeDelay(uint64_t seconds) {
  return Encode("setMinUpgradeDelay(uint64)", {AbiUint(seconds)});
}
Bytes RegistryContract::ConstructorArgs(const Address& owner, uint64_t min_upgrade_delay) {
  return EncodeArgs("address,uint64", {Addr(owner), AbiUint(min_upgrade_delay)});
}

// ---------------------------------------------------------------- AppController

Result<Address> AppControllerContract::Owner() { return AddressView(caller_, "owner()"); }
Result<Address> AppControllerContract::Guardian() { return AddressView(caller_, "guardian()"); }
Result<bool> AppControllerContract::Frozen() { return BoolView(caller_, "frozen()"); }
Result<uint64_t> AppControllerContract::MinVersion() {
  return UintView(caller_, "minVersion()", "uint64");
}
Result<uint64_t> AppControllerContract::UpgradeDelay() {
  return UintView(caller_, "upgradeDelay()", "uint64");
}
Result<uint64_t> AppControllerContract::EffectiveUpgradeDelay() {
  return UintView(caller_, "effectiveUpgradeDelay()", "uint64");
}
Result<Address> AppControllerContract::Registry() { return AddressView(caller_, "registry()"); }
Result<std::vector<Hash32>> AppControllerContract::AllowedManifests() {
  return HashListView(caller_, "allowedManifests()");
}
Result<uint64_t> AppControllerContract::ManifestVersion(const Hash32& manifest) {
  return UintView(caller_, "manifestVersion(bytes32)", "uint64", {B32(manifest)});
}
Result<std::vector<Hash32>> AppControllerContract::PendingProposals() {
  return HashListView(caller_, "pendingProposals()");
}
Result<PendingProposal> AppControllerContract::Proposal(const Hash32& manifest) {
  ASSIGN_OR_RETURN(auto out, caller_.Call("proposal(bytes32)", {B32(manifest)}, "(uint64,uint64)"));
  ASSIGN_OR_RETURN(std::vector<AbiValue> fields, AbiToList(out.at(0)));
  PendingProposal p;
  p.hash = manifest;
  ASSIGN_OR_RETURN(p.version, AbiToUint64(fields.at(0)));
  ASSIGN_OR_RETURN(p.ready_at, AbiToUint64(fields.at(1)));
  return p;
}
Result<std::vector<Hash32>> AppControllerContract::Devices() {
  return HashListView(caller_, "devices()");
}
Result<BootDecision> AppControllerContract::IsAppAllowed(const BootInfo& boot) {
  ASSIGN_OR_RETURN(auto out, caller_.Call(std::string("isAppAllowed(") + kBootInfoType + ")",
                                          {BootInfoToAbi(boot)}, "bool,string"));
  return ToDecision(out);
}

Result<AppState> AppControllerContract::ReadState() {
  AppState s;
  ASSIGN_OR_RETURN(s.owner, Owner());
  ASSIGN_OR_RETURN(s.pending_owner, AddressView(caller_, "pendingOwner()"));
  ASSIGN_OR_RETURN(s.guardian, Guardian());
  ASSIGN_OR_RETURN(s.pending_guardian, AddressView(caller_, "pendingGuardian()"));
  ASSIGN_OR_RETURN(s.pending_guardian_ready_at,
                   UintView(caller_, "pendingGuardianReadyAt()", "uint64"));
  ASSIGN_OR_RETURN(s.frozen, Frozen());
  ASSIGN_OR_RETURN(s.min_version, MinVersion());
  ASSIGN_OR_RETURN(s.upgrade_delay, UpgradeDelay());
  ASSIGN_OR_RETURN(s.effective_upgrade_delay, EffectiveUpgradeDelay());
  ASSIGN_OR_RETURN(s.pending_delay, UintView(caller_, "pendingDelay()", "uint64"));
  ASSIGN_OR_RETURN(s.pending_delay_ready_at, UintView(caller_, "pendingDelayReadyAt()", "uint64"));
  ASSIGN_OR_RETURN(s.allow_any_device, BoolView(caller_, "allowAnyDevice()"));
  ASSIGN_OR_RETURN(s.require_up_to_date_tcb, BoolView(caller_, "requireUpToDateTcb()"));
  ASSIGN_OR_RETURN(std::vector<Hash32> manifests, AllowedManifests());
  for (const Hash32& h : manifests) {
    ASSIGN_OR_RETURN(uint64_t version, ManifestVersion(h));
    s.manifests.push_back({h, version});
  }
  ASSIGN_OR_RETURN(std::vector<Hash32> pending, PendingProposals());
  for (const Hash32& h : pending) {
    ASSIGN_OR_RETURN(PendingProposal p, Proposal(h));
    s.proposals.push_back(p);
  }
  ASSIGN_OR_RETURN(s.devices, Devices());
  return s;
}

Bytes AppControllerContract::Propose(const Hash32& manifest, uint64_t version) {
  return Encode("propose(bytes32,uint64)", {B32(manifest), AbiUint(version)});
}
Bytes AppControllerContract::Activate(const Hash32& manifest) {
  return Encode("activate(bytes32)", {B32(manifest)});
}
Bytes AppControllerContract::ActivateAndRaiseMinVersion(const Hash32& manifest) {
  return Encode("activateAndRaiseMinVersion(bytes32)", {B32(manifest)});
}
Bytes AppControllerContract::Cancel(const Hash32& manifest) {
  return Encode("cancel(bytes32)", {B32(manifest)});
}
Bytes AppControllerContract::Revoke(const Hash32& manifest) {
  return Encode("revoke(bytes32)", {B32(manifest)});
}
Bytes AppControllerContract::RaiseMinVersion(uint64_t version) {
  return Encode("raiseMinVersion(uint64)", {AbiUint(version)});
}
Bytes AppControllerContract::Freeze() { return Encode("freeze()", {}); }
Bytes AppControllerContract::AddDevice(const Hash32& device) {
  return Encode("addDevice(bytes32)", {B32(device)});
}
Bytes AppControllerContract::RemoveDevice(const Hash32& device) {
  return Encode("removeDevice(bytes32)", {B32(device)});
}
Bytes AppControllerContract::SetAllowAnyDevice(bool allow_any) {
  return Encode("setAllowAnyDevice(bool)", {AbiBool(allow_any)});
}
Bytes AppControllerContract::SetRequireUpToDateTcb(bool required) {
  return Encode("setRequireUpToDateTcb(bool)", {AbiBool(required)});
}
Bytes AppControllerContract::SetGuardian(const Address& guardian) {
  return Encode("setGuardian(address)", {Addr(guardian)});
}
Bytes AppControllerContract::SetUpgradeDelay(uint64_t seconds) {
  return Encode("setUpgradeDelay(uint64)", {AbiUint(seconds)});
}

// ---------------------------------------------------------------- AppFactory

Bytes AppFactoryContract::CreateApp(const AppConfig& c) {
  std::vector<AbiValue> devices;
  for (const Hash32& d : c.devices) devices.push_back(B32(d));
  return Encode(
      "createApp((address,address,uint64,bytes32,uint64,bool,bytes32[],bool))",
      {AbiList({Addr(c.owner), Addr(c.guardian), AbiUint(c.upgrade_delay), B32(c.manifest_hash),
                AbiUint(c.manifest_version), AbiBool(c.allow_any_device),
                AbiList(std::move(devices)), AbiBool(c.require_up_to_date_tcb)})});
}

Bytes AppFactoryContract::ConstructorArgs(const Address& registry) {
  return EncodeArgs("address", {Addr(registry)});
}

Result<Address> AppFactoryContract::CreatedApp(const TxReceipt& receipt, const Address& factory) {
  for (const Log& log : receipt.logs) {
    if (log.address != factory) continue;
    ASSIGN_OR_RETURN(auto event, DecodeEvent(log));
    if (!event || event->name != "AppCreated") continue;
    if (log.topics.size() < 2) continue;
    Address app{};
    std::copy(log.topics[1].begin() + 12, log.topics[1].end(), app.begin());
    return app;
  }
  return NotFound("no AppCreated event from the factory in transaction " +
                  HexData(receipt.transaction_hash));
}

// ---------------------------------------------------------------- events and errors

std::string ContractEvent::ToString() const { return FormatItem(name, fields); }

const std::vector<AbiItemSpec>& KnownEvents() {
  static const std::vector<AbiItemSpec> kEvents = ParseSpecs({
      // TeeCloudRegistry
      "OsImageAdded(bytes32 indexed osImageHash)",
      "OsImageRemoved(bytes32 indexed osImageHash)",
      "KmsMemberAdded(bytes32 indexed id, string endpoint, bytes publicKey, bytes32 "
      "attestationDigest)",
      "KmsMemberUpdated(bytes32 indexed id, string endpoint, bytes publicKey, bytes32 "
      "attestationDigest)",
      "KmsMemberRemoved(bytes32 indexed id)",
      "KmsThresholdSet(uint16 oldThreshold, uint16 newThreshold)",
      "KmsMrAdded(bytes32 indexed mrAggregated)",
      "KmsMrRemoved(bytes32 indexed mrAggregated)",
      "KmsDeviceAdded(bytes32 indexed deviceId)",
      "KmsDeviceRemoved(bytes32 indexed deviceId)",
      "KmsAllowAnyDeviceSet(bool allowAnyDevice)",
      "KmsRequireUpToDateTcbSet(bool requireUpToDateTcb)",
      "AppRegistered(address indexed app, address indexed by)",
      "AppDeregistered(address indexed app)",
      "AppFactorySet(address indexed oldFactory, address indexed newFactory)",
      "MinUpgradeDelaySet(uint64 oldDelay, uint64 newDelay)",
      // AppController
      "ManifestProposed(bytes32 indexed manifestHash, uint64 version, uint64 readyAt)",
      "ManifestActivated(bytes32 indexed manifestHash, uint64 version)",
      "ProposalCancelled(bytes32 indexed manifestHash, address indexed by)",
      "ManifestRevoked(bytes32 indexed manifestHash, uint64 version)",
      "MinVersionRaised(uint64 oldMinVersion, uint64 newMinVersion)",
      "AppFrozen()",
      "DeviceAdded(bytes32 indexed deviceId)",
      "DeviceRemoved(bytes32 indexed deviceId)",
      "AllowAnyDeviceSet(bool allowAnyDevice)",
      "RequireUpToDateTcbSet(bool requireUpToDateTcb)",
      "UpgradeDelaySet(uint64 oldDelay, uint64 newDelay)",
      "UpgradeDelayChangeProposed(uint64 newDelay, uint64 readyAt)",
      "UpgradeDelayChangeCancelled(uint64 newDelay, address indexed by)",
      "GuardianSet(address indexed oldGuardian, address indexed newGuardian)",
      "GuardianChangeProposed(address indexed newGuardian, uint64 readyAt)",
      "GuardianChangeCancelled(address indexed newGuardian)",
      // AppFactory
      "AppCreated(address indexed app, address indexed owner, address indexed creator, "
      "bytes32 manifestHash, uint64 manifestVersion)",
      // OpenZeppelin Ownable / Ownable2Step (both contracts)
      "OwnershipTransferred(address indexed previousOwner, address indexed newOwner)",
      "OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner)",
  });
  return kEvents;
}

const std::vector<AbiItemSpec>& KnownErrors() {
  static const std::vector<AbiItemSpec> kErrors = ParseSpecs({
      // shared by the registry and app controllers
      "RenounceDisabled()",
      "ZeroValue()",
      "DelayTooLong(uint64 delay)",
      // TeeCloudRegistry
      "OsImageAlreadyAllowed(bytes32 osImageHash)",
      "OsImageNotAllowed(bytes32 osImageHash)",
      "KmsMrAlreadyAllowed(bytes32 mrAggregated)",
      "KmsMrNotAllowed(bytes32 mrAggregated)",
      "KmsDeviceAlreadyAllowed(bytes32 deviceId)",
      "KmsDeviceNotAllowed(bytes32 deviceId)",
      "KmsMemberExists(bytes32 id)",
      "KmsMemberNotFound(bytes32 id)",
      "InvalidThreshold(uint16 threshold, uint256 members)",
      "ThresholdAboveMembers(uint16 threshold, uint256 membersAfter)",
      "NotOwnerOrFactory(address caller)",
      "AppAlreadyRegistered(address app)",
      "AppNotRegistered(address app)",
      // AppController
      "AppIsFrozen()",
      "NotOwnerOrGuardian(address caller)",
      "NotGuardian(address caller)",
      "ManifestAlreadyAllowed(bytes32 manifestHash)",
      "ManifestNotAllowed(bytes32 manifestHash)",
      "ProposalExists(bytes32 manifestHash)",
      "NoProposal(bytes32 manifestHash)",
      "TimelockNotElapsed(uint64 readyAt, uint256 nowTs)",
      "VersionBelowMinimum(uint64 version, uint64 minVersion)",
      "MinVersionNotIncreased(uint64 current, uint64 requested)",
      "DelayBelowMinimum(uint64 delay, uint64 minimum)",
      "DelayUnchanged(uint64 delay)",
      "NoPendingDelayChange()",
      "NoPendingGuardianChange()",
      "DeviceAlreadyAllowed(bytes32 deviceId)",
      "DeviceNotAllowed(bytes32 deviceId)",
      // AppFactory
      "ZeroRegistry()",
      // OpenZeppelin Ownable
      "OwnableUnauthorizedAccount(address account)",
      "OwnableInvalidOwner(address owner)",
  });
  return kErrors;
}

Result<std::optional<ContractEvent>> DecodeEvent(const Log& log) {
  if (log.topics.empty()) return std::optional<ContractEvent>();
  for (const AbiItemSpec& spec : KnownEvents()) {
    if (crypto::Keccak256(AsBytes(spec.signature)) != log.topics[0]) continue;
    const size_t indexed =
        static_cast<size_t>(std::count(spec.indexed.begin(), spec.indexed.end(), true));
    if (log.topics.size() != indexed + 1) {
      return DataLoss(spec.name + " event: expected " + std::to_string(indexed + 1) + " topics");
    }
    std::vector<AbiType> data_types;
    for (size_t i = 0; i < spec.param_types.size(); ++i) {
      if (!spec.indexed[i]) data_types.push_back(spec.param_types[i]);
    }
    auto data = AbiDecode(data_types, log.data);
    if (!data) return DataLoss(spec.name + " event: " + data.error().message);
    ContractEvent e;
    e.name = spec.name;
    e.address = log.address;
    e.block_number = log.block_number;
    e.transaction_hash = log.transaction_hash;
    e.log_index = log.log_index;
    size_t topic = 1;
    size_t value = 0;
    for (size_t i = 0; i < spec.param_types.size(); ++i) {
      const AbiType& type = spec.param_types[i];
      if (spec.indexed[i]) {
        auto v = AbiDecode({type}, View(log.topics[topic++]));
        if (!v) return DataLoss(spec.name + " event: " + v.error().message);
        e.fields.emplace_back(spec.param_names[i], Display(type, v->at(0)));
      } else {
        e.fields.emplace_back(spec.param_names[i], Display(type, data->at(value++)));
      }
    }
    return std::optional<ContractEvent>(std::move(e));
  }
  return std::optional<ContractEvent>();
}

Result<std::vector<ContractEvent>> ReadEvents(EthRpc& rpc, const Address& address,
                                              const BlockRef& from, const BlockRef& to) {
  LogFilter filter;
  filter.addresses = {address};
  filter.from_block = from;
  filter.to_block = to;
  ASSIGN_OR_RETURN(std::vector<Log> logs, rpc.GetLogs(filter));
  std::sort(logs.begin(), logs.end(), [](const Log& a, const Log& b) {
    return a.block_number != b.block_number ? a.block_number < b.block_number
                                            : a.log_index < b.log_index;
  });
  std::vector<ContractEvent> out;
  for (const Log& log : logs) {
    if (log.removed) continue;
    ASSIGN_OR_RETURN(auto event, DecodeEvent(log));
    if (event) out.push_back(std::move(*event));
  }
  return out;
}

std::string DecodeTeeCloudRevert(ByteView data) {
  if (data.size() >= 4) {
    for (const AbiItemSpec& spec : KnownErrors()) {
      if (!std::equal(data.begin(), data.begin() + 4, FunctionSelector(spec.signature).begin())) {
        continue;
      }
      auto args = AbiDecode(spec.param_types, data.subspan(4));
      if (!args) break;
      std::vector<std::pair<std::string, std::string>> fields;
      for (size_t i = 0; i < args->size(); ++i) {
        fields.emplace_back(spec.param_names[i], Display(spec.param_types[i], (*args)[i]));
      }
      return FormatItem(spec.name, fields);
    }
  }
  return DefaultRevertDecoder(data);
}

}  // namespace teecloud::chain
