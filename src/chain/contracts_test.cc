// Contract bindings: selectors and event/error tables checked against the ABI compiled from
// contracts/src during the build, call encoding, answer decoding (against FakeEthRpc), events
// and custom-error reverts.
#include "chain/contracts.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "chain/artifacts.h"
#include "chain/fake_eth_rpc.h"
#include "crypto/hash.h"

namespace teecloud::chain {
namespace {

Hash32 H(uint8_t fill) {
  Hash32 h{};
  h.fill(fill);
  return h;
}

Address A(uint8_t last) {
  Address a{};
  a[19] = last;
  return a;
}

std::string Selector(std::string_view signature) {
  auto s = FunctionSelector(signature);
  return ToHex(ByteView(s.data(), s.size()));
}

TEST(ContractsTest, BootInfoSelectorsMatchTheReadme) {
  EXPECT_EQ(Selector(std::string("isAppAllowed(") + kBootInfoType + ")"), "f169ce50");
  EXPECT_EQ(Selector(std::string("isKmsAllowed(") + kBootInfoType + ")"), "a0e1ce46");
}

// --- against the compiled ABI (contracts.json from the build) ---

std::string CanonicalType(const Json& param) {
  std::string type = param["type"].get<std::string>();
  if (type.starts_with("tuple")) {
    std::string inner;
    for (const Json& c : param["components"])
      inner += (inner.empty() ? "" : ",") + CanonicalType(c);
    return "(" + inner + ")" + type.substr(5);
  }
  return type;
}

std::string AbiSignature(const Json& item) {
  std::string types;
  for (const Json& p : item["inputs"]) types += (types.empty() ? "" : ",") + CanonicalType(p);
  return item["name"].get<std::string>() + "(" + types + ")";
}

class CompiledAbiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto artifacts = LoadContractArtifacts(TEECLOUD_CONTRACTS_JSON);
    if (!artifacts) GTEST_SKIP() << "no contract artifacts (" << artifacts.error().message << ")";
    artifacts_ = std::move(*artifacts);
  }
  ContractArtifacts artifacts_;
};

TEST_F(CompiledAbiTest, EveryEventAndErrorIsKnownWithItsNames) {
  std::map<std::string, const AbiItemSpec*> events, errors;
  for (const auto& s : KnownEvents()) events[s.signature] = &s;
  for (const auto& s : KnownErrors()) errors[s.signature] = &s;
  int checked = 0;
  for (const char* contract : {"TeeCloudRegistry", "AppController", "AppFactory"}) {
    auto a = artifacts_.Get(contract);
    ASSERT_TRUE(a.has_value()) << contract;
    for (const Json& item : (*a)->abi) {
      const std::string kind = item["type"];
      if (kind != "event" && kind != "error") continue;
      const std::string sig = AbiSignature(item);
      auto& table = kind == "event" ? events : errors;
      auto it = table.find(sig);
      ASSERT_NE(it, table.end()) << contract << " " << kind << " " << sig << " missing";
      ASSERT_EQ(it->second->param_names.size(), item["inputs"].size());
      for (size_t i = 0; i < item["inputs"].size(); ++i) {
        EXPECT_EQ(it->second->param_names[i], item["inputs"][i]["name"].get<std::string>()) << sig;
        if (kind == "event") {
          EXPECT_EQ(it->second->indexed[i], item["inputs"][i]["indexed"].get<bool>()) << sig;
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 60);
}

TEST_F(CompiledAbiTest, EveryBoundFunctionExists) {
  const std::map<std::string, std::vector<std::string>> used = {
      {"TeeCloudRegistry",
       {"owner()", "pendingOwner()", "minUpgradeDelay()", "appFactory()", "osImages()",
        "isOsImageAllowed(bytes32)", "isAppRegistered(address)", "appCount()",
        "apps(uint256,uint256)", "kmsThreshold()", "kmsMemberIds()", "kmsMrs()",
        std::string("isAppAllowed(") + kBootInfoType + ")",
        std::string("isKmsAllowed(") + kBootInfoType + ")", "addOsImage(bytes32)",
        "removeOsImage(bytes32)", "setAppFactory(address)", "setMinUpgradeDelay(uint64)"}},
      {"AppController",
       {"owner()",
        "pendingOwner()",
        "guardian()",
        "pendingGuardian()",
        "pendingGuardianReadyAt()",
        "frozen()",
        "minVersion()",
        "upgradeDelay()",
        "effectiveUpgradeDelay()",
        "pendingDelay()",
        "pendingDelayReadyAt()",
        "allowAnyDevice()",
        "requireUpToDateTcb()",
        "registry()",
        "allowedManifests()",
        "manifestVersion(bytes32)",
        "pendingProposals()",
        "proposal(bytes32)",
        "devices()",
        std::string("isAppAllowed(") + kBootInfoType + ")",
        "propose(bytes32,uint64)",
        "activate(bytes32)",
        "activateAndRaiseMinVersion(bytes32)",
        "cancel(bytes32)",
        "revoke(bytes32)",
        "raiseMinVersion(uint64)",
        "freeze()",
        "addDevice(bytes32)",
        "removeDevice(bytes32)",
        "setAllowAnyDevice(bool)",
        "setRequireUpToDateTcb(bool)",
        "setGuardian(address)",
        "setUpgradeDelay(uint64)"}},
      {"AppFactory", {"createApp((address,address,uint64,bytes32,uint64,bool,bytes32[],bool))"}},
  };
  for (const auto& [contract, functions] : used) {
    auto a = artifacts_.Get(contract);
    ASSERT_TRUE(a.has_value());
    std::set<std::string> have;
    for (const Json& item : (*a)->abi) {
      if (item["type"] == "function") have.insert(AbiSignature(item));
      if (item["type"] == "constructor")
        have.insert("constructor" + AbiSignature(Json{{"name", ""}, {"inputs", item["inputs"]}}));
    }
    for (const std::string& f : functions) EXPECT_TRUE(have.contains(f)) << contract << "." << f;
  }
  EXPECT_TRUE(artifacts_.Get("TeeCloudRegistry").has_value());
  // Constructor shapes the deploy command encodes.
  auto registry_abi = (*artifacts_.Get("TeeCloudRegistry"))->abi;
  auto factory_abi = (*artifacts_.Get("AppFactory"))->abi;
  auto ctor = [](const Json& abi) {
    for (const Json& item : abi) {
      if (item["type"] == "constructor")
        return AbiSignature(Json{{"name", ""}, {"inputs", item["inputs"]}});
    }
    return std::string();
  };
  EXPECT_EQ(ctor(registry_abi), "(address,uint64)");
  EXPECT_EQ(ctor(factory_abi), "(address)");
}

// --- call encoding ---

TEST(ContractsTest, TransactionCallData) {
  EXPECT_EQ(
      ToHex(AppControllerContract::Propose(H(0x11), 2)),
      Selector("propose(bytes32,uint64)") + std::string(64, '1') + std::string(63, '0') + "2");
  EXPECT_EQ(ToHex(AppControllerContract::Freeze()), Selector("freeze()"));
  EXPECT_EQ(ToHex(RegistryContract::AddOsImage(H(0xab))).substr(0, 8),
            Selector("addOsImage(bytes32)"));
  EXPECT_EQ(ToHex(RegistryContract::ConstructorArgs(A(1), 3600)),
            std::string(63, '0') + "1" + std::string(61, '0') + "e10");
  AppConfig config;
  config.owner = A(1);
  config.guardian = A(2);
  config.upgrade_delay = 60;
  config.manifest_hash = H(0x22);
  config.manifest_version = 1;
  config.devices = {H(0x33)};
  config.allow_any_device = false;
  const Bytes create = AppFactoryContract::CreateApp(config);
  auto types = ParseAbiTypeList("(address,address,uint64,bytes32,uint64,bool,bytes32[],bool)");
  auto decoded = AbiDecode(*types, ByteView(create).subspan(4));
  ASSERT_TRUE(decoded.has_value());
  auto fields = AbiToList((*decoded)[0]);
  ASSERT_TRUE(fields.has_value());
  const Address guardian = A(2);
  EXPECT_EQ(*AbiToBytes((*fields)[1]), Bytes(guardian.begin(), guardian.end()));
  EXPECT_EQ(*AbiToUint64((*fields)[2]), 60u);
  EXPECT_FALSE(*AbiToBool((*fields)[5]));
  EXPECT_EQ(AbiToList((*fields)[6])->size(), 1u);
}

// --- views, against a fake node answering by selector ---

class FakeContracts {
 public:
  explicit FakeContracts(FakeEthRpc& rpc) {
    rpc.on_call = [this](const CallRequest& call, const BlockRef&) -> Result<Bytes> {
      if (call.data.size() < 4) return Bytes{};
      auto it = answers_.find(ToHex(ByteView(call.data).first(4)));
      if (it == answers_.end()) return Bytes{};  // like a call to an address without code
      last_args_ = Bytes(call.data.begin() + 4, call.data.end());
      return it->second;
    };
  }
  void Answer(std::string_view signature, std::string_view types, std::vector<AbiValue> values) {
    auto encoded = AbiEncode(*ParseAbiTypeList(types), values);
    ASSERT_TRUE(encoded.has_value()) << signature;
    answers_[Selector(signature)] = *encoded;
  }
  const Bytes& last_args() const { return last_args_; }

 private:
  std::map<std::string, Bytes> answers_;
  Bytes last_args_;
};

TEST(ContractsTest, RegistryIsAppAllowed) {
  FakeEthRpc rpc;
  FakeContracts fake(rpc);
  fake.Answer(std::string("isAppAllowed(") + kBootInfoType + ")", "bool,string",
              {AbiBool(false), AbiString("OS image not allowed")});
  RegistryContract registry(rpc, A(9), BlockRef::Finalized());
  BootInfo boot;
  boot.app_id = A(7);
  boot.manifest_hash = H(1);
  boot.os_image_hash = H(2);
  boot.tcb_status = "UpToDate";
  boot.manifest_version = 3;
  auto d = registry.IsAppAllowed(boot);
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(d->reason, "OS image not allowed");
  EXPECT_EQ(rpc.call_blocks.back(), BlockRef::Finalized());
  // The argument went out as the BootInfo tuple.
  auto args = AbiDecode({*ParseAbiType(kBootInfoType)}, fake.last_args());
  ASSERT_TRUE(args.has_value());
  EXPECT_EQ((*args)[0], BootInfoToAbi(boot));
  // A registry address without code answers nothing: a clear error, not a decode failure.
  auto kms = registry.IsKmsAllowed(boot);
  ASSERT_FALSE(kms.has_value());
  EXPECT_EQ(kms.error().code, Code::kNotFound);
  EXPECT_NE(kms.error().message.find("no contract"), std::string::npos);
}

TEST(ContractsTest, AppControllerState) {
  FakeEthRpc rpc;
  FakeContracts fake(rpc);
  fake.Answer("owner()", "address", {AbiBytes(View(A(1)))});
  fake.Answer("pendingOwner()", "address", {AbiBytes(View(A(0)))});
  fake.Answer("guardian()", "address", {AbiBytes(View(A(2)))});
  fake.Answer("pendingGuardian()", "address", {AbiBytes(View(A(0)))});
  fake.Answer("pendingGuardianReadyAt()", "uint64", {AbiUint(0)});
  fake.Answer("frozen()", "bool", {AbiBool(false)});
  fake.Answer("minVersion()", "uint64", {AbiUint(2)});
  fake.Answer("upgradeDelay()", "uint64", {AbiUint(60)});
  fake.Answer("effectiveUpgradeDelay()", "uint64", {AbiUint(3600)});
  fake.Answer("pendingDelay()", "uint64", {AbiUint(0)});
  fake.Answer("pendingDelayReadyAt()", "uint64", {AbiUint(0)});
  fake.Answer("allowAnyDevice()", "bool", {AbiBool(true)});
  fake.Answer("requireUpToDateTcb()", "bool", {AbiBool(false)});
  fake.Answer("allowedManifests()", "bytes32[]", {AbiList({AbiBytes(View(H(5)))})});
  fake.Answer("manifestVersion(bytes32)", "uint64", {AbiUint(2)});
  fake.Answer("pendingProposals()", "bytes32[]", {AbiList({AbiBytes(View(H(6)))})});
  fake.Answer("proposal(bytes32)", "(uint64,uint64)", {AbiList({AbiUint(3), AbiUint(1700003600)})});
  fake.Answer("devices()", "bytes32[]", {AbiList({})});
  AppControllerContract app(rpc, A(7));
  auto s = app.ReadState();
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ(s->owner, A(1));
  EXPECT_EQ(s->guardian, A(2));
  EXPECT_EQ(s->min_version, 2u);
  EXPECT_EQ(s->effective_upgrade_delay, 3600u);
  ASSERT_EQ(s->manifests.size(), 1u);
  EXPECT_EQ(s->manifests[0].hash, H(5));
  EXPECT_EQ(s->manifests[0].version, 2u);
  ASSERT_EQ(s->proposals.size(), 1u);
  EXPECT_EQ(s->proposals[0].hash, H(6));
  EXPECT_EQ(s->proposals[0].version, 3u);
  EXPECT_EQ(s->proposals[0].ready_at, 1700003600u);
  EXPECT_TRUE(s->devices.empty());
}

TEST(ContractsTest, MalformedAnswersAreDataLoss) {
  FakeEthRpc rpc;
  FakeContracts fake(rpc);
  // A bool that is 2: AbiDecode refuses it.
  fake.Answer("frozen()", "uint256", {AbiUint(2)});
  AppControllerContract app(rpc, A(7));
  auto frozen = app.Frozen();
  ASSERT_FALSE(frozen.has_value());
  EXPECT_EQ(frozen.error().code, Code::kDataLoss);
}

// --- events ---

Log MakeLog(const Address& address, std::string_view signature, std::vector<Hash32> indexed,
            Bytes data) {
  Log log;
  log.address = address;
  log.topics.push_back(crypto::Keccak256(AsBytes(signature)));
  for (const Hash32& t : indexed) log.topics.push_back(t);
  log.data = std::move(data);
  log.block_number = 12;
  return log;
}

Hash32 AddressTopic(const Address& a) {
  Hash32 t{};
  std::copy(a.begin(), a.end(), t.begin() + 12);
  return t;
}

TEST(ContractsTest, DecodesEvents) {
  auto data = AbiEncode(*ParseAbiTypeList("uint64,uint64"), {AbiUint(2), AbiUint(1700003600)});
  Log log = MakeLog(A(7), "ManifestProposed(bytes32,uint64,uint64)", {H(0xab)}, *data);
  auto e = DecodeEvent(log);
  ASSERT_TRUE(e.has_value() && e->has_value());
  EXPECT_EQ((*e)->name, "ManifestProposed");
  EXPECT_EQ((*e)->block_number, 12u);
  EXPECT_EQ((*e)->ToString(), "ManifestProposed(manifestHash=" + HexData(H(0xab)) +
                                  ", version=2, readyAt=1700003600)");
  // Wrong topic count for a known event.
  log.topics.pop_back();
  EXPECT_FALSE(DecodeEvent(log).has_value());
  // Unknown events are skipped, not errors.
  Log other = MakeLog(A(7), "Transfer(address,address,uint256)", {}, {});
  auto none = DecodeEvent(other);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

TEST(ContractsTest, CreatedAppFromReceipt) {
  const Address factory = A(0xfa);
  const Address app = A(0xaa);
  auto data = AbiEncode(*ParseAbiTypeList("bytes32,uint64"), {AbiBytes(View(H(1))), AbiUint(1)});
  TxReceipt receipt;
  receipt.logs.push_back(MakeLog(A(0xbb), "AppRegistered(address,address)",
                                 {AddressTopic(app), AddressTopic(factory)}, {}));
  receipt.logs.push_back(MakeLog(factory, "AppCreated(address,address,address,bytes32,uint64)",
                                 {AddressTopic(app), AddressTopic(A(1)), AddressTopic(A(1))},
                                 *data));
  auto created = AppFactoryContract::CreatedApp(receipt, factory);
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_EQ(*created, app);
  EXPECT_FALSE(AppFactoryContract::CreatedApp(receipt, A(0x01)).has_value());
}

TEST(ContractsTest, ReadEventsInChainOrder) {
  FakeEthRpc rpc;
  Log a = MakeLog(A(7), "AppFrozen()", {}, {});
  a.block_number = 9;
  Log b = MakeLog(A(7), "MinVersionRaised(uint64,uint64)", {},
                  *AbiEncode(*ParseAbiTypeList("uint64,uint64"), {AbiUint(1), AbiUint(2)}));
  b.block_number = 3;
  Log elsewhere = MakeLog(A(8), "AppFrozen()", {}, {});
  rpc.logs = {a, b, elsewhere};
  auto events = ReadEvents(rpc, A(7), BlockRef::Earliest(), BlockRef::Latest());
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].ToString(), "MinVersionRaised(oldMinVersion=1, newMinVersion=2)");
  EXPECT_EQ((*events)[1].ToString(), "AppFrozen()");
}

// --- reverts ---

TEST(ContractsTest, DecodesCustomErrors) {
  auto timelock = EncodeCall("TimelockNotElapsed(uint64,uint256)", {AbiUint(10), AbiUint(9)});
  EXPECT_EQ(DecodeTeeCloudRevert(*timelock), "TimelockNotElapsed(readyAt=10, nowTs=9)");
  auto frozen = EncodeCall("AppIsFrozen()", {});
  EXPECT_EQ(DecodeTeeCloudRevert(*frozen), "AppIsFrozen()");
  Address who{};
  who.fill(0xab);
  auto owner = EncodeCall("OwnableUnauthorizedAccount(address)", {AbiBytes(View(who))});
  EXPECT_EQ(DecodeTeeCloudRevert(*owner),
            "OwnableUnauthorizedAccount(account=" + ChecksumAddress(who) + ")");
  auto reason = EncodeCall("Error(string)", {AbiString("plain")});
  EXPECT_EQ(DecodeTeeCloudRevert(*reason), "plain");
  EXPECT_EQ(DecodeTeeCloudRevert(Bytes{0x12, 0x34, 0x56, 0x78}), "custom error 0x12345678");
  // Truncated arguments of a known error fall back to the raw form.
  Bytes truncated(timelock->begin(), timelock->begin() + 20);
  EXPECT_NE(DecodeTeeCloudRevert(truncated).find("custom error"), std::string::npos);
}

// --- BootInfo JSON ---

TEST(ContractsTest, BootInfoJson) {
  const std::string hash = "0x" + std::string(64, 'a');
  auto j = ParseJson(R"({"manifest_hash":")" + hash + R"(","os_image_hash":")" + hash +
                     R"(","manifest_version":2,"tcb_status":"UpToDate"})");
  auto b = BootInfoFromJson(*j, A(7));
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ(b->app_id, A(7));
  EXPECT_EQ(b->manifest_version, 2u);
  EXPECT_EQ(b->tcb_status, "UpToDate");
  EXPECT_EQ(b->device_id, Hash32{});
  auto again = BootInfoFromJson(Json::parse(DumpJson(BootInfoToJson(*b))), std::nullopt);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(*again, *b);

  EXPECT_FALSE(BootInfoFromJson(*j, std::nullopt).has_value());  // app_id required then
  auto unknown = *j;
  unknown["extra"] = 1;
  EXPECT_NE(BootInfoFromJson(unknown, A(7)).error().message.find("extra"), std::string::npos);
  auto missing = *j;
  missing.erase("os_image_hash");
  EXPECT_FALSE(BootInfoFromJson(missing, A(7)).has_value());
  auto negative = *j;
  negative["manifest_version"] = -1;
  EXPECT_FALSE(BootInfoFromJson(negative, A(7)).has_value());
  auto bad_hash = *j;
  bad_hash["manifest_hash"] = "0x1234";
  EXPECT_FALSE(BootInfoFromJson(bad_hash, A(7)).has_value());
}

}  // namespace
}  // namespace teecloud::chain
