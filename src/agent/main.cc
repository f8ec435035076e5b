// teecloud-agent: composition root. Reads the config, wires the real attester, key provider,
// clock and randomness into AgentService, boots, serves until SIGTERM/SIGINT.
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <memory>
#include <thread>

#include "agent/agent_service.h"
#include "agent/app_runner.h"
#include "agent/boot.h"
#include "agent/config.h"
#include "agent/http_api.h"
#include "agent/key_provider.h"
#include "base/file.h"
#include "base/json.h"
#include "crypto/random.h"
#include "manifest/manifest.h"
#include "tee/sim_attester.h"
#include "tee/tdx_attester.h"

#ifndef TEECLOUD_VERSION
#define TEECLOUD_VERSION "0.0.0"
#endif
#ifndef TEECLOUD_GIT_REV
#define TEECLOUD_GIT_REV "unknown"
#endif

namespace {

using namespace teecloud;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

int Usage(const std::string& message) {
  std::cerr << "teecloud-agent: " << message << "\n(run teecloud-agent --help for usage)\n";
  return kExitUsage;
}

std::string VmConfigJson(const tee::PlatformInfo& platform, const std::string& os_image_hash) {
  OrderedJson j;
  j["spec_version"] = 1;
  j["os_image_hash"] = os_image_hash;
  j["cpu_count"] = std::thread::hardware_concurrency();
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  j["memory_size"] = (pages > 0 && page_size > 0) ? static_cast<uint64_t>(pages) * page_size : 0;
  j["tee"] = platform.tee;
  j["simulated"] = platform.simulated;
  return DumpJson(j);
}

// The app runner's options from the config; `socket` is the agent's API socket that services
// may bind-mount (as /var/run/dstack.sock and the other names apps use).
agent::AppRunnerOptions RunnerOptions(const agent::Config& config, const agent::AppIdentity& id) {
  agent::AppRunnerOptions o;
  o.engine_socket = config.engine_socket;
  o.project = config.project.empty() ? "tc-" + ToHex(id.app_id).substr(0, 12) : config.project;
  o.volume_cipher_dir = config.volume_cipher_dir;
  o.volume_mount_dir = config.volume_mount_dir;
  if (!config.port_maps.empty() || !config.volume_cipher_dir.empty()) {
    // The container backend: the node decides what reaches the host; nothing else does.
    o.port_map.emplace();
    for (const auto& text : config.port_maps) {
      const agent::PortMap m = *agent::ParsePortMap(text);  // validated with the config
      (*o.port_map)[{m.cvm_port, m.protocol}] = m.host_port;
    }
  }
  o.port_host_ip = config.port_host_ip;
  o.sealed_env_path = config.sealed_env_path;
  o.envexec_path = config.envexec_path;
  o.state_dir = config.state_dir;
  for (const char* name : {"/var/run/dstack.sock", "/var/run/teecloud.sock",
                           "/var/run/tappd.sock", "/run/dstack.sock"}) {
    o.socket_binds[name] = config.sockets.front();
  }
  o.stop_timeout_seconds = config.stop_timeout_seconds;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  auto flags = agent::ParseFlags(argc, argv);
  if (!flags) return Usage(flags.error().message);
  if (flags->help) {
    std::cout << flags->help_text;
    return 0;
  }
  const agent::Config& config = flags->config;
  if (auto valid = agent::ValidateConfig(config); !valid) return Usage(valid.error().message);

  auto logger = spdlog::stderr_logger_mt("teecloud-agent");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::info("starting teecloud-agent {} ({})\n{}", TEECLOUD_VERSION, TEECLOUD_GIT_REV,
               agent::Describe(config));

  // Signals are taken synchronously by this thread (sigwait); every thread started below
  // inherits the mask. Writes to a client that went away must not kill the process.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<tee::Attester> attester;
  if (config.tee == "sim") {
    auto sim = tee::SimAttester::Open(config.sim_dir);
    if (!sim) return Usage("--sim-dir " + config.sim_dir + ": " + sim.error().message);
    attester = std::move(*sim);
  } else {
    auto tdx = tee::TdxConfigfsAttester::Open(tee::TdxAttesterOptions{});
    if (!tdx) return Usage("--tee tdx: " + tdx.error().message);
    attester = std::move(*tdx);
  }
  const tee::PlatformInfo platform = attester->Platform();
  if (platform.simulated) {
    spdlog::warn(
        "SIMULATED TEE: quotes are signed by a local simulation PKI ({}); they prove "
        "nothing about real hardware",
        platform.description);
  }

  crypto::SystemRandom random;
  auto instance_seed = agent::LoadOrCreateInstanceSeed(config.state_dir, random);
  if (!instance_seed) return Usage(instance_seed.error().message);

  auto manifest_text = ReadTextFile(config.manifest_path, size_t{1} << 20);
  if (!manifest_text) return Usage("--manifest: " + manifest_text.error().message);
  if (auto m = manifest::ParseManifest(*manifest_text); !m) {
    return Usage("--manifest " + config.manifest_path + ": " + m.error().message);
  }

  const std::string seed_file = config.EffectiveKeySeedFile();
  auto provider = config.key_seed_file.empty()
                      ? agent::LocalKeyProvider::LoadOrCreateSeedFile(seed_file)
                      : agent::LocalKeyProvider::FromSeedFile(seed_file);
  if (!provider) return Usage("--key-seed-file: " + provider.error().message);
  spdlog::warn(
      "*** DEVELOPMENT KEY PROVIDER 'local' ***: every key of this app derives from {}; "
      "whoever reads that file has all of them. Production CVMs get keys from the KMS.",
      seed_file);

  agent::BootInputs inputs;
  inputs.manifest_json = std::move(*manifest_text);
  if (!config.app_id_hex.empty()) inputs.app_id = *FromHex(config.app_id_hex);
  inputs.instance_seed = std::move(*instance_seed);

  SystemClock clock;
  agent::ServiceOptions options;
  options.version = TEECLOUD_VERSION;
  options.rev = TEECLOUD_GIT_REV;
  options.os_image_hash_hex = config.os_image_hash_hex;
  options.vm_config = VmConfigJson(platform, config.os_image_hash_hex);
  agent::AgentService service(*attester, clock, random, std::move(options));
  if (auto booted = service.Boot(**provider, inputs); !booted) {
    spdlog::critical("fatal: boot failed: {}", booted.error().ToString());
    return booted.error().code == Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  const agent::AppIdentity id = service.Identity();
  if (manifest::KeyProviderName(id.manifest.key_provider) != "local") {
    spdlog::warn("the manifest asks for key provider '{}' but this agent uses 'local'",
                 manifest::KeyProviderName(id.manifest.key_provider));
  }

  agent::ServerOptions server_options;
  server_options.socket_paths = config.sockets;
  server_options.max_body_bytes = config.max_body_bytes;
  server_options.on_request = [](const agent::RequestLogEntry& e) {
    if (e.status >= 400) {
      spdlog::warn("{} {} {} -> {} {}", e.socket, e.method, e.path, e.status, e.error);
    } else if (e.path == "/Info" || e.path == "/AppStatus") {
      // The node polls these every second; keep them out of the default log.
      spdlog::debug("{} {} {} -> {}", e.socket, e.method, e.path, e.status);
    } else {
      spdlog::info("{} {} {} -> {}", e.socket, e.method, e.path, e.status);
    }
  };
  auto server = agent::ApiServer::Bind(service, std::move(server_options));
  if (!server) {
    spdlog::critical("cannot serve: {}", server.error().message);
    return kExitFailure;
  }
  (*server)->Start();

  std::string sockets;
  for (const auto& s : config.sockets) sockets += (sockets.empty() ? "" : " ") + s;
  spdlog::info("system ready: app {} ({})", ToHex(id.app_id), id.manifest.name);
  std::cerr << "app_id: " << ToHex(id.app_id) << "\n"
            << "instance_id: " << ToHex(id.instance_id) << "\n"
            << "manifest_hash: " << ToHex(id.manifest_hash) << "\n"
            << "sockets: " << sockets << "\n"
            << std::flush;

  // volumes → secrets → services (the API already answers: services may use it as they start).
  std::unique_ptr<agent::AppRunner> runner;
  std::atomic<bool> stop_logs{false};
  std::thread log_thread;
  auto stop_app = [&]() {
    if (!runner) return;
    service.SetAppStage("stopping", "stopping the services");
    if (auto st = runner->Stop([](const std::string& line) { spdlog::info("{}", line); }); !st) {
      spdlog::error("stopping the app: {}", st.error().ToString());
    }
    stop_logs = true;
    if (log_thread.joinable()) log_thread.join();
  };
  if (config.engine_socket.empty()) {
    service.SetAppStage("running", "no container engine configured: the agent serves its API only");
  } else {
    runner = std::make_unique<agent::AppRunner>(RunnerOptions(config, id));
    agent::AppRunner* r = runner.get();
    service.SetServicesProbe([r]() { return r->Services(); });
    service.SetAppStage("starting", "mounting volumes");
    auto keys = service.Keys();
    Status started = keys ? runner->Start(id.manifest, *keys,
                                          [&service](const std::string& line) {
                                            spdlog::info("{}", line);
                                            service.SetAppStage("starting", line);
                                          })
                          : Status(tl::unexpected(keys.error()));
    if (!started) {
      service.SetAppStage("failed", started.error().message);
      spdlog::critical("fatal: the app did not start: {}", started.error().message);
      stop_app();
      (*server)->Stop();
      return kExitFailure;
    }
    // Service output goes to this process's stdout, one "service | line" each.
    log_thread = std::thread([r, &stop_logs]() {
      std::mutex out_mu;
      r->ForwardLogs(
          [&out_mu](const compose::LogLine& line) {
            std::lock_guard lock(out_mu);
            std::cout << line.service << " | " << line.text << "\n" << std::flush;
          },
          stop_logs);
    });
    service.SetAppStage("running", "");
    spdlog::info("app running: project {}", runner->options().project);
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  stop_app();
  (*server)->Stop();
  spdlog::info("stopped");
  return 0;
}
