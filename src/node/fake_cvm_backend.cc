#include "node/fake_cvm_backend.h"

#include <thread>

#include "crypto/hash.h"

namespace teecloud::node {

Result<std::string> FakeCvmBackend::Create(const CvmRecord& cvm) {
  std::lock_guard lock(mu_);
  calls_.push_back("Create " + cvm.id);
  auto it = instance_ids_.find(cvm.id);
  if (it == instance_ids_.end()) {
    const auto d = crypto::Sha256(AsBytes("fake-instance-seed:" + cvm.id + cvm.app_id));
    it = instance_ids_.emplace(cvm.id, ToHex(ByteView(d.data(), 20))).first;
  }
  return it->second;
}

Result<AgentProcess> FakeCvmBackend::Start(const CvmRecord& cvm) {
  std::lock_guard lock(mu_);
  calls_.push_back("Start " + cvm.id);
  if (!fail_starts_.empty()) return Internal(fail_starts_);
  if (!instance_ids_.count(cvm.id)) return FailedPrecondition("Start before Create");
  Process p;
  p.cvm_id = cvm.id;
  p.process = AgentProcess{next_pid_++, 5000 + next_pid_};
  p.manifest_hash = cvm.manifest_hash;
  processes_[p.process.pid] = p;
  return p.process;
}

Status FakeCvmBackend::Stop(const std::string& cvm_id, const AgentProcess& process,
                            std::chrono::milliseconds /*grace*/) {
  std::lock_guard lock(mu_);
  calls_.push_back("Stop " + cvm_id + " " + std::to_string(process.pid));
  auto it = processes_.find(process.pid);
  if (it != processes_.end() && it->second.process == process && it->second.alive) {
    it->second.alive = false;
    it->second.detail = "stopped";
  }
  return OkStatus();
}

Status FakeCvmBackend::Remove(const CvmRecord& cvm, bool purge) {
  std::lock_guard lock(mu_);
  calls_.push_back("Remove " + cvm.id + " purge=" + (purge ? "1" : "0"));
  logs_.erase(cvm.id);
  if (purge) instance_ids_.erase(cvm.id);
  return OkStatus();
}

Observation FakeCvmBackend::Observe(const CvmRecord& cvm, bool probe) {
  std::lock_guard lock(mu_);
  if (cvm.agent.pid == 0) return Observation{AgentState::kNotRunning, false, ""};
  auto it = processes_.find(cvm.agent.pid);
  if (it == processes_.end() || !(it->second.process == cvm.agent)) {
    return Observation{AgentState::kExited, true, "process not found"};
  }
  const Process& p = it->second;
  if (!p.alive) return Observation{AgentState::kExited, p.failed, p.detail};
  if (probe && !p.answering) return Observation{AgentState::kStarting, false, ""};
  return Observation{AgentState::kRunning, false, ""};
}

Result<std::vector<DiscoveredAgent>> FakeCvmBackend::Discover() {
  std::lock_guard lock(mu_);
  std::vector<DiscoveredAgent> out;
  for (const auto& [pid, p] : processes_) {
    if (p.alive) out.push_back(DiscoveredAgent{p.cvm_id, p.process});
  }
  return out;
}

Status FakeCvmBackend::Logs(const CvmRecord& cvm, const LogOptions& options, const LogSink& sink) {
  size_t offset = 0;
  for (;;) {
    std::string fresh;
    {
      std::lock_guard lock(mu_);
      const std::string& text = logs_[cvm.id];
      if (offset < text.size()) fresh = text.substr(offset);
      offset = text.size();
    }
    if (!fresh.empty() && !sink(fresh)) return OkStatus();
    if (!options.follow || (options.cancelled && options.cancelled())) return OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<Attestation> FakeCvmBackend::Attest(const CvmRecord& cvm, ByteView report_data) {
  std::lock_guard lock(mu_);
  calls_.push_back("Attest " + cvm.id + " " + ToHex(report_data));
  last_report_data_ = ToBytes(report_data);
  Attestation a;
  a.quote = Concat({AsBytes("fake-quote:"), report_data});
  a.event_log =
      Json::array({{{"imr", 3}, {"event", "compose-hash"}, {"event_payload", cvm.manifest_hash}}});
  a.tee = "fake";
  a.simulated = true;
  return a;
}

void FakeCvmBackend::Kill(int64_t pid, int exit_code) {
  std::lock_guard lock(mu_);
  auto it = processes_.find(pid);
  if (it == processes_.end()) return;
  it->second.alive = false;
  it->second.failed = exit_code != 0;
  it->second.detail = "exited with code " + std::to_string(exit_code);
}

void FakeCvmBackend::SetAnswering(int64_t pid, bool answering) {
  std::lock_guard lock(mu_);
  auto it = processes_.find(pid);
  if (it != processes_.end()) it->second.answering = answering;
}

AgentProcess FakeCvmBackend::SpawnStray(const std::string& cvm_id) {
  std::lock_guard lock(mu_);
  Process p;
  p.cvm_id = cvm_id;
  p.process = AgentProcess{next_pid_++, 5000 + next_pid_};
  processes_[p.process.pid] = p;
  return p.process;
}

void FakeCvmBackend::FailStarts(std::string message) {
  std::lock_guard lock(mu_);
  fail_starts_ = std::move(message);
}

void FakeCvmBackend::AppendLog(const std::string& cvm_id, const std::string& text) {
  std::lock_guard lock(mu_);
  logs_[cvm_id] += text;
}

void FakeCvmBackend::SetSimulationTrust(SimTrustMaterial trust) {
  std::lock_guard lock(mu_);
  sim_trust_ = std::move(trust);
}

Result<SimTrustMaterial> FakeCvmBackend::SimulationTrust() const {
  std::lock_guard lock(mu_);
  if (!sim_trust_) return NotFound("the fake backend has no simulation PKI");
  return *sim_trust_;
}

std::vector<FakeCvmBackend::Process> FakeCvmBackend::AliveProcesses(const std::string& cvm_id) {
  std::lock_guard lock(mu_);
  std::vector<Process> out;
  for (const auto& [pid, p] : processes_) {
    if (p.alive && p.cvm_id == cvm_id) out.push_back(p);
  }
  return out;
}

std::vector<std::string> FakeCvmBackend::calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

std::set<std::string> FakeCvmBackend::data() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [id, inst] : instance_ids_) out.insert(id);
  return out;
}

const Bytes& FakeCvmBackend::last_report_data() {
  std::lock_guard lock(mu_);
  return last_report_data_;
}

}  // namespace teecloud::node
