#include "agent/http_api.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "agent/fake_attester.h"
#include "base/file.h"
#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::agent {
namespace {

using testing::FakeAttester;
using testing::kTestManifest;

class ApiFixture : public ::testing::Test {
 protected:
  ApiFixture()
      : provider_(crypto::SecretBytes(Bytes(32, 0x42))),
        clock_(1767225600),
        random_(3),
        service_(attester_, clock_, random_, ServiceOptions{"9.9.9", "rev", "", "{}"}) {}

  void Boot() {
    BootInputs in;
    in.manifest_json = kTestManifest;
    in.instance_seed = crypto::SecretBytes(Bytes(32, 0x01));
    ASSERT_TRUE(service_.Boot(provider_, in).has_value());
  }

  Json Body(const ApiResponse& r) {
    auto j = ParseJson(r.body);
    EXPECT_TRUE(j.has_value()) << r.body;
    return j ? *j : Json();
  }

  FakeAttester attester_;
  LocalKeyProvider provider_;
  FakeClock clock_;
  crypto::FakeRandom random_;
  AgentService service_;
};

using HandleApiRequestTest = ApiFixture;

TEST_F(HandleApiRequestTest, AppStatusReportsTheRunnersStageAndServices) {
  auto before = HandleApiRequest(service_, "/AppStatus", "");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(ParseJson(before.body)->at("stage"), "booting");
  service_.SetAppStage("starting", "services: web: starting");
  service_.SetServicesProbe([]() -> Result<Json> {
    return Json::array({Json{{"service", "web"}, {"running", true}}});
  });
  auto during = ParseJson(HandleApiRequest(service_, "/prpc/AppStatus", "{}").body);
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->at("stage"), "starting");
  EXPECT_EQ(during->at("detail"), "services: web: starting");
  EXPECT_EQ(during->at("services").at(0).at("service"), "web");
  // A failing probe leaves the list empty and says why.
  service_.SetServicesProbe([]() -> Result<Json> { return Unavailable("engine gone"); });
  auto failing = ParseJson(HandleApiRequest(service_, "/AppStatus", "").body);
  EXPECT_TRUE(failing->at("services").empty());
  EXPECT_NE(failing->at("detail").get<std::string>().find("engine gone"), std::string::npos);
  EXPECT_EQ(HandleApiRequest(service_, "/AppStatus", R"({"x": 1})").status, 400);
}

TEST_F(HandleApiRequestTest, ServesEveryMethod) {
  Boot();
  auto info = HandleApiRequest(service_, "/Info", "{}");
  ASSERT_EQ(info.status, 200) << info.body;
  Json j = Body(info);
  for (const char* k :
       {"app_id", "instance_id", "app_cert", "tcb_info", "app_name", "device_id", "mr_aggregated",
        "os_image_hash", "key_provider_info", "compose_hash", "vm_config"}) {
    EXPECT_TRUE(j.contains(k) && j[k].is_string()) << k;
  }
  EXPECT_TRUE(ParseJson(j["tcb_info"].get<std::string>()).has_value());

  auto key = HandleApiRequest(service_, "/GetKey",
                              R"({"path": "p", "purpose": "x", "algorithm": "secp256k1"})");
  ASSERT_EQ(key.status, 200) << key.body;
  j = Body(key);
  EXPECT_EQ(j["key"].get<std::string>().size(), 64u);
  ASSERT_EQ(j["signature_chain"].size(), 2u);
  EXPECT_EQ(j["signature_chain"][0].get<std::string>().size(), 130u);

  auto quote = HandleApiRequest(service_, "/GetQuote", R"({"report_data": "0102"})");
  ASSERT_EQ(quote.status, 200) << quote.body;
  j = Body(quote);
  EXPECT_TRUE(j["event_log"].is_string());
  EXPECT_EQ(j["report_data"].get<std::string>(), "0102" + std::string(124, '0'));
  EXPECT_EQ(j["vm_config"], "{}");

  EXPECT_EQ(HandleApiRequest(service_, "/Attest", R"({"report_data": ""})").status, 200);
  auto tls = HandleApiRequest(service_, "/GetTlsKey",
                              R"({"subject": "s", "usage_ra_tls": true, "usage_server_auth": true,
          "usage_client_auth": false, "alt_names": ["localhost"], "not_before": null})");
  ASSERT_EQ(tls.status, 200) << tls.body;
  EXPECT_EQ(Body(tls)["certificate_chain"].size(), 2u);

  auto emit = HandleApiRequest(service_, "/EmitEvent", R"({"event": "e", "payload": "00ff"})");
  EXPECT_EQ(emit.status, 200);
  EXPECT_EQ(emit.body, "{}");

  auto sign = HandleApiRequest(service_, "/Sign", R"({"algorithm": "ed25519", "data": "6869"})");
  ASSERT_EQ(sign.status, 200) << sign.body;
  j = Body(sign);
  auto verify = HandleApiRequest(service_, "/Verify",
                                 DumpJson(Json{{"algorithm", "ed25519"},
                                               {"data", "6869"},
                                               {"signature", j["signature"]},
                                               {"public_key", j["public_key"]}}));
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_EQ(Body(verify)["valid"], true);

  auto version = HandleApiRequest(service_, "/Version", "");
  EXPECT_EQ(Body(version)["version"], "9.9.9");
  EXPECT_EQ(Body(version)["rev"], "rev");
  // dstack's prpc prefix.
  EXPECT_EQ(HandleApiRequest(service_, "/prpc/Version", "{}").status, 200);
  EXPECT_EQ(HandleApiRequest(service_, "/Info?json", "{}").status, 200);
}

TEST_F(HandleApiRequestTest, BadRequestsGetJsonErrors) {
  Boot();
  struct Case {
    std::string path, body;
    int status;
  };
  const Case cases[] = {
      {"/NoSuchMethod", "{}", 404},
      {"/", "{}", 404},
      {"/prpc/", "{}", 404},
      {"/getkey", "{}", 404},
      {"/GetKey", "{not json", 400},
      {"/GetKey", "[1,2]", 400},
      {"/GetKey", "\"str\"", 400},
      {"/GetKey", "{} trailing", 400},
      {"/GetKey", R"({"path": 5})", 400},
      {"/GetKey", R"({"path": "a", "bogus": 1})", 400},
      {"/GetKey", R"({"algorithm": "rsa"})", 400},
      {"/GetQuote", R"({"report_data": "zz"})", 400},
      {"/GetQuote", R"({"report_data": 12})", 400},
      {"/GetQuote", "{\"report_data\": \"" + std::string(130, 'a') + "\"}", 400},
      {"/GetTlsKey", R"({"usage_ra_tls": "yes"})", 400},
      {"/GetTlsKey", R"({"alt_names": [1]})", 400},
      {"/GetTlsKey", R"({"alt_names": "x"})", 400},
      {"/GetTlsKey", R"({"not_after": 1.5})", 400},
      {"/EmitEvent", R"({"event": "a:b", "payload": ""})", 400},
      {"/EmitEvent", R"({"event": "ok", "payload": "xyz"})", 400},
      {"/Sign", R"({"algorithm": "secp256k1_prehashed", "data": "00"})", 400},
      {"/Verify", R"({"algorithm": "ed25519", "data": "", "signature": "", "public_key": ""})",
       400},
      {"/Info", R"({"x": 1})", 400},
      {"/GetKey", std::string(100, '[') + std::string(100, ']'), 400},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path + " " + c.body.substr(0, 80));
    ApiResponse r = HandleApiRequest(service_, c.path, c.body);
    EXPECT_EQ(r.status, c.status);
    Json j = Body(r);
    ASSERT_TRUE(j.is_object());
    EXPECT_TRUE(j.contains("error") && j["error"].is_string()) << r.body;
    EXPECT_FALSE(r.error.empty());
  }
}

TEST_F(HandleApiRequestTest, EmitEventBeforeBootIs409) {
  auto r = HandleApiRequest(service_, "/EmitEvent", R"({"event": "e", "payload": ""})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(HandleApiRequest(service_, "/GetKey", "{}").status, 409);
  EXPECT_EQ(HandleApiRequest(service_, "/GetQuote", "{}").status, 200);
}

// ---- over a real unix socket ----------------------------------------------------------------

// Sends raw bytes, reads until the server closes or `timeout` passes.
std::string RawExchange(const std::string& path, const std::string& request,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return "socket() failed";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect() failed";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (oversized body)
    sent += static_cast<size_t>(n);
  }
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string Post(const std::string& path, const std::string& method, const std::string& body) {
  return RawExchange(path, "POST /" + method +
                               " HTTP/1.1\r\nHost: localhost\r\n"
                               "Content-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
}

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return -1;
  return std::stoi(response.substr(9, 3));
}

std::string BodyOf(const std::string& response) {
  auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

class ApiServerTest : public ApiFixture {
 protected:
  void SetUp() override {
    Boot();
    dir_ = teecloud::testing::MakeTempDir();
    socket_ = dir_ + "/agent.sock";
  }

  std::unique_ptr<ApiServer> Serve(std::vector<std::string> paths, size_t max_body = 1 << 20) {
    ServerOptions o;
    o.socket_paths = std::move(paths);
    o.max_body_bytes = max_body;
    o.io_timeout_seconds = 2;
    o.on_request = [this](const RequestLogEntry& e) {
      std::lock_guard lock(log_mu_);
      log_.push_back(e);
    };
    auto s = ApiServer::Bind(service_, std::move(o));
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    if (!s) return nullptr;
    (*s)->Start();
    return std::move(*s);
  }

  std::string dir_, socket_;
  std::mutex log_mu_;
  std::vector<RequestLogEntry> log_;
};

TEST_F(ApiServerTest, ServesOnTwoSocketsWithGroupOnlyMode) {
  const std::string second = dir_ + "/teecloud.sock";
  auto server = Serve({socket_, second});
  ASSERT_TRUE(server);
  for (const std::string& p : {socket_, second}) {
    struct stat st {};
    ASSERT_EQ(::lstat(p.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u) << p;
    std::string r = Post(p, "Version", "{}");
    EXPECT_EQ(StatusOf(r), 200) << r;
    EXPECT_EQ(ParseJson(BodyOf(r))->at("version"), "9.9.9");
  }
  std::string get = RawExchange(socket_, "GET /Info HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(StatusOf(get), 200);
  server->Stop();
  struct stat st {};
  EXPECT_NE(::lstat(socket_.c_str(), &st), 0) << "socket file removed on stop";
  EXPECT_NE(::lstat(second.c_str(), &st), 0);
  std::lock_guard lock(log_mu_);
  EXPECT_GE(log_.size(), 3u);
  for (const auto& e : log_) {
    EXPECT_EQ(e.status, 200);
    EXPECT_FALSE(e.path.empty());
  }
}

TEST_F(ApiServerTest, MalformedTrafficNeverStopsTheServer) {
  auto server = Serve({socket_}, 4096);
  ASSERT_TRUE(server);
  struct Case {
    std::string name, request;
    int status;  // -1: any (or no) response, as long as the server survives
  };
  const std::string big(8192, 'a');
  const Case cases[] = {
      {"garbage", "\x01\x02garbage\r\n\r\n", 400},
      {"not http", "HELLO\r\n\r\n", 400},
      {"bad json", "POST /GetKey HTTP/1.1\r\nContent-Length: 5\r\n\r\n{oops", 400},
      {"wrong types", "POST /GetKey HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"path\": [1]}", 400},
      {"unknown method", "POST /Nope HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 404},
      {"wrong verb", "DELETE /GetKey HTTP/1.1\r\n\r\n", 404},
      {"get on post method", "GET /GetKey HTTP/1.1\r\n\r\n", 404},
      {"huge body", "POST /GetKey HTTP/1.1\r\nContent-Length: 8192\r\n\r\n" + big, 413},
      {"huge chunked body",
       "POST /GetKey HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n" + big +
           "\r\n0\r\n\r\n",
       413},
      // Answered once the read timeout (2 s here) expires.
      {"absurd length", "POST /GetKey HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
       413},
      {"negative length", "POST /GetKey HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 413},
      {"truncated body", "POST /GetKey HTTP/1.1\r\nContent-Length: 100\r\n\r\n{", 400},
      {"long path", "POST /" + std::string(20000, 'x') + " HTTP/1.1\r\n\r\n", 414},
      {"header flood", "POST /GetKey HTTP/1.1\r\n" + std::string(100000, 'h') + "\r\n\r\n", -1},
      {"binary json", "POST /GetKey HTTP/1.1\r\nContent-Length: 4\r\n\r\n\xff\xfe\x00\x01", 400},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string r = RawExchange(socket_, c.request, std::chrono::milliseconds(4000));
    if (c.status != -1) {
      EXPECT_EQ(StatusOf(r), c.status) << r.substr(0, 300);
      auto j = ParseJson(BodyOf(r));
      ASSERT_TRUE(j.has_value()) << r.substr(0, 300);
      EXPECT_TRUE(j->contains("error"));
    } else if (!r.empty()) {
      EXPECT_GE(StatusOf(r), 400) << r.substr(0, 300);
    }
    // Still serving.
    EXPECT_EQ(StatusOf(Post(socket_, "Version", "{}")), 200);
  }
  // Concurrent clients.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (StatusOf(Post(socket_, "GetKey", R"({"path": "c"})")) == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST_F(ApiServerTest, ReplacesAStaleSocketButNotALiveOneOrAFile) {
  // Stale: a socket file whose listener is gone.
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
  }
  auto server = Serve({socket_});
  ASSERT_TRUE(server);
  EXPECT_EQ(StatusOf(Post(socket_, "Version", "{}")), 200);

  // Live: refused, and the running server keeps its socket.
  ServerOptions o;
  o.socket_paths = {socket_};
  auto second = ApiServer::Bind(service_, o);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, Code::kFailedPrecondition);
  EXPECT_EQ(StatusOf(Post(socket_, "Version", "{}")), 200);

  // A regular file is never replaced.
  const std::string file = dir_ + "/not-a-socket";
  ASSERT_TRUE(WriteFileAtomic(file, AsBytes("data"), 0644));
  o.socket_paths = {file};
  EXPECT_FALSE(ApiServer::Bind(service_, o).has_value());
  EXPECT_EQ(*ReadTextFile(file), "data");

  o.socket_paths = {dir_ + "/" + std::string(120, 's')};
  EXPECT_EQ(ApiServer::Bind(service_, o).error().code, Code::kInvalidArgument);
  o.socket_paths = {};
  EXPECT_FALSE(ApiServer::Bind(service_, o).has_value());
  o.socket_paths = {dir_ + "/w.sock"};
  o.socket_mode = 0666;
  EXPECT_FALSE(ApiServer::Bind(service_, o).has_value());
}

TEST_F(ApiServerTest, StopRightAfterStartReturns) {
  for (int i = 0; i < 5; ++i) {
    auto server = Serve({socket_});
    ASSERT_TRUE(server);
    server->Stop();
  }
}

}  // namespace
}  // namespace teecloud::agent
