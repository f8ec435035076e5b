// `teecloud chain deploy` and `teecloud registry ...`; `teecloud app ...` lives in
// chain_app_command.cc. Shared plumbing: chain_session.h.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "chain/artifacts.h"
#include "chain/contracts.h"
#include "chain/deployment.h"
#include "cli/chain_session.h"
#include "cli/command.h"
#include "cli/exit_codes.h"

namespace teecloud::cli {

namespace {

using chain::Address;
using chain::ChecksumAddress;
using chain::HexData;

// --artifacts, else $TEECLOUD_CONTRACTS, else <dir of this binary>/../share/teecloud/.
std::string ArtifactsPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv(chain::kContractsEnv); env != nullptr && *env != '\0') {
    return env;
  }
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return "share/teecloud/contracts.json";
  std::string dir(exe, static_cast<size_t>(n));
  dir = dir.substr(0, dir.rfind('/'));
  return dir + "/../share/teecloud/contracts.json";
}

// ---------------------------------------------------------------- chain deploy

struct DeployOptions {
  ChainOptions chain;
  std::string out;
  std::string artifacts;
  uint64_t min_upgrade_delay = 3600;
};

Result<Address> DeployContract(ChainSession& s, const chain::Signer& signer, const ChainOptions& o,
                               const chain::ContractArtifacts& artifacts, const std::string& name,
                               const Bytes& constructor_args, const CliIo& io, uint64_t* block) {
  ASSIGN_OR_RETURN(const chain::ContractArtifact* artifact, artifacts.Get(name));
  chain::TxRequest request;
  request.data = Concat({artifact->bytecode, constructor_args});
  ASSIGN_OR_RETURN(chain::SentTx sent, SendAndWait(s, signer, o, request, "deploy " + name, io));
  if (!sent.receipt.contract_address) {
    return DataLoss("deploy " + name + ": the receipt has no contract address");
  }
  io.out << name << " " << ChecksumAddress(*sent.receipt.contract_address) << " (tx "
         << HexData(sent.hash) << ")\n";
  *block = sent.receipt.block_number;
  return *sent.receipt.contract_address;
}

int RunDeploy(const DeployOptions& o, const CliIo& io) {
  constexpr std::string_view cmd = "chain deploy";
  const std::string out = o.out.empty() ? DefaultDeploymentPath() : o.out;
  if (out.empty()) {
    return ReportError(io, cmd, Error{Code::kInvalidArgument, "HOME is unset: pass --out FILE"});
  }
  const std::string artifacts_path = ArtifactsPath(o.artifacts);
  auto artifacts = chain::LoadContractArtifacts(artifacts_path);
  if (!artifacts) {
    return ReportError(io, cmd,
                       artifacts.error().WithContext(
                           "contract artifacts (build them with cmake, or pass --artifacts FILE / "
                           "set TEECLOUD_CONTRACTS)"));
  }
  auto session = OpenChainSession(o.chain, /*use_deployment=*/false);
  if (!session) return ReportError(io, cmd, session.error());
  auto signer = LoadCommandSigner(o.chain);
  if (!signer) return ReportError(io, cmd, signer.error());

  uint64_t block = 0;
  auto registry = DeployContract(
      *session, *signer, o.chain, *artifacts, "TeeCloudRegistry",
      chain::RegistryContract::ConstructorArgs(signer->address(), o.min_upgrade_delay), io, &block);
  if (!registry) return ReportError(io, cmd, registry.error());
  auto factory = DeployContract(*session, *signer, o.chain, *artifacts, "AppFactory",
                                chain::AppFactoryContract::ConstructorArgs(*registry), io, &block);
  if (!factory) return ReportError(io, cmd, factory.error());
  chain::TxRequest set_factory{*registry, chain::RegistryContract::SetAppFactory(*factory), {}};
  auto sent = SendAndWait(*session, *signer, o.chain, set_factory, "setAppFactory", io);
  if (!sent) return ReportError(io, cmd, sent.error());
  io.out << "setAppFactory (tx " << HexData(sent->hash) << ")\n";

  chain::Deployment d;
  d.chain_id = session->chain_id;
  d.rpc = o.chain.rpc;
  d.registry = *registry;
  d.factory = *factory;
  d.deployer = signer->address();
  d.block = sent->receipt.block_number;
  struct stat st {};
  if (::stat(out.c_str(), &st) == 0) {
    io.err << "teecloud chain deploy: replacing the previous deployment in " << out << "\n";
  }
  if (auto saved = chain::SaveDeployment(out, d); !saved) {
    return ReportError(io, cmd, saved.error());
  }
  io.out << "deployment written to " << out << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------- registry

struct OsImageOptions {
  ChainOptions chain;
  std::string hash;
};

int RunOsImage(const OsImageOptions& o, bool add, const CliIo& io) {
  const std::string cmd = add ? "registry add-os-image" : "registry remove-os-image";
  auto hash = chain::ParseHash32(o.hash);
  if (!hash) return ReportError(io, cmd, hash.error().WithContext("HASH"));
  auto session = OpenChainSession(o.chain, true);
  if (!session) return ReportError(io, cmd, session.error());
  auto signer = LoadCommandSigner(o.chain);
  if (!signer) return ReportError(io, cmd, signer.error());
  chain::TxRequest request{session->dep().registry,
                           add ? chain::RegistryContract::AddOsImage(*hash)
                               : chain::RegistryContract::RemoveOsImage(*hash),
                           {}};
  auto sent =
      SendAndWait(*session, *signer, o.chain, request, add ? "addOsImage" : "removeOsImage", io);
  if (!sent) return ReportError(io, cmd, sent.error());
  io.out << HexData(sent->hash) << "\n";
  return kExitOk;
}

int RunRegistryStatus(const ChainOptions& o, const CliIo& io) {
  constexpr std::string_view cmd = "registry status";
  auto session = OpenChainSession(o, true);
  if (!session) return ReportError(io, cmd, session.error());
  chain::RegistryContract registry(*session->rpc, session->dep().registry, session->block);
  auto fail = [&](const Error& e) { return ReportError(io, cmd, e); };

  auto block = session->rpc->GetBlock(session->block);
  if (!block) return fail(block.error());
  if (!*block) return fail(Error{Code::kNotFound, "no such block"});
  auto owner = registry.Owner();
  if (!owner) return fail(owner.error());
  auto pending_owner = registry.PendingOwner();
  if (!pending_owner) return fail(pending_owner.error());
  auto factory = registry.AppFactory();
  if (!factory) return fail(factory.error());
  auto min_delay = registry.MinUpgradeDelay();
  if (!min_delay) return fail(min_delay.error());
  auto images = registry.OsImages();
  if (!images) return fail(images.error());
  auto app_count = registry.AppCount();
  if (!app_count) return fail(app_count.error());
  // Status shows up to the first 1000 apps; `apps(start, n)` pages beyond that.
  auto apps = registry.Apps(0, 1000);
  if (!apps) return fail(apps.error());
  auto threshold = registry.KmsThreshold();
  if (!threshold) return fail(threshold.error());
  auto members = registry.KmsMemberIds();
  if (!members) return fail(members.error());
  auto mrs = registry.KmsMrs();
  if (!mrs) return fail(mrs.error());

  const Address zero{};
  if (o.json) {
    OrderedJson j;
    j["registry"] = ChecksumAddress(registry.address());
    j["chain_id"] = session->chain_id;
    j["block"] = {{"number", (*block)->number}, {"timestamp", (*block)->timestamp}};
    j["owner"] = ChecksumAddress(*owner);
    j["pending_owner"] =
        *pending_owner == zero ? OrderedJson() : OrderedJson(ChecksumAddress(*pending_owner));
    j["app_factory"] = *factory == zero ? OrderedJson() : OrderedJson(ChecksumAddress(*factory));
    j["min_upgrade_delay"] = *min_delay;
    j["os_images"] = OrderedJson::array();
    for (const auto& h : *images) j["os_images"].push_back(HexData(h));
    j["app_count"] = *app_count;
    j["apps"] = OrderedJson::array();
    for (const auto& a : *apps) j["apps"].push_back(ChecksumAddress(a));
    j["kms"]["threshold"] = *threshold;
    j["kms"]["members"] = OrderedJson::array();
    for (const auto& m : *members) j["kms"]["members"].push_back(HexData(m));
    j["kms"]["measurements"] = OrderedJson::array();
    for (const auto& m : *mrs) j["kms"]["measurements"].push_back(HexData(m));
    io.out << DumpJson(j, 2) << "\n";
    return kExitOk;
  }
  io.out << "registry          " << ChecksumAddress(registry.address()) << " (chain "
         << session->chain_id << ", block " << (*block)->number << ")\n";
  io.out << "owner             " << ChecksumAddress(*owner) << "\n";
  if (*pending_owner != zero)
    io.out << "pending owner     " << ChecksumAddress(*pending_owner) << "\n";
  io.out << "app factory       " << (*factory == zero ? "none" : ChecksumAddress(*factory)) << "\n";
  io.out << "min upgrade delay " << *min_delay << " s\n";
  io.out << "OS images         " << images->size() << "\n";
  for (const auto& h : *images) io.out << "  " << HexData(h) << "\n";
  io.out << "apps              " << *app_count << "\n";
  for (const auto& a : *apps) io.out << "  " << ChecksumAddress(a) << "\n";
  io.out << "KMS               " << members->size() << " member(s), threshold " << *threshold
         << ", " << mrs->size() << " allowed measurement(s)\n";
  return kExitOk;
}

}  // namespace

void AddChainCommands(CommandTable& table) {
  CLI::App& root = table.root();
  const CliIo io = table.io();

  // teecloud chain deploy
  CLI::App* chain_group = table.Group(root, "chain", "Deploy teecloud's governance contracts");
  auto deploy = std::make_shared<DeployOptions>();
  CLI::App* d = chain_group->add_subcommand(
      "deploy",
      "Deploy TeeCloudRegistry and AppFactory (owned by the signing key) and write the "
      "deployment JSON");
  d->add_option("--rpc", deploy->chain.rpc, "JSON-RPC URL of the node")->required();
  d->add_option("--out", deploy->out,
                "Where to write the deployment JSON (default ~/.teecloud/deployment.json)");
  d->add_option("--min-upgrade-delay", deploy->min_upgrade_delay,
                "Network-wide minimum app upgrade delay in seconds (default 3600)");
  d->add_option("--artifacts", deploy->artifacts,
                "contracts.json from the build (default: $TEECLOUD_CONTRACTS, else "
                "<bin>/../share/teecloud/contracts.json)");
  d->add_option("--key-file", deploy->chain.key_file,
                "File holding the hex private key, mode 0600 (default: $TEECLOUD_PRIVATE_KEY)");
  d->add_option("--timeout", deploy->chain.timeout_seconds,
                "Seconds to wait for each receipt (default 120)")
      ->check(CLI::Range(0.1, 86400.0));
  d->add_flag("--legacy-tx", deploy->chain.legacy_tx, "Send legacy (EIP-155) transactions");
  table.Handle(d, [deploy, io] { return RunDeploy(*deploy, io); });

  // teecloud registry ...
  CLI::App* registry = table.Group(root, "registry", "The network's TeeCloudRegistry");
  for (const bool add : {true, false}) {
    auto opts = std::make_shared<OsImageOptions>();
    CLI::App* c =
        registry->add_subcommand(add ? "add-os-image" : "remove-os-image",
                                 add ? "Allow CVMs to boot an OS image (registry owner)"
                                     : "Stop allowing an OS image, at once (registry owner)");
    c->add_option("HASH", opts->hash, "OS image hash (32 bytes hex)")->required();
    AddChainOptions(c, opts->chain, static_cast<int>(ChainFlags::kSend));
    table.Handle(c, [opts, add, io] { return RunOsImage(*opts, add, io); });
  }
  auto status = std::make_shared<ChainOptions>();
  CLI::App* s = registry->add_subcommand(
      "status", "Owner, OS images, apps, KMS members and the minimum upgrade delay");
  AddChainOptions(s, *status, ChainFlags::kRead | ChainFlags::kJson);
  table.Handle(s, [status, io] { return RunRegistryStatus(*status, io); });

  AddAppGovernanceCommands(table);
}

}  // namespace teecloud::cli
