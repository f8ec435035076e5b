// teecloud-node: the composition root. Reads the config, wires the real store, backend, clock
// and randomness into NodeService, reconciles, serves the API and supervises agents until
// SIGTERM/SIGINT.
//
// Stopping the node leaves every CVM running: agents live in their own sessions and are adopted
// (same PID) by the next start, so a node upgrade or crash never takes apps down.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "crypto/random.h"
#include "node/config.h"
#include "node/container_backend.h"
#include "node/data_dir.h"
#include "node/http_api.h"
#include "node/node_service.h"
#include "node/state_store.h"

#ifndef TEECLOUD_VERSION
#define TEECLOUD_VERSION "0.0.0"
#endif

namespace {

using namespace teecloud;
using namespace teecloud::node;

int Fail(const std::string& what, const Error& e) {
  spdlog::error("{}: {}", what, e.message);
  return 1;
}

std::string SelfExe(const char* argv0) {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : p.string();
}

int Run(int argc, char** argv) {
  CLI::App app("teecloud-node: runs confidential VMs on this host and serves their REST API",
               "teecloud-node");
  app.set_version_flag("--version", std::string("teecloud-node ") + TEECLOUD_VERSION);
  std::string config_path;
  Config flags;
  app.add_option("--config", config_path, "YAML/JSON settings file (flags override it)");
  auto* data_dir = app.add_option("--data-dir", flags.data_dir, "State, CVMs and sim PKI");
  auto* listen = app.add_option("--listen", flags.listen,
                                "Loopback HOST:PORT of the REST API, or off (default "
                                "127.0.0.1:7310)");
  auto* socket = app.add_option("--socket", flags.socket,
                                "Unix socket of the REST API, or off (default <data>/node.sock)");
  auto* agent = app.add_option("--agent-binary", flags.agent_binary,
                               "teecloud-agent executable (default: beside teecloud-node)");
  auto* engine = app.add_option("--engine-socket", flags.engine_socket,
                                "Container engine socket for CVM services, or off (default "
                                "$DOCKER_HOST, else /var/run/docker.sock if present, else off)");
  auto* level = app.add_option("--log-level", flags.log_level, "trace|debug|info|warn|error");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto logger = spdlog::stderr_color_mt("teecloud-node");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  Config config;
  if (!config_path.empty()) {
    auto loaded = LoadConfigFile(config_path);
    if (!loaded) return Fail("config", loaded.error());
    config = *loaded;
  }
  if (*data_dir) config.data_dir = flags.data_dir;
  if (*listen) config.listen = flags.listen;
  if (*socket) config.socket = flags.socket;
  if (*agent) config.agent_binary = flags.agent_binary;
  if (*level) config.log_level = flags.log_level;
  if (*engine) config.engine_socket = flags.engine_socket;
  if (auto s = CompleteConfig(config, SelfExe(argv[0])); !s) return Fail("config", s.error());
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::info("teecloud-node {} starting; config {}", TEECLOUD_VERSION,
               DumpJson(ConfigToJson(config)));

  // Signals are taken by sigwait below; every thread inherits the mask (agents get it cleared).
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (auto s = PrepareDataDir(config.data_dir); !s) return Fail("data dir", s.error());
  auto lock = DataDirLock::Acquire(config.data_dir);
  if (!lock) return Fail("data dir", lock.error());

  const SystemClock clock;
  crypto::SystemRandom random;
  auto store = StateStore::Open(config.data_dir + "/state.db", clock);
  if (!store) return Fail("state store", store.error());
  ContainerBackendOptions backend_options;
  backend_options.data_dir = config.data_dir;
  backend_options.agent_binary = config.agent_binary;
  if (config.engine_socket != "off") {
    backend_options.engine_socket = config.engine_socket;
    backend_options.envexec_binary = config.envexec_binary;
  } else {
    spdlog::warn("no container engine (engine_socket off): CVMs run their agent only, no services");
  }
  backend_options.service_stop_timeout_seconds =
      static_cast<int>(config.service_stop_timeout_seconds);
  auto backend = ContainerBackend::Open(backend_options, clock, random);
  if (!backend) return Fail("container backend", backend.error());

  NodeServiceOptions service_options;
  // An agent stops its services before it exits: give it their stop timeout on top.
  service_options.stop_grace = std::chrono::seconds(
      config.stop_grace_seconds +
      (config.engine_socket != "off" ? config.service_stop_timeout_seconds + 5 : 0));
  service_options.start_timeout_seconds = config.start_timeout_seconds;
  service_options.backoff_max_seconds = config.restart_backoff_max_seconds;
  service_options.host_port_available = HostPortAvailable;
  NodeService service(**store, **backend, clock, random, service_options);

  auto report = service.Reconcile();
  if (!report) return Fail("reconcile", report.error());
  spdlog::info(
      "reconciled: {} adopted, {} started, {} stopped, {} duplicates and {} orphans stopped, "
      "{} removals finished",
      report->adopted, report->started, report->stopped, report->duplicates_stopped,
      report->orphans_stopped, report->removals_finished);
  for (const std::string& e : report->errors) spdlog::warn("reconcile: {}", e);

  HttpApiOptions api_options;
  api_options.version = TEECLOUD_VERSION;
  api_options.max_body_bytes = static_cast<size_t>(config.max_body_bytes);
  api_options.threads = static_cast<int>(config.http_threads);
  api_options.access_log = [](const AccessLogEntry& e) {
    spdlog::info("{} {} {} {} {}B {:.1f}ms route={}", e.transport, e.method, e.path, e.status,
                 e.response_bytes, e.seconds * 1000, e.route);
  };
  api_options.simulation_trust = [&b = **backend] { return b.SimulationTrust(); };
  api_options.env_public_key = [&b = **backend](ByteView app_id) { return b.AppEnvPublicKey(app_id); };
  HttpApi api(service, clock, api_options);
  if (config.listen != "off") {
    auto addr = ParseListenAddress(config.listen);
    auto port = api.ListenTcp(addr->first, addr->second);
    if (!port) return Fail("listen", port.error());
    spdlog::info("serving on http://{}:{}", addr->first, *port);
  }
  if (config.socket != "off") {
    if (auto s = api.ListenUnix(config.socket); !s) return Fail("listen", s.error());
    spdlog::info("serving on unix:{}", config.socket);
  }

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread supervisor([&] {
    std::unique_lock l(mu);
    while (!stopping) {
      l.unlock();
      service.Tick();
      l.lock();
      cv.wait_for(l, std::chrono::milliseconds(config.supervise_interval_ms),
                  [&] { return stopping; });
    }
  });

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: stopping the node; CVMs keep running and are adopted at the next start",
               sig);
  {
    std::lock_guard l(mu);
    stopping = true;
  }
  cv.notify_all();
  api.Stop();
  supervisor.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
