// `teecloud app create|propose|activate|cancel|revoke|freeze|status|check`: an app's on-chain
// upgrade governance (its AppController).
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file.h"
#include "base/json.h"
#include "chain/contracts.h"
#include "cli/chain_session.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "manifest/manifest.h"

namespace teecloud::cli {

namespace {

using chain::Address;
using chain::ChecksumAddress;
using chain::Hash32;
using chain::HexData;

struct ManifestInfo {
  Hash32 hash{};
  uint64_t version = 0;
  std::string name;
};

// The manifest hash is SHA-256 of the manifest's canonical (RFC 8785) form, which is what the
// agent measures; the file itself may be formatted freely.
Result<ManifestInfo> ReadManifest(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, manifest::kMaxManifestBytes));
  auto m = manifest::ParseManifest(text);
  if (!m) return tl::unexpected(m.error().WithContext(path));
  ManifestInfo info;
  info.hash = manifest::ManifestHash(*m);
  info.version = m->version;
  info.name = m->name;
  return info;
}

// An app name recorded in the deployment file: same rules as manifest names.
bool ValidAppName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------- app create

struct CreateOptions {
  ChainOptions chain;
  std::string name;
  std::string manifest;
  int64_t delay = -1;  // -1: the registry's minimum
  std::string guardian;
  std::string owner;
  std::vector<std::string> devices;
  bool require_up_to_date_tcb = false;
};

int RunCreate(const CreateOptions& o, const CliIo& io) {
  constexpr std::string_view cmd = "app create";
  auto usage = [&](std::string message) {
    return ReportError(io, cmd, Error{Code::kInvalidArgument, std::move(message)});
  };
  if (!ValidAppName(o.name)) return usage("NAME: lower-case letters, digits and '-' (at most 63)");
  auto manifest = ReadManifest(o.manifest);
  if (!manifest) return ReportError(io, cmd, manifest.error());
  if (manifest->name != o.name) {
    io.err << "teecloud app create: note: the manifest's name is \"" << manifest->name
           << "\", the app is recorded as \"" << o.name << "\"\n";
  }
  chain::AppConfig config;
  if (!o.guardian.empty()) {
    auto g = chain::ParseAddress(o.guardian);
    if (!g) return ReportError(io, cmd, g.error().WithContext("--guardian"));
    config.guardian = *g;
  }
  for (const std::string& device : o.devices) {
    auto d = chain::ParseHash32(device);
    if (!d) return ReportError(io, cmd, d.error().WithContext("--device"));
    config.devices.push_back(*d);
  }
  config.allow_any_device = config.devices.empty();
  config.require_up_to_date_tcb = o.require_up_to_date_tcb;
  config.manifest_hash = manifest->hash;
  config.manifest_version = manifest->version;

  auto session = OpenChainSession(o.chain, true);
  if (!session) return ReportError(io, cmd, session.error());
  if (session->dep().apps.contains(o.name)) {
    return usage("an app named \"" + o.name + "\" is already recorded in " +
                 session->deployment_path + " (" + ChecksumAddress(session->dep().apps.at(o.name)) +
                 ")");
  }
  auto signer = LoadCommandSigner(o.chain);
  if (!signer) return ReportError(io, cmd, signer.error());
  config.owner = signer->address();
  if (!o.owner.empty()) {
    auto owner = chain::ParseAddress(o.owner);
    if (!owner) return ReportError(io, cmd, owner.error().WithContext("--owner"));
    config.owner = *owner;
  }
  if (o.delay >= 0) {
    config.upgrade_delay = static_cast<uint64_t>(o.delay);
  } else {
    chain::RegistryContract registry(*session->rpc, session->dep().registry);
    auto min_delay = registry.MinUpgradeDelay();
    if (!min_delay) return ReportError(io, cmd, min_delay.error());
    config.upgrade_delay = *min_delay;
  }

  chain::TxRequest request{
      session->dep().factory, chain::AppFactoryContract::CreateApp(config), {}};
  auto sent = SendAndWait(*session, *signer, o.chain, request, "createApp", io);
  if (!sent) return ReportError(io, cmd, sent.error());
  auto app = chain::AppFactoryContract::CreatedApp(sent->receipt, session->dep().factory);
  if (!app) return ReportError(io, cmd, app.error());

  chain::Deployment updated = session->dep();
  updated.apps[o.name] = *app;
  if (auto saved = chain::SaveDeployment(session->deployment_path, updated); !saved) {
    io.err << "teecloud app create: warning: app created but not recorded: "
           << saved.error().message << "\n";
  }
  io.err << "teecloud app create: app \"" << o.name << "\" manifest " << HexData(manifest->hash)
         << " version " << manifest->version << ", upgrade delay " << config.upgrade_delay
         << " s\n";
  io.out << ChecksumAddress(*app) << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------- manifest transactions

enum class ManifestAction { kPropose, kActivate, kCancel, kRevoke };

struct ManifestTxOptions {
  ChainOptions chain;
  std::string app;
  std::string hash;
  std::string manifest;
  uint64_t manifest_version = 0;
  bool raise_min_version = false;
};

int RunManifestTx(const ManifestTxOptions& o, ManifestAction action, const CliIo& io) {
  static constexpr const char* kNames[] = {"app propose", "app activate", "app cancel",
                                           "app revoke"};
  const std::string cmd = kNames[static_cast<int>(action)];
  auto usage = [&](std::string message) {
    return ReportError(io, cmd, Error{Code::kInvalidArgument, std::move(message)});
  };
  Hash32 hash{};
  uint64_t version = o.manifest_version;
  if (!o.manifest.empty()) {
    auto m = ReadManifest(o.manifest);
    if (!m) return ReportError(io, cmd, m.error());
    hash = m->hash;
    if (version != 0 && version != m->version) {
      return usage("--manifest-version " + std::to_string(version) +
                   " differs from the manifest's " + std::to_string(m->version));
    }
    version = m->version;
    if (!o.hash.empty()) {
      auto given = chain::ParseHash32(o.hash);
      if (!given) return ReportError(io, cmd, given.error().WithContext("HASH"));
      if (*given != hash) return usage("HASH differs from the hash of " + o.manifest);
    }
  } else if (!o.hash.empty()) {
    auto given = chain::ParseHash32(o.hash);
    if (!given) return ReportError(io, cmd, given.error().WithContext("HASH"));
    hash = *given;
  } else {
    return usage("give the manifest HASH or --manifest FILE");
  }
  if (action == ManifestAction::kPropose && version == 0) {
    return usage("propose needs the manifest's version: --manifest FILE or --manifest-version N");
  }

  auto session = OpenChainSession(o.chain, true);
  if (!session) return ReportError(io, cmd, session.error());
  auto app = ResolveApp(*session, o.app);
  if (!app) return ReportError(io, cmd, app.error());
  auto signer = LoadCommandSigner(o.chain);
  if (!signer) return ReportError(io, cmd, signer.error());

  Bytes data;
  std::string what;
  switch (action) {
    case ManifestAction::kPropose:
      data = chain::AppControllerContract::Propose(hash, version);
      what = "propose";
      break;
    case ManifestAction::kActivate:
      data = o.raise_min_version ? chain::AppControllerContract::ActivateAndRaiseMinVersion(hash)
                                 : chain::AppControllerContract::Activate(hash);
      what = o.raise_min_version ? "activateAndRaiseMinVersion" : "activate";
      break;
    case ManifestAction::kCancel:
      data = chain::AppControllerContract::Cancel(hash);
      what = "cancel";
      break;
    case ManifestAction::kRevoke:
      data = chain::AppControllerContract::Revoke(hash);
      what = "revoke";
      break;
  }
  auto sent = SendAndWait(*session, *signer, o.chain, chain::TxRequest{*app, data, {}}, what, io);
  if (!sent) return ReportError(io, cmd, sent.error());
  if (action == ManifestAction::kPropose) {
    // Report when the timelock ends, from the event the contract emitted.
    for (const chain::Log& log : sent->receipt.logs) {
      auto event = chain::DecodeEvent(log);
      if (event && *event && (*event)->name == "ManifestProposed") {
        io.err << "teecloud app propose: " << (*event)->ToString() << "\n";
      }
    }
  }
  io.out << HexData(sent->hash) << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------- freeze

struct AppOptions {
  ChainOptions chain;
  std::string app;
  std::string boot_info;
  bool history = false;
};

int RunFreeze(const AppOptions& o, const CliIo& io) {
  constexpr std::string_view cmd = "app freeze";
  auto session = OpenChainSession(o.chain, true);
  if (!session) return ReportError(io, cmd, session.error());
  auto app = ResolveApp(*session, o.app);
  if (!app) return ReportError(io, cmd, app.error());
  auto signer = LoadCommandSigner(o.chain);
  if (!signer) return ReportError(io, cmd, signer.error());
  chain::TxRequest request{*app, chain::AppControllerContract::Freeze(), {}};
  auto sent = SendAndWait(*session, *signer, o.chain, request, "freeze", io);
  if (!sent) return ReportError(io, cmd, sent.error());
  io.err << "teecloud app freeze: " << ChecksumAddress(*app)
         << " is frozen for good: its allowed manifests can never change again\n";
  io.out << HexData(sent->hash) << "\n";
  return kExitOk;
}

// ---------------------------------------------------------------- status

std::string Seconds(uint64_t s) { return std::to_string(s) + " s"; }

int RunStatus(const AppOptions& o, const CliIo& io) {
  constexpr std::string_view cmd = "app status";
  auto session = OpenChainSession(o.chain, true);
  if (!session) return ReportError(io, cmd, session.error());
  auto app = ResolveApp(*session, o.app);
  if (!app) return ReportError(io, cmd, app.error());
  auto block = session->rpc->GetBlock(session->block);
  if (!block) return ReportError(io, cmd, block.error());
  if (!*block) return ReportError(io, cmd, Error{Code::kNotFound, "no such block"});
  // Read everything at the block just fetched, so the answer is one consistent snapshot.
  const chain::BlockRef at = chain::BlockRef::Number((*block)->number);
  const uint64_t now = (*block)->timestamp;
  chain::AppControllerContract controller(*session->rpc, *app, at);
  auto state = controller.ReadState();
  if (!state) return ReportError(io, cmd, state.error());
  chain::RegistryContract registry(*session->rpc, session->dep().registry, at);
  auto registered = registry.IsAppRegistered(*app);
  if (!registered) return ReportError(io, cmd, registered.error());
  std::vector<chain::ContractEvent> history;
  if (o.history) {
    auto events = chain::ReadEvents(*session->rpc, *app, chain::BlockRef::Earliest(), at);
    if (!events) return ReportError(io, cmd, events.error());
    history = std::move(*events);
  }

  const Address zero{};
  auto address_or_null = [&](const Address& a) {
    return a == zero ? OrderedJson() : OrderedJson(ChecksumAddress(a));
  };
  if (o.chain.json) {
    OrderedJson j;
    j["app"] = ChecksumAddress(*app);
    j["block"] = {{"number", (*block)->number}, {"timestamp", now}};
    j["registered"] = *registered;
    j["owner"] = ChecksumAddress(state->owner);
    j["pending_owner"] = address_or_null(state->pending_owner);
    j["guardian"] = address_or_null(state->guardian);
    if (state->pending_guardian_ready_at != 0) {
      j["pending_guardian"] = {{"guardian", address_or_null(state->pending_guardian)},
                               {"ready_at", state->pending_guardian_ready_at}};
    }
    j["frozen"] = state->frozen;
    j["min_version"] = state->min_version;
    j["upgrade_delay"] = state->upgrade_delay;
    j["effective_upgrade_delay"] = state->effective_upgrade_delay;
    if (state->pending_delay_ready_at != 0) {
      j["pending_upgrade_delay"] = {{"delay", state->pending_delay},
                                    {"ready_at", state->pending_delay_ready_at}};
    }
    j["allow_any_device"] = state->allow_any_device;
    j["devices"] = OrderedJson::array();
    for (const auto& d : state->devices) j["devices"].push_back(HexData(d));
    j["require_up_to_date_tcb"] = state->require_up_to_date_tcb;
    j["manifests"] = OrderedJson::array();
    for (const auto& m : state->manifests) {
      j["manifests"].push_back({{"hash", HexData(m.hash)},
                                {"version", m.version},
                                {"below_min_version", m.version < state->min_version}});
    }
    j["pending"] = OrderedJson::array();
    for (const auto& p : state->proposals) {
      j["pending"].push_back({{"hash", HexData(p.hash)},
                              {"version", p.version},
                              {"ready_at", p.ready_at},
                              {"ready_at_utc", FormatRfc3339(static_cast<UnixTime>(p.ready_at))},
                              {"ready", now >= p.ready_at}});
    }
    if (o.history) {
      j["history"] = OrderedJson::array();
      for (const auto& e : history) {
        OrderedJson fields = OrderedJson::object();
        for (const auto& [k, v] : e.fields) fields[k] = v;
        j["history"].push_back({{"block", e.block_number},
                                {"tx", HexData(e.transaction_hash)},
                                {"event", e.name},
                                {"fields", fields}});
      }
    }
    io.out << DumpJson(j, 2) << "\n";
    return kExitOk;
  }

  io.out << "app             " << ChecksumAddress(*app) << " (block " << (*block)->number << ", "
         << FormatRfc3339(static_cast<UnixTime>(now)) << ")\n";
  io.out << "registered      " << (*registered ? "yes" : "no") << "\n";
  io.out << "owner           " << ChecksumAddress(state->owner) << "\n";
  if (state->pending_owner != zero) {
    io.out << "pending owner   " << ChecksumAddress(state->pending_owner) << "\n";
  }
  io.out << "guardian        "
         << (state->guardian == zero ? "none" : ChecksumAddress(state->guardian)) << "\n";
  if (state->pending_guardian_ready_at != 0) {
    io.out << "guardian change to "
           << (state->pending_guardian == zero ? "none" : ChecksumAddress(state->pending_guardian))
           << " from " << FormatRfc3339(static_cast<UnixTime>(state->pending_guardian_ready_at))
           << "\n";
  }
  io.out << "frozen          " << (state->frozen ? "yes" : "no") << "\n";
  io.out << "min version     " << state->min_version << "\n";
  io.out << "upgrade delay   " << Seconds(state->upgrade_delay) << " (effective "
         << Seconds(state->effective_upgrade_delay) << ")\n";
  if (state->pending_delay_ready_at != 0) {
    io.out << "delay change to " << Seconds(state->pending_delay) << " from "
           << FormatRfc3339(static_cast<UnixTime>(state->pending_delay_ready_at)) << "\n";
  }
  io.out << "devices         ";
  if (state->allow_any_device) {
    io.out << "any\n";
  } else {
    io.out << state->devices.size() << " allowed\n";
    for (const auto& d : state->devices) io.out << "  " << HexData(d) << "\n";
  }
  io.out << "TCB             " << (state->require_up_to_date_tcb ? "UpToDate required" : "any")
         << "\n";
  io.out << "allowed manifests (" << state->manifests.size() << ")\n";
  for (const auto& m : state->manifests) {
    io.out << "  " << HexData(m.hash) << "  version " << m.version
           << (m.version < state->min_version ? "  (below min version: refused)" : "") << "\n";
  }
  io.out << "pending proposals (" << state->proposals.size() << ")\n";
  for (const auto& p : state->proposals) {
    io.out << "  " << HexData(p.hash) << "  version " << p.version << "  activatable from "
           << FormatRfc3339(static_cast<UnixTime>(p.ready_at));
    if (now >= p.ready_at) {
      io.out << " (ready)\n";
    } else {
      io.out << " (in " << Seconds(p.ready_at - now) << ")\n";
    }
  }
  if (o.history) {
    io.out << "history (" << history.size() << " events)\n";
    for (const auto& e : history) {
      io.out << "  block " << e.block_number << "  " << e.ToString() << "\n";
    }
  }
  return kExitOk;
}

// ---------------------------------------------------------------- check

int RunCheck(const AppOptions& o, const CliIo& io) {
  constexpr std::string_view cmd = "app check";
  auto text = ReadTextFile(o.boot_info, 1u << 20);
  if (!text) return ReportError(io, cmd, text.error());
  auto json = ParseJson(*text);
  if (!json) return ReportError(io, cmd, json.error().WithContext(o.boot_info));
  auto session = OpenChainSession(o.chain, true);
  if (!session) return ReportError(io, cmd, session.error());
  auto app = ResolveApp(*session, o.app);
  if (!app) return ReportError(io, cmd, app.error());
  auto boot = chain::BootInfoFromJson(*json, *app);
  if (!boot) return ReportError(io, cmd, boot.error().WithContext(o.boot_info));
  if (boot->app_id != *app) {
    io.err << "teecloud app check: note: the boot info names app " << ChecksumAddress(boot->app_id)
           << ", not " << ChecksumAddress(*app) << "\n";
  }
  auto block = session->rpc->GetBlock(session->block);
  if (!block) return ReportError(io, cmd, block.error());
  if (!*block) return ReportError(io, cmd, Error{Code::kNotFound, "no such block"});
  // The registry's answer is the whole policy: registered app, allowed OS image, then the app's
  // own controller (what a KMS member asks before releasing keys).
  chain::RegistryContract registry(*session->rpc, session->dep().registry,
                                   chain::BlockRef::Number((*block)->number));
  auto decision = registry.IsAppAllowed(*boot);
  if (!decision) return ReportError(io, cmd, decision.error());
  if (o.chain.json) {
    OrderedJson j;
    j["app"] = ChecksumAddress(*app);
    j["block"] = (*block)->number;
    j["allowed"] = decision->allowed;
    j["reason"] = decision->reason;
    j["boot_info"] = chain::BootInfoToJson(*boot);
    io.out << DumpJson(j, 2) << "\n";
  } else if (decision->allowed) {
    io.out << "allowed\n";
  } else {
    io.out << "refused: " << decision->reason << "\n";
  }
  return decision->allowed ? kExitOk : kExitRejected;
}

}  // namespace

void AddAppGovernanceCommands(CommandTable& table) {
  const CliIo io = table.io();
  CLI::App* group = table.Group(table.root(), "app", "An app's on-chain upgrade governance");

  auto create = std::make_shared<CreateOptions>();
  CLI::App* c = group->add_subcommand(
      "create", "Create an app (AppController) with its first manifest allowed; prints the app id");
  c->add_option("NAME", create->name, "App name, recorded in the deployment file")->required();
  c->add_option("--manifest", create->manifest, "The app manifest (JSON)")->required();
  c->add_option("--delay", create->delay,
                "Upgrade timelock in seconds (default: the registry's minimum)")
      ->check(CLI::Range(int64_t{0}, int64_t{365} * 24 * 3600));
  c->add_option("--guardian", create->guardian, "Address that may veto (cancel) proposals");
  c->add_option("--owner", create->owner, "App owner (default: the signing key's address)");
  c->add_option("--device", create->devices, "Allowed device id (repeatable; default: any device)")
      ->allow_extra_args(false);
  c->add_flag("--require-up-to-date-tcb", create->require_up_to_date_tcb,
              "Refuse CVMs whose TCB status is not UpToDate");
  AddChainOptions(c, create->chain, static_cast<int>(ChainFlags::kSend));
  table.Handle(c, [create, io] { return RunCreate(*create, io); });

  struct Spec {
    const char* name;
    ManifestAction action;
    const char* help;
  };
  for (const Spec& spec : {
           Spec{"propose", ManifestAction::kPropose,
                "Propose a manifest; it can be activated once the app's upgrade delay has passed"},
           Spec{"activate", ManifestAction::kActivate,
                "Activate a proposed manifest whose timelock has elapsed"},
           Spec{"cancel", ManifestAction::kCancel,
                "Cancel (veto) a pending proposal (owner or guardian)"},
           Spec{"revoke", ManifestAction::kRevoke, "Stop allowing a manifest, at once"},
       }) {
    auto opts = std::make_shared<ManifestTxOptions>();
    CLI::App* m = group->add_subcommand(spec.name, spec.help);
    m->add_option("APP", opts->app, "App id (address) or name from the deployment file")
        ->required();
    m->add_option("HASH", opts->hash, "Manifest hash (32 bytes hex)");
    m->add_option("--manifest", opts->manifest, "Take the hash (and version) from a manifest file");
    if (spec.action == ManifestAction::kPropose) {
      m->add_option("--manifest-version", opts->manifest_version,
                    "The manifest's version (with HASH; --manifest supplies it)")
          ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 53));
    }
    if (spec.action == ManifestAction::kActivate) {
      m->add_flag("--raise-min-version", opts->raise_min_version,
                  "Also raise the app's minimum version to this manifest's (forbids rollback)");
    }
    AddChainOptions(m, opts->chain, static_cast<int>(ChainFlags::kSend));
    const ManifestAction action = spec.action;
    table.Handle(m, [opts, action, io] { return RunManifestTx(*opts, action, io); });
  }

  auto freeze = std::make_shared<AppOptions>();
  CLI::App* f = group->add_subcommand(
      "freeze", "Make the app immutable for good (no manifest can ever be added or revoked)");
  f->add_option("APP", freeze->app, "App id (address) or name")->required();
  AddChainOptions(f, freeze->chain, static_cast<int>(ChainFlags::kSend));
  table.Handle(f, [freeze, io] { return RunFreeze(*freeze, io); });

  auto status = std::make_shared<AppOptions>();
  CLI::App* s = group->add_subcommand(
      "status",
      "Owner, guardian, allowed manifests with versions, pending proposals with their "
      "activation time, min version, frozen");
  s->add_option("APP", status->app, "App id (address) or name")->required();
  s->add_flag("--history", status->history, "Also list every governance event of the app");
  AddChainOptions(s, status->chain, ChainFlags::kRead | ChainFlags::kJson);
  table.Handle(s, [status, io] { return RunStatus(*status, io); });

  auto check = std::make_shared<AppOptions>();
  CLI::App* k = group->add_subcommand(
      "check",
      "What isAppAllowed answers for a boot info (exit 0 allowed, 1 refused, with the reason)");
  k->add_option("APP", check->app, "App id (address) or name")->required();
  k->add_option("--boot-info", check->boot_info,
                "Boot info JSON: manifest_hash, manifest_version, os_image_hash, and optionally "
                "app_id, instance_id, device_id, mr_aggregated, tcb_status")
      ->required();
  AddChainOptions(k, check->chain, ChainFlags::kRead | ChainFlags::kJson);
  table.Handle(k, [check, io] { return RunCheck(*check, io); });
}

}  // namespace teecloud::cli
