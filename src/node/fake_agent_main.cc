// node_fake_agent: a stand-in for teecloud-agent in the node's process tests. It takes the
// agent's command line (AgentArgv), reads the instance seed the node created, and answers
// /Info and /GetQuote on --socket with fake values (no TEE, no crypto beyond the instance id),
// until SIGTERM. Test only; never installed.
//
// Environment knobs: TEECLOUD_FAKE_AGENT_EXIT=<code> exits with that code right away;
// TEECLOUD_FAKE_AGENT_IGNORE_TERM=1 ignores SIGTERM (tests the SIGKILL fallback).
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "base/bytes.h"
#include "base/json.h"
#include "crypto/hash.h"

namespace {

void OnTerm(int) { _exit(0); }

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace teecloud;
  std::string socket, app_id, state_dir, manifest;
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--socket")
      socket = argv[++i];
    else if (a == "--app-id")
      app_id = argv[++i];
    else if (a == "--state-dir")
      state_dir = argv[++i];
    else if (a == "--manifest")
      manifest = argv[++i];
  }
  std::printf("fake agent: socket %s app %s\n", socket.c_str(), app_id.c_str());
  std::fflush(stdout);
  if (const char* code = std::getenv("TEECLOUD_FAKE_AGENT_EXIT")) return std::atoi(code);
  if (socket.empty()) return 2;

  const std::string seed = Slurp(state_dir + "/instance-seed");
  auto app = FromHex(app_id);
  std::string instance_id;
  if (app && seed.size() == 32) {
    const auto d = crypto::Sha256(Concat({AsBytes(seed), *app}));
    instance_id = ToHex(ByteView(d.data(), 20));
  }
  const std::string manifest_text = Slurp(manifest);
  const auto manifest_hash = crypto::Sha256(AsBytes(manifest_text));

  httplib::Server server;
  server.set_address_family(AF_UNIX);
  server.Post("/Info", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(DumpJson(Json{{"app_id", app_id},
                                  {"instance_id", instance_id},
                                  {"compose_hash", ToHex(manifest_hash)},
                                  {"app_name", "fake"}}),
                    "application/json");
  });
  server.Post("/GetQuote", [&](const httplib::Request& req, httplib::Response& res) {
    auto body = ParseJson(req.body);
    std::string rd = body && body->contains("report_data") && (*body)["report_data"].is_string()
                         ? (*body)["report_data"].get<std::string>()
                         : "";
    const Json log = Json::array({{{"imr", 3}, {"event", "app-id"}, {"event_payload", app_id}}});
    res.set_content(DumpJson(Json{{"quote", ToHex(AsBytes("FAKEQUOTE")) + rd},
                                  {"event_log", DumpJson(log)},
                                  {"report_data", rd}}),
                    "application/json");
  });
  ::unlink(socket.c_str());
  if (!server.bind_to_port(socket, 80)) {
    std::fprintf(stderr, "fake agent: cannot bind %s\n", socket.c_str());
    return 3;
  }
  if (std::getenv("TEECLOUD_FAKE_AGENT_IGNORE_TERM") != nullptr) {
    ::signal(SIGTERM, SIG_IGN);
  } else {
    ::signal(SIGTERM, OnTerm);
  }
  server.listen_after_bind();
  return 0;
}
