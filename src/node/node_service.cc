#include "node/node_service.h"

#include <algorithm>
#include <set>
#include <utility>

#include "agent/app_runner.h"
#include "manifest/manifest.h"
#include "secrets/sealed_env.h"
#include "node/attest_binding.h"

namespace teecloud::node {

namespace {

struct CheckedManifest {
  std::string canonical_json;
  std::string hash_hex;
  std::string policy_app_id;  // 40 hex
  std::vector<uint16_t> ports;
  std::string key_provider;
  std::string name;
};

Result<CheckedManifest> CheckManifest(const std::string& json,
                                      const std::vector<std::string>& key_providers) {
  auto parsed = manifest::ParseManifest(json);
  if (!parsed) {
    return InvalidArgument("invalid manifest: " + parsed.error().message);
  }
  const manifest::Manifest& m = *parsed;
  // Refuse here what the agent would refuse at boot, before anything is created.
  if (auto compose = agent::CheckAppCompose(m); !compose) {
    return InvalidArgument("the manifest cannot run: " + compose.error().message);
  }
  CheckedManifest out;
  out.canonical_json = manifest::CanonicalManifestJson(m);
  out.hash_hex = manifest::ManifestHashHex(m);
  const manifest::AppId app_id = manifest::PolicyModeAppId(m);
  out.policy_app_id = ToHex(ByteView(app_id.data(), app_id.size()));
  for (const auto& p : m.ports) out.ports.push_back(p.port);
  out.key_provider = std::string(manifest::KeyProviderName(m.key_provider));
  out.name = m.name;
  if (std::find(key_providers.begin(), key_providers.end(), out.key_provider) ==
      key_providers.end()) {
    std::string have;
    for (const auto& k : key_providers) have += (have.empty() ? "" : ", ") + k;
    return FailedPrecondition("manifest key_provider \"" + out.key_provider +
                              "\" is not available on this node (it serves: " + have +
                              "); build the manifest with one of those");
  }
  return out;
}

Result<std::string> NormalizeAppId(const std::string& app_id) {
  auto bytes = FromHex(app_id);
  if (!bytes || bytes->size() != 20) {
    return InvalidArgument("app_id: expected 40 hex digits (20 bytes)");
  }
  return ToHex(*bytes);
}

std::string ShortHex(const std::string& hex) { return hex.substr(0, 12); }

bool IsTombstone(const CvmRecord& c) {
  return c.desired == DesiredState::kRemoved && c.status == CvmStatus::kRemoved;
}

}  // namespace

NodeService::NodeService(StateStore& store, CvmBackend& backend, const Clock& clock,
                         crypto::Random& random, NodeServiceOptions options)
    : store_(store),
      backend_(backend),
      clock_(clock),
      random_(random),
      options_(std::move(options)) {}

std::shared_ptr<std::mutex> NodeService::CvmMutex(const std::string& id) {
  std::lock_guard lock(map_mu_);
  auto& m = cvm_mu_[id];
  if (!m) m = std::make_shared<std::mutex>();
  return m;
}

void NodeService::ResetSupervision(const std::string& id) {
  std::lock_guard lock(map_mu_);
  supervision_[id] = Supervision{};
}

int64_t NodeService::BackoffSeconds(int64_t consecutive_failures) const {
  int64_t d = std::max<int64_t>(options_.backoff_initial_seconds, 1);
  for (int64_t i = 1; i < consecutive_failures && d < options_.backoff_max_seconds; ++i) d *= 2;
  return std::min(d, std::max<int64_t>(options_.backoff_max_seconds, 1));
}

NodeCounters NodeService::counters() const {
  return NodeCounters{agent_restarts_.load(), agent_exits_.load(), adopted_.load()};
}

Result<CvmRecord> NodeService::Find(const std::string& ref) {
  if (ref.empty()) return InvalidArgument("no CVM given");
  ASSIGN_OR_RETURN(std::optional<CvmRecord> c, store_.FindCvm(ref));
  if (!c) return NotFound("no CVM named '" + ref + "' (nor with that id or app id)");
  return std::move(*c);
}

Result<CvmRecord> NodeService::FindLive(const std::string& ref) {
  ASSIGN_OR_RETURN(CvmRecord c, Find(ref));
  if (c.desired == DesiredState::kRemoved || c.desired == DesiredState::kPurged) {
    return FailedPrecondition("CVM '" + c.name +
                              "' was removed (its data is kept); deploy the name again to resume "
                              "it, or remove it with purge to delete it");
  }
  return c;
}

Status NodeService::CheckPorts(const std::vector<PortMapping>& ports,
                               const std::vector<uint16_t>& exposed, const std::string& own_name) {
  for (const PortMapping& p : ports) {
    const std::string mapping = std::to_string(p.host_port) + ":" + std::to_string(p.cvm_port);
    if (std::find(exposed.begin(), exposed.end(), p.cvm_port) == exposed.end()) {
      std::string list;
      for (uint16_t e : exposed) list += (list.empty() ? "" : ", ") + std::to_string(e);
      return InvalidArgument(
          "port mapping " + mapping + ": the manifest does not expose CVM port " +
          std::to_string(p.cvm_port) +
          (list.empty() ? " (it exposes none; publish the port in the compose file, e.g. "
                          "ports: [\"" +
                              std::to_string(p.cvm_port) + ":" + std::to_string(p.cvm_port) + "\"])"
                        : " (it exposes " + list + ")"));
    }
    ASSIGN_OR_RETURN(std::optional<std::string> holder, store_.PortHolder(p.host_port, p.protocol));
    if (holder && *holder != own_name) {
      return MakeError(Code::kAlreadyExists, "host port " + std::to_string(p.host_port) + "/" +
                                                 p.protocol + " is already reserved by CVM '" +
                                                 *holder + "'");
    }
    if (!holder && options_.host_port_available &&
        !options_.host_port_available(p.host_port, p.protocol)) {
      return MakeError(Code::kAlreadyExists, "host port " + std::to_string(p.host_port) + "/" +
                                                 p.protocol +
                                                 " is in use by another program on this machine");
    }
  }
  return OkStatus();
}

Status CheckSealedEnv(ByteView sealed_env, const std::string& manifest_json) {
  if (sealed_env.empty()) return OkStatus();
  if (sealed_env.size() < secrets::kSealedEnvOverhead ||
      sealed_env.size() > secrets::kMaxSealedEnvSize) {
    return InvalidArgument("sealed_env: " + std::to_string(sealed_env.size()) +
                           " bytes is not a sealed env (seal it with teecloud deploy --env-file)");
  }
  ASSIGN_OR_RETURN(const manifest::Manifest m, manifest::ParseManifest(manifest_json));
  if (m.allowed_envs.empty()) {
    return InvalidArgument(
        "secrets were given but the manifest's allowed_envs is empty, so the CVM would export "
        "none of them; list their names in allowed_envs");
  }
  if (m.key_provider == manifest::KeyProvider::kNone) {
    return InvalidArgument("secrets need a key provider; the manifest's key_provider is none");
  }
  return OkStatus();
}

Result<DeployResult> NodeService::Deploy(const DeployRequest& req) {
  RETURN_IF_ERROR(ValidateCvmName(req.name));
  ASSIGN_OR_RETURN(const CheckedManifest m,
                   CheckManifest(req.manifest_json, options_.key_providers));
  RETURN_IF_ERROR(CheckSealedEnv(req.sealed_env, m.canonical_json));
  std::string app_id = m.policy_app_id;
  if (!req.app_id.empty()) {
    ASSIGN_OR_RETURN(app_id, NormalizeAppId(req.app_id));
  }

  std::unique_lock deploy_lock(deploy_mu_);
  ASSIGN_OR_RETURN(std::optional<CvmRecord> existing, store_.FindCvmByName(req.name));
  if (existing && !IsTombstone(*existing)) {
    return MakeError(Code::kAlreadyExists,
                     "a CVM named '" + req.name + "' already exists (status " +
                         std::string(CvmStatusName(existing->status)) +
                         "); upgrade it to change its manifest, or remove it first");
  }
  RETURN_IF_ERROR(CheckPorts(req.ports, m.ports, req.name));

  std::string id;
  bool resumed = false;
  if (existing) {
    if (!req.app_id.empty() && app_id != existing->app_id) {
      return MakeError(Code::kAlreadyExists,
                       "the name '" + req.name + "' holds the kept data of app " +
                           existing->app_id +
                           "; deploy it without app_id to resume it, or remove it with purge");
    }
    id = existing->id;
    resumed = true;
    auto mu = CvmMutex(id);
    std::lock_guard lock(*mu);
    auto updated = store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec& ev) {
      c.manifest_json = m.canonical_json;
      if (c.manifest_hash != m.hash_hex) {
        c.manifest_hash = m.hash_hex;
        c.generation += 1;
      }
      c.ports = req.ports;
      c.restart_policy = req.restart_policy;
      c.sealed_env = req.sealed_env;
      c.desired = DesiredState::kRunning;
      c.status = CvmStatus::kCreating;
      c.status_detail.clear();
      c.agent = {};
      ev = {"resumed", "deployed again: resumes app " + c.app_id +
                           " with its kept data; manifest " + m.hash_hex};
      return OkStatus();
    });
    if (!updated) return tl::unexpected(updated.error());
  } else {
    CvmRecord c;
    c.id = ToHex(random_.RandomBytes(8));
    c.name = req.name;
    c.app_id = app_id;
    c.manifest_json = m.canonical_json;
    c.manifest_hash = m.hash_hex;
    c.ports = req.ports;
    c.restart_policy = req.restart_policy;
    c.sealed_env = req.sealed_env;
    c.desired = DesiredState::kRunning;
    c.status = CvmStatus::kCreating;
    RETURN_IF_ERROR(
        store_.InsertCvm(c, {"created", "deployed manifest " + m.hash_hex + " as app " + app_id}));
    id = c.id;
  }
  deploy_lock.unlock();

  auto mu = CvmMutex(id);
  std::lock_guard lock(*mu);
  ResetSupervision(id);
  auto started = StartLocked(id, "started", "agent started", false);
  if (!started) {
    // Deploy is all or nothing: a CVM that cannot even be started is not left behind.
    const Error err = started.error();
    if (resumed) {
      (void)store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec& ev) {
        c.desired = DesiredState::kRemoved;
        c.status = CvmStatus::kRemoved;
        c.status_detail = "resume failed: " + err.message;
        c.agent = {};
        ev = {"resume-failed", err.message};
        return OkStatus();
      });
    } else {
      if (auto c = store_.GetCvm(id)) (void)backend_.Remove(*c, /*purge=*/true);
      (void)store_.DeleteCvm(id);
    }
    return tl::unexpected(err.WithContext("deploy failed, nothing was kept"));
  }
  return DeployResult{std::move(*started), resumed};
}

Result<CvmRecord> NodeService::StartLocked(const std::string& id, const std::string& event_kind,
                                           const std::string& event_message, bool count_restart) {
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(id));
  auto fail = [&](const Error& e, const std::string& what) -> Result<CvmRecord> {
    (void)store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec& ev) {
      c.status = CvmStatus::kFailed;
      c.status_detail = what + ": " + e.message;
      c.agent = {};
      ev = {"start-failed", c.status_detail};
      return OkStatus();
    });
    return tl::unexpected(e.WithContext(what));
  };
  auto instance = backend_.Create(cvm);
  if (!instance) return fail(instance.error(), "cannot prepare the CVM");
  if (cvm.instance_id != *instance) {
    ASSIGN_OR_RETURN(cvm, store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec&) {
      c.instance_id = *instance;
      return OkStatus();
    }));
  }
  auto process = backend_.Start(cvm);
  if (!process) return fail(process.error(), "cannot start the agent");
  ASSIGN_OR_RETURN(CvmRecord out, store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec& ev) {
    c.status = CvmStatus::kStarting;
    c.status_detail.clear();
    c.agent = *process;
    if (count_restart) c.restart_count += 1;
    ev = {event_kind, event_message + " (agent pid " + std::to_string(process->pid) + ")"};
    return OkStatus();
  }));
  {
    std::lock_guard lock(map_mu_);
    Supervision& s = supervision_[id];
    s.starting_since = clock_.Now();
    s.running_since = 0;
    s.next_restart_at = 0;
  }
  if (count_restart) agent_restarts_++;
  return out;
}

Result<CvmRecord> NodeService::StopLocked(const std::string& id, DesiredState desired,
                                          CvmStatus final_status, const EventSpec& event) {
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec&) {
    c.desired = desired;
    c.status = CvmStatus::kStopping;
    return OkStatus();
  }));
  if (cvm.agent.pid != 0) {
    RETURN_IF_ERROR(backend_.Stop(id, cvm.agent, options_.stop_grace));
  }
  {
    std::lock_guard lock(map_mu_);
    supervision_[id].next_restart_at = 0;
  }
  return store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec& ev) {
    c.status = final_status;
    c.status_detail.clear();
    c.agent = {};
    ev = event;
    return OkStatus();
  });
}

Result<std::vector<CvmRecord>> NodeService::List(bool include_removed) {
  return store_.ListCvms(include_removed);
}

Result<CvmRecord> NodeService::Inspect(const std::string& ref) { return Find(ref); }

Result<CvmRecord> NodeService::Start(const std::string& ref) {
  ASSIGN_OR_RETURN(const CvmRecord found, FindLive(ref));
  auto mu = CvmMutex(found.id);
  std::lock_guard lock(*mu);
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(found.id));
  if (cvm.agent.pid != 0) {
    const Observation obs = backend_.Observe(cvm, false);
    if (obs.state == AgentState::kRunning || obs.state == AgentState::kStarting) {
      if (cvm.desired == DesiredState::kRunning) return cvm;
      return store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec&) {
        c.desired = DesiredState::kRunning;
        return OkStatus();
      });
    }
  }
  RETURN_IF_ERROR(store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec&) {
    c.desired = DesiredState::kRunning;
    return OkStatus();
  }));
  ResetSupervision(cvm.id);
  return StartLocked(cvm.id, "started", "started on request", false);
}

Result<CvmRecord> NodeService::Stop(const std::string& ref) {
  ASSIGN_OR_RETURN(const CvmRecord found, FindLive(ref));
  auto mu = CvmMutex(found.id);
  std::lock_guard lock(*mu);
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(found.id));
  if (cvm.desired == DesiredState::kStopped && cvm.status == CvmStatus::kStopped &&
      cvm.agent.pid == 0) {
    return cvm;
  }
  return StopLocked(cvm.id, DesiredState::kStopped, CvmStatus::kStopped,
                    {"stopped", "stopped on request"});
}

Result<CvmRecord> NodeService::Restart(const std::string& ref) {
  ASSIGN_OR_RETURN(const CvmRecord found, FindLive(ref));
  auto mu = CvmMutex(found.id);
  std::lock_guard lock(*mu);
  RETURN_IF_ERROR(StopLocked(found.id, DesiredState::kRunning, CvmStatus::kStopped,
                             {"stopped", "stopped for a restart"}));
  ResetSupervision(found.id);
  return StartLocked(found.id, "restarted", "restarted on request", false);
}

Result<CvmRecord> NodeService::Upgrade(const std::string& ref, const UpgradeRequest& req) {
  ASSIGN_OR_RETURN(const CheckedManifest m,
                   CheckManifest(req.manifest_json, options_.key_providers));
  ASSIGN_OR_RETURN(const CvmRecord found, FindLive(ref));
  auto mu = CvmMutex(found.id);
  std::lock_guard lock(*mu);
  ASSIGN_OR_RETURN(const CvmRecord cvm, store_.GetCvm(found.id));
  const std::vector<PortMapping> ports = req.ports ? *req.ports : cvm.ports;
  RETURN_IF_ERROR(CheckPorts(ports, m.ports, cvm.name));
  const Bytes sealed_env = req.sealed_env ? *req.sealed_env : cvm.sealed_env;
  RETURN_IF_ERROR(CheckSealedEnv(sealed_env, m.canonical_json));
  const bool was_running = cvm.desired == DesiredState::kRunning;
  const int64_t generation = cvm.generation + 1;
  // One commit carries the new manifest and the stop it implies: after a crash, Reconcile sees
  // status stopping and restarts the agent on the new manifest.
  ASSIGN_OR_RETURN(const CvmRecord updated,
                   store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec& ev) {
                     c.manifest_json = m.canonical_json;
                     c.manifest_hash = m.hash_hex;
                     c.generation = generation;
                     c.ports = ports;
                     c.sealed_env = sealed_env;
                     if (was_running) c.status = CvmStatus::kStopping;
                     ev = {"upgrading", "manifest " + cvm.manifest_hash + " -> " + m.hash_hex +
                                            " (generation " + std::to_string(generation) + ")"};
                     return OkStatus();
                   }));
  if (!was_running) {
    // Stopped CVMs only get their files refreshed; the next start runs the new manifest.
    auto instance = backend_.Create(updated);
    if (!instance) return tl::unexpected(instance.error().WithContext("cannot prepare the CVM"));
    return store_.UpdateCvm(cvm.id, [&](CvmRecord&, EventSpec& ev) {
      ev = {"upgraded", "manifest " + m.hash_hex + " will run at the next start"};
      return OkStatus();
    });
  }
  RETURN_IF_ERROR(StopLocked(cvm.id, DesiredState::kRunning, CvmStatus::kStopped,
                             {"stopped", "stopped for an upgrade"}));
  ResetSupervision(cvm.id);
  return StartLocked(cvm.id, "upgraded",
                     "upgraded to manifest " + ShortHex(m.hash_hex) + " (generation " +
                         std::to_string(generation) + "), same app id and instance",
                     false);
}

Result<CvmRecord> NodeService::Remove(const std::string& ref, bool purge) {
  ASSIGN_OR_RETURN(const CvmRecord found, Find(ref));
  auto mu = CvmMutex(found.id);
  std::lock_guard lock(*mu);
  ASSIGN_OR_RETURN(const CvmRecord cvm, store_.GetCvm(found.id));
  if (IsTombstone(cvm) && !purge) return cvm;
  RETURN_IF_ERROR(store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec& ev) {
    c.desired = purge ? DesiredState::kPurged : DesiredState::kRemoved;
    c.status = CvmStatus::kRemoving;
    ev = {"removing", purge ? "removing with its data" : "removing, keeping its data"};
    return OkStatus();
  }));
  return FinishRemoveLocked(cvm.id);
}

Result<CvmRecord> NodeService::FinishRemoveLocked(const std::string& id) {
  ASSIGN_OR_RETURN(CvmRecord cvm, store_.GetCvm(id));
  const bool purge = cvm.desired == DesiredState::kPurged;
  if (cvm.agent.pid != 0) RETURN_IF_ERROR(backend_.Stop(id, cvm.agent, options_.stop_grace));
  // Any other agent of this CVM (a duplicate from an interrupted start) goes too.
  ASSIGN_OR_RETURN(const std::vector<DiscoveredAgent> agents, backend_.Discover());
  for (const DiscoveredAgent& a : agents) {
    if (a.cvm_id == id) RETURN_IF_ERROR(backend_.Stop(id, a.process, options_.stop_grace));
  }
  RETURN_IF_ERROR(backend_.Remove(cvm, purge));
  {
    std::lock_guard lock(map_mu_);
    supervision_.erase(id);
  }
  if (purge) {
    RETURN_IF_ERROR(store_.DeleteCvm(id));
    cvm.status = CvmStatus::kRemoved;
    cvm.agent = {};
    return cvm;
  }
  return store_.UpdateCvm(id, [&](CvmRecord& c, EventSpec& ev) {
    c.status = CvmStatus::kRemoved;
    c.status_detail = "removed; data kept";
    c.agent = {};
    ev = {"removed",
          "removed; its data (instance seed, agent state, volumes) is kept: deploying '" + c.name +
              "' again resumes it, removing it with purge deletes it"};
    return OkStatus();
  });
}

Status NodeService::Logs(const std::string& ref, const LogOptions& options, const LogSink& sink) {
  ASSIGN_OR_RETURN(const CvmRecord cvm, FindLive(ref));
  return backend_.Logs(cvm, options, sink);
}

Result<std::vector<CvmEvent>> NodeService::Events(const std::string& ref, int limit) {
  ASSIGN_OR_RETURN(const CvmRecord cvm, Find(ref));
  return store_.Events(cvm.id, std::clamp(limit, 1, kMaxEventsPerCvm));
}

Result<std::vector<StateStore::ManifestHistoryEntry>> NodeService::ManifestHistory(
    const std::string& ref) {
  ASSIGN_OR_RETURN(const CvmRecord cvm, Find(ref));
  return store_.ManifestHistory(cvm.id);
}

Result<CvmAttestation> NodeService::Attest(const std::string& ref, ByteView nonce) {
  ASSIGN_OR_RETURN(Bytes report_data, AttestReportData(nonce));
  ASSIGN_OR_RETURN(CvmRecord cvm, FindLive(ref));
  if (cvm.status != CvmStatus::kRunning) {
    return FailedPrecondition("CVM '" + cvm.name + "' is not running (status " +
                              std::string(CvmStatusName(cvm.status)) + ")");
  }
  ASSIGN_OR_RETURN(Attestation a, backend_.Attest(cvm, report_data));
  return CvmAttestation{std::move(cvm), ToBytes(nonce), std::move(report_data), std::move(a)};
}

void NodeService::Tick() {
  auto cvms = store_.ListCvms(false);
  if (!cvms) return;
  for (const CvmRecord& listed : *cvms) {
    if (listed.desired != DesiredState::kRunning && listed.desired != DesiredState::kStopped) {
      continue;
    }
    auto mu = CvmMutex(listed.id);
    std::unique_lock lock(*mu, std::try_to_lock);
    if (!lock) continue;  // an operation is in progress on it
    auto cvm = store_.GetCvm(listed.id);
    if (cvm) SuperviseLocked(*cvm);
  }
}

void NodeService::SuperviseLocked(const CvmRecord& cvm) {
  const UnixTime now = clock_.Now();
  Supervision sup;
  {
    std::lock_guard lock(map_mu_);
    sup = supervision_[cvm.id];
  }
  auto save = [&] {
    std::lock_guard lock(map_mu_);
    supervision_[cvm.id] = sup;
  };

  if (cvm.desired == DesiredState::kStopped) {
    // Stopped CVMs have no agent; one that is recorded and gone is simply forgotten.
    if (cvm.agent.pid != 0 && backend_.Observe(cvm, false).state == AgentState::kExited) {
      (void)store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec&) {
        c.agent = {};
        c.status = CvmStatus::kStopped;
        return OkStatus();
      });
    }
    return;
  }

  if (cvm.agent.pid == 0) {
    if (sup.next_restart_at != 0 && now >= sup.next_restart_at) {
      sup.next_restart_at = 0;
      save();
      auto r = StartLocked(cvm.id, "restarted",
                           "restarted after the agent exited (restart " +
                               std::to_string(cvm.restart_count + 1) + ")",
                           true);
      if (!r) {
        std::lock_guard lock(map_mu_);
        Supervision& s = supervision_[cvm.id];
        s.consecutive_failures += 1;
        const int64_t delay = BackoffSeconds(s.consecutive_failures);
        s.next_restart_at = now + delay;
        (void)store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec&) {
          c.status_detail += "; retrying in " + std::to_string(delay) + "s";
          return OkStatus();
        });
      }
    }
    return;
  }

  const Observation obs = backend_.Observe(cvm, cvm.status != CvmStatus::kRunning);
  switch (obs.state) {
    case AgentState::kRunning:
      if (cvm.status != CvmStatus::kRunning) {
        (void)store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec& ev) {
          c.status = CvmStatus::kRunning;
          c.status_detail.clear();
          ev = {"running", "agent answering on its socket"};
          return OkStatus();
        });
        sup.running_since = now;
        sup.starting_since = 0;
      } else if (sup.running_since == 0) {
        sup.running_since = now;
      } else if (sup.consecutive_failures > 0 &&
                 now - sup.running_since >= options_.backoff_reset_seconds) {
        sup.consecutive_failures = 0;
      }
      save();
      return;
    case AgentState::kStarting:
    case AgentState::kNotRunning:
      if (sup.starting_since == 0) sup.starting_since = now;
      if (now - sup.starting_since < options_.start_timeout_seconds) {
        // What the agent is doing (e.g. "services: web: starting"), for `teecloud deploy`.
        if (obs.state == AgentState::kStarting && cvm.status == CvmStatus::kStarting &&
            !obs.detail.empty() && obs.detail != cvm.status_detail) {
          (void)store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec&) {
            c.status_detail = obs.detail;
            return OkStatus();
          });
        }
        save();
        return;
      }
      (void)backend_.Stop(cvm.id, cvm.agent, options_.stop_grace);
      break;
    case AgentState::kExited:
      break;
  }

  // The agent is gone (or was given up on): record it, then apply the restart policy.
  agent_exits_++;
  const bool timed_out = obs.state != AgentState::kExited;
  const bool failed = timed_out || obs.failed;
  const std::string what =
      timed_out ? "agent did not answer on its socket within " +
                      std::to_string(options_.start_timeout_seconds) + "s; killed"
                : "agent " + (obs.detail.empty() ? std::string("exited") : obs.detail);
  const bool restart = cvm.restart_policy == RestartPolicy::kAlways ||
                       (cvm.restart_policy == RestartPolicy::kOnFailure && failed);
  sup.consecutive_failures += 1;
  sup.running_since = 0;
  sup.starting_since = 0;
  const int64_t delay = BackoffSeconds(sup.consecutive_failures);
  sup.next_restart_at = restart ? now + delay : 0;
  save();
  (void)store_.UpdateCvm(cvm.id, [&](CvmRecord& c, EventSpec& ev) {
    c.status = CvmStatus::kExited;
    c.agent = {};
    c.status_detail = what + (restart ? "; restarting in " + std::to_string(delay) + "s"
                                      : "; not restarted (restart policy " +
                                            std::string(RestartPolicyName(c.restart_policy)) + ")");
    ev = {"agent-exited", c.status_detail};
    return OkStatus();
  });
}

Result<ReconcileReport> NodeService::Reconcile() {
  ReconcileReport report;
  ASSIGN_OR_RETURN(const std::vector<DiscoveredAgent> discovered, backend_.Discover());
  std::map<std::string, std::vector<AgentProcess>> by_cvm;
  for (const auto& a : discovered) by_cvm[a.cvm_id].push_back(a.process);
  ASSIGN_OR_RETURN(const std::vector<CvmRecord> all, store_.ListCvms(true));

  std::set<std::string> known;
  for (const CvmRecord& listed : all) {
    known.insert(listed.id);
    auto mu = CvmMutex(listed.id);
    std::lock_guard lock(*mu);
    auto note = [&](const Error& e) {
      report.errors.push_back("CVM '" + listed.name + "': " + e.message);
    };
    const std::vector<AgentProcess>& alive = by_cvm[listed.id];

    // One agent per CVM: keep the recorded one, else the oldest; stop the others.
    std::optional<AgentProcess> keeper;
    for (const auto& p : alive) {
      if (p == listed.agent) keeper = p;
    }
    if (!keeper && !alive.empty()) {
      keeper = *std::min_element(alive.begin(), alive.end(), [](const auto& a, const auto& b) {
        return a.start_time < b.start_time;
      });
    }
    for (const auto& p : alive) {
      if (keeper && p == *keeper) continue;
      if (auto s = backend_.Stop(listed.id, p, options_.stop_grace); !s) {
        note(s.error());
        continue;
      }
      ++report.duplicates_stopped;
      (void)store_.AppendEvent(listed.id, {"duplicate-stopped", "stopped a second agent (pid " +
                                                                    std::to_string(p.pid) + ")"});
    }
    // Record the keeper (or that there is none) before acting on the CVM.
    auto cvm = store_.UpdateCvm(listed.id, [&](CvmRecord& c, EventSpec&) {
      c.agent = keeper ? *keeper : AgentProcess{};
      return OkStatus();
    });
    if (!cvm) {
      note(cvm.error());
      continue;
    }

    if (cvm->desired == DesiredState::kPurged ||
        (cvm->desired == DesiredState::kRemoved && cvm->status != CvmStatus::kRemoved)) {
      if (auto r = FinishRemoveLocked(cvm->id); !r) {
        note(r.error());
      } else {
        ++report.removals_finished;
      }
      continue;
    }
    if (cvm->desired == DesiredState::kRemoved || cvm->desired == DesiredState::kStopped) {
      if (keeper) {
        if (auto s = backend_.Stop(cvm->id, *keeper, options_.stop_grace); !s) {
          note(s.error());
          continue;
        }
        ++report.stopped;
      }
      if (cvm->desired == DesiredState::kStopped &&
          (keeper || cvm->status != CvmStatus::kStopped)) {
        (void)store_.UpdateCvm(cvm->id, [&](CvmRecord& c, EventSpec& ev) {
          c.status = CvmStatus::kStopped;
          c.agent = {};
          if (keeper) ev = {"stopped", "stopped after a node restart (desired state: stopped)"};
          return OkStatus();
        });
      }
      continue;
    }

    // desired = running
    ResetSupervision(cvm->id);
    if (cvm->status == CvmStatus::kStopping) {
      // A stop, restart or upgrade was interrupted: finish the stop, start fresh.
      if (keeper) {
        if (auto s = backend_.Stop(cvm->id, *keeper, options_.stop_grace); !s) {
          note(s.error());
          continue;
        }
        ++report.stopped;
      }
      if (auto r = StartLocked(cvm->id, "started",
                               "started after a node restart interrupted a stop", false);
          !r) {
        note(r.error());
      } else {
        ++report.started;
      }
      continue;
    }
    if (keeper) {
      if (cvm->instance_id.empty()) {
        if (auto inst = backend_.Create(*cvm)) {
          (void)store_.UpdateCvm(cvm->id, [&](CvmRecord& c, EventSpec&) {
            c.instance_id = *inst;
            return OkStatus();
          });
        } else {
          note(inst.error());
        }
      }
      const Observation obs = backend_.Observe(*cvm, true);
      (void)store_.UpdateCvm(cvm->id, [&](CvmRecord& c, EventSpec& ev) {
        c.status = obs.state == AgentState::kRunning ? CvmStatus::kRunning : CvmStatus::kStarting;
        c.status_detail.clear();
        ev = {"adopted", "adopted the running agent (pid " + std::to_string(keeper->pid) +
                             ") after a node restart"};
        return OkStatus();
      });
      {
        std::lock_guard l(map_mu_);
        Supervision& s = supervision_[cvm->id];
        if (obs.state == AgentState::kRunning) {
          s.running_since = clock_.Now();
        } else {
          s.starting_since = clock_.Now();
        }
      }
      ++report.adopted;
      adopted_++;
      continue;
    }
    // No agent.
    if (cvm->status == CvmStatus::kExited && cvm->restart_policy != RestartPolicy::kAlways) {
      continue;  // its restart policy already decided against a restart
    }
    const bool died = cvm->status == CvmStatus::kRunning || cvm->status == CvmStatus::kStarting ||
                      cvm->status == CvmStatus::kExited;
    if (auto r = StartLocked(cvm->id, died ? "restarted" : "started",
                             died ? "the agent had died while the node was down; restarted"
                                  : "started after a node restart",
                             died);
        !r) {
      note(r.error());
    } else {
      ++report.started;
    }
  }

  for (const auto& [id, procs] : by_cvm) {
    if (known.count(id)) continue;
    for (const auto& p : procs) {
      if (auto s = backend_.Stop(id, p, options_.stop_grace); !s) {
        report.errors.push_back("orphan agent pid " + std::to_string(p.pid) + ": " +
                                s.error().message);
      } else {
        ++report.orphans_stopped;
      }
    }
  }
  return report;
}

}  // namespace teecloud::node
