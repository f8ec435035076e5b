#include "node/http_api.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "node/fake_cvm_backend.h"
#include "node/node_testing.h"
#include "node/routes.h"
#include "testing/testing.h"

namespace teecloud::node {
namespace {

using ::teecloud::node::testing::TestManifest;

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = teecloud::testing::MakeTempDir();
    store_ = std::move(*StateStore::Open(dir_ + "/state.db", clock_));
    NodeServiceOptions o;
    o.stop_grace = std::chrono::milliseconds(0);
    service_ = std::make_unique<NodeService>(*store_, backend_, clock_, random_, o);
    HttpApiOptions ao;
    ao.version = "9.9.9";
    ao.max_body_bytes = 1 << 20;
    ao.threads = 4;
    ao.access_log = [this](const AccessLogEntry& e) {
      std::lock_guard lock(log_mu_);
      access_log_.push_back(e);
    };
    ao.simulation_trust = [this] { return backend_.SimulationTrust(); };
    api_ = std::make_unique<HttpApi>(*service_, clock_, ao);
    auto port = api_->ListenTcp("127.0.0.1", 0);
    ASSERT_TRUE(port.has_value()) << port.error().ToString();
    port_ = *port;
  }
  void TearDown() override {
    api_.reset();
    std::filesystem::remove_all(dir_);
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    return c;
  }

  struct Reply {
    int status = 0;
    Json json;
    std::string body;
  };
  static Reply Wrap(const httplib::Result& r) {
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    if (auto j = ParseJson(r->body)) out.json = *j;
    return out;
  }
  Reply Get(const std::string& path) { return Wrap(Client().Get(path)); }
  Reply Post(const std::string& path, const std::string& body) {
    return Wrap(Client().Post(path, body, "application/json"));
  }
  Reply Delete(const std::string& path) { return Wrap(Client().Delete(path)); }

  Reply DeployWeb(const std::string& name = "web") {
    Json body = {{"name", name},
                 {"manifest", TestManifest(name)},
                 {"ports", {{{"host", 8080}, {"cvm", 80}}}}};
    return Post("/v1/cvms", DumpJson(body));
  }

  static void ExpectError(const Reply& r, int status, const std::string& code,
                          const std::string& message_part = "") {
    EXPECT_EQ(r.status, status) << r.body;
    ASSERT_TRUE(r.json.is_object() && r.json.contains("error")) << r.body;
    EXPECT_EQ(r.json["error"]["code"], code) << r.body;
    EXPECT_TRUE(r.json["error"]["message"].is_string());
    if (!message_part.empty()) {
      EXPECT_NE(r.json["error"]["message"].get<std::string>().find(message_part), std::string::npos)
          << r.body;
    }
  }

  FakeClock clock_{1750000000};
  crypto::FakeRandom random_{3};
  FakeCvmBackend backend_;
  std::string dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<NodeService> service_;
  std::unique_ptr<HttpApi> api_;
  int port_ = 0;
  std::mutex log_mu_;
  std::vector<AccessLogEntry> access_log_;
};

TEST_F(HttpApiTest, EveryRouteWorks) {
  EXPECT_EQ(Get("/healthz").json, (Json{{"status", "ok"}}));

  Reply d = DeployWeb();
  ASSERT_EQ(d.status, 201) << d.body;
  EXPECT_EQ(d.json["cvm"]["name"], "web");
  EXPECT_EQ(d.json["cvm"]["status"], "starting");
  EXPECT_EQ(d.json["resumed"], false);
  const std::string id = d.json["cvm"]["id"];
  service_->Tick();

  // The manifest may also be sent as an object.
  Json as_object = {{"name", "api"},
                    {"manifest", ParseJson(TestManifest("api")).value()},
                    {"restart_policy", "on-failure"}};
  Reply d2 = Post("/v1/cvms", DumpJson(as_object));
  ASSERT_EQ(d2.status, 201) << d2.body;
  EXPECT_EQ(d2.json["cvm"]["restart_policy"], "on-failure");

  Reply list = Get("/v1/cvms");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["cvms"].size(), 2u);
  EXPECT_EQ(list.json["cvms"][0]["status"], "running");
  EXPECT_EQ(list.json["cvms"][0]["ports"],
            (Json::array({{{"host", 8080}, {"cvm", 80}, {"protocol", "tcp"}}})));

  Reply inspect = Get("/v1/cvms/web");
  ASSERT_EQ(inspect.status, 200);
  EXPECT_EQ(inspect.json["id"], id);
  EXPECT_EQ(inspect.json["manifest"]["name"], "web");
  EXPECT_GE(inspect.json["events"].size(), 3u);
  EXPECT_EQ(inspect.json["manifest_history"].size(), 1u);
  EXPECT_EQ(Get("/v1/cvms/" + id).status, 200);

  Reply info = Get("/v1/node");
  ASSERT_EQ(info.status, 200);
  EXPECT_EQ(info.json["version"], "9.9.9");
  EXPECT_EQ(info.json["backend"], "fake");
  EXPECT_EQ(info.json["cvms"]["running"], 1);
  EXPECT_EQ(info.json["cvms"]["starting"], 1);

  Reply stop = Post("/v1/cvms/web/stop", "");
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(stop.json["status"], "stopped");
  Reply start = Post("/v1/cvms/web/start", "{}");
  ASSERT_EQ(start.status, 200) << start.body;
  EXPECT_EQ(start.json["status"], "starting");
  Reply restart = Post("/v1/cvms/web/restart", "");
  ASSERT_EQ(restart.status, 200) << restart.body;

  Reply up =
      Post("/v1/cvms/web/upgrade", DumpJson(Json{{"manifest", TestManifest("web", 2)},
                                                 {"ports", {{{"host", 8081}, {"cvm", 80}}}}}));
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.json["generation"], 2);
  EXPECT_EQ(up.json["ports"][0]["host"], 8081);

  backend_.AppendLog(id, "line 1\nline 2\n");
  auto logs = Client().Get("/v1/cvms/web/logs?tail=10");
  ASSERT_TRUE(logs);
  EXPECT_EQ(logs->status, 200);
  EXPECT_EQ(logs->body, "line 1\nline 2\n");
  EXPECT_NE(logs->get_header_value("Content-Type").find("text/plain"), std::string::npos);

  Reply events = Get("/v1/cvms/web/events?limit=2");
  ASSERT_EQ(events.status, 200);
  EXPECT_EQ(events.json["events"].size(), 2u);

  service_->Tick();
  Reply attest = Post("/v1/cvms/web/attest", DumpJson(Json{{"nonce", std::string(32, 'a')}}));
  ASSERT_EQ(attest.status, 200) << attest.body;
  EXPECT_EQ(attest.json["report_data"].get<std::string>().size(), 128u);
  EXPECT_EQ(attest.json["nonce"], std::string(32, 'a'));
  EXPECT_EQ(attest.json["quote"].get<std::string>().substr(0, 22), ToHex(AsBytes("fake-quote:")));
  EXPECT_TRUE(attest.json["event_log"].is_array());
  EXPECT_EQ(attest.json["app_id"], up.json["app_id"]);

  Reply rm = Delete("/v1/cvms/web");
  ASSERT_EQ(rm.status, 200) << rm.body;
  EXPECT_EQ(rm.json["purged"], false);
  EXPECT_EQ(rm.json["cvm"]["status"], "removed");
  EXPECT_EQ(Get("/v1/cvms").json["cvms"].size(), 1u);
  EXPECT_EQ(Get("/v1/cvms?all=true").json["cvms"].size(), 2u);
  Reply purge = Delete("/v1/cvms/web?purge=true");
  ASSERT_EQ(purge.status, 200) << purge.body;
  EXPECT_EQ(purge.json["purged"], true);
  ExpectError(Get("/v1/cvms/web"), 404, "NOT_FOUND");

  auto metrics = Client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("teecloud_node_cvms{status=\"running\"} 1"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("teecloud_node_http_requests_total{method=\"POST\",route=\"/v1/"
                               "cvms\",code=\"201\"} 2"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("teecloud_node_agent_restarts_total 0"), std::string::npos);
  EXPECT_NE(metrics->body.find("teecloud_node_info{version=\"9.9.9\",backend=\"fake\"} 1"),
            std::string::npos);

  auto openapi = Get("/openapi.json");
  ASSERT_EQ(openapi.status, 200);
  EXPECT_EQ(openapi.json["openapi"], "3.0.3");

  // One access-log line per request, with the route template.
  std::lock_guard lock(log_mu_);
  ASSERT_GE(access_log_.size(), 20u);
  bool saw_inspect = false;
  for (const auto& e : access_log_) {
    EXPECT_EQ(e.transport, "tcp");
    saw_inspect = saw_inspect || (e.route == "/v1/cvms/{ref}" && e.path == "/v1/cvms/web" &&
                                  e.method == "GET" && e.status == 200);
  }
  EXPECT_TRUE(saw_inspect);
}

TEST_F(HttpApiTest, SimTrustServesTheBackendsSimulationRootAndCollateral) {
  // The fake backend starts without a simulation PKI: 404 that says what to do instead.
  ExpectError(Get("/v1/node/sim-trust"), 404, "NOT_FOUND", "no simulation PKI");

  backend_.SetSimulationTrust(
      SimTrustMaterial{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                       R"({"tcb_info": "{\"id\":\"TDX\"}", "pck_crl": "00"})"});
  Reply r = Get("/v1/node/sim-trust");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["root_pem"], "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  // The collateral is an object whose signed texts are carried byte for byte.
  ASSERT_TRUE(r.json["collateral"].is_object()) << r.body;
  EXPECT_EQ(r.json["collateral"]["tcb_info"], "{\"id\":\"TDX\"}");
  EXPECT_EQ(r.json["simulated"], true);
  ExpectError(Post("/v1/node/sim-trust", "{}"), 405, "METHOD_NOT_ALLOWED");
  ExpectError(Get("/v1/node/sim-trust?x=1"), 400, "INVALID_ARGUMENT", "unknown query parameter");

  backend_.SetSimulationTrust(SimTrustMaterial{"pem", "not json"});
  ExpectError(Get("/v1/node/sim-trust"), 500, "INTERNAL", "collateral");
}

TEST(HttpApiOptionsTest, WithoutSimulationTrustTheRouteIs404) {
  const std::string dir = teecloud::testing::MakeTempDir();
  FakeClock clock{1750000000};
  crypto::FakeRandom random{5};
  FakeCvmBackend backend;
  auto store = StateStore::Open(dir + "/state.db", clock);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  NodeService service(**store, backend, clock, random, NodeServiceOptions{});
  HttpApi api(service, clock, HttpApiOptions{});
  auto port = api.ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(port.has_value()) << port.error().ToString();
  httplib::Client c("127.0.0.1", *port);
  auto r = c.Get("/v1/node/sim-trust");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("no simulation PKI"), std::string::npos) << r->body;
  api.Stop();
  std::filesystem::remove_all(dir);
}

TEST_F(HttpApiTest, MalformedRequestsAre400) {
  ExpectError(Post("/v1/cvms", "{not json"), 400, "INVALID_ARGUMENT", "not valid JSON");
  ExpectError(Post("/v1/cvms", "[1,2]"), 400, "INVALID_ARGUMENT", "JSON object");
  ExpectError(Post("/v1/cvms", ""), 400, "INVALID_ARGUMENT", "required");
  ExpectError(
      Post("/v1/cvms",
           DumpJson(Json{{"name", "web"}, {"manifest", TestManifest("web")}, {"colour", "blue"}})),
      400, "INVALID_ARGUMENT", "unknown field 'colour'");
  ExpectError(Post("/v1/cvms", DumpJson(Json{{"name", "web"}})), 400, "INVALID_ARGUMENT",
              "manifest");
  ExpectError(Post("/v1/cvms", DumpJson(Json{{"name", 5}, {"manifest", TestManifest("web")}})), 400,
              "INVALID_ARGUMENT", "name");
  ExpectError(Post("/v1/cvms", DumpJson(Json{{"name", "web"}, {"manifest", 5}})), 400,
              "INVALID_ARGUMENT", "manifest");
  ExpectError(Post("/v1/cvms", DumpJson(Json{{"name", "web"},
                                             {"manifest", TestManifest("web")},
                                             {"ports", {{{"host", 70000}, {"cvm", 80}}}}})),
              400, "INVALID_ARGUMENT", "port");
  ExpectError(Post("/v1/cvms", DumpJson(Json{{"name", "web"},
                                             {"manifest", TestManifest("web")},
                                             {"restart_policy", "sometimes"}})),
              400, "INVALID_ARGUMENT", "restart_policy");
  // A manifest sent as text is parsed strictly: a duplicate key is refused.
  std::string dup = TestManifest("web");
  dup.insert(1, "\"name\":\"web\",");
  ExpectError(Post("/v1/cvms", DumpJson(Json{{"name", "web"}, {"manifest", dup}})), 400,
              "INVALID_ARGUMENT", "invalid manifest");
  ExpectError(Get("/v1/cvms?everything=1"), 400, "INVALID_ARGUMENT", "unknown query parameter");
  ExpectError(Get("/v1/cvms?all=maybe"), 400, "INVALID_ARGUMENT", "true or false");
  ASSERT_EQ(DeployWeb().status, 201);
  ExpectError(Get("/v1/cvms/web/logs?tail=-1"), 400, "INVALID_ARGUMENT", "tail");
  ExpectError(Get("/v1/cvms/web/events?limit=0"), 400, "INVALID_ARGUMENT", "limit");
  ExpectError(Post("/v1/cvms/web/stop", "{\"now\": true}"), 400, "INVALID_ARGUMENT",
              "unknown field 'now'");
  ExpectError(Post("/v1/cvms/web/attest", "{\"nonce\": \"xyz\"}"), 400, "INVALID_ARGUMENT", "hex");
  ExpectError(Post("/v1/cvms/web/attest", "{}"), 400, "INVALID_ARGUMENT", "nonce");
  ExpectError(Post("/v1/cvms/web/upgrade", "{\"manifest\": \"{}\"}"), 400, "INVALID_ARGUMENT",
              "invalid manifest");
  // The node kept serving through all of that.
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpApiTest, OversizedBodiesAre413) {
  const std::string big(2 << 20, 'x');
  Reply r = Post("/v1/cvms", big);
  ExpectError(r, 413, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpApiTest, UnknownRoutesAndCvmsAre404AndWrongMethodsAre405) {
  ExpectError(Get("/v2/everything"), 404, "NOT_FOUND", "no route");
  ExpectError(Get("/v1/cvms/ghost"), 404, "NOT_FOUND", "ghost");
  ExpectError(Post("/v1/cvms/ghost/stop", ""), 404, "NOT_FOUND");
  ExpectError(Delete("/v1/cvms/ghost"), 404, "NOT_FOUND");
  ExpectError(Get("/v1/cvms/ghost/logs"), 404, "NOT_FOUND");
  ExpectError(Post("/v1/cvms/ghost/attest", DumpJson(Json{{"nonce", std::string(32, 'a')}})), 404,
              "NOT_FOUND");
  auto r = Client().Put("/v1/cvms", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET, POST");
  Reply rr = Wrap(r);
  EXPECT_EQ(rr.json["error"]["code"], "METHOD_NOT_ALLOWED");
  auto metrics = Client().Get("/metrics");
  EXPECT_NE(metrics->body.find("route=\"unmatched\",code=\"404\""), std::string::npos);
}

TEST_F(HttpApiTest, ConflictsAre409) {
  ASSERT_EQ(DeployWeb().status, 201);
  ExpectError(DeployWeb(), 409, "ALREADY_EXISTS", "already exists");
  ExpectError(DeployWeb("other"), 409, "ALREADY_EXISTS", "host port 8080/tcp");
  ExpectError(Post("/v1/cvms/web/attest", DumpJson(Json{{"nonce", std::string(32, 'a')}})), 409,
              "FAILED_PRECONDITION", "not running");
}

TEST_F(HttpApiTest, FollowedLogsStreamUntilTheClientLeaves) {
  Reply d = DeployWeb();
  ASSERT_EQ(d.status, 201);
  const std::string id = d.json["cvm"]["id"];
  backend_.AppendLog(id, "first\n");
  std::string got;
  std::atomic<bool> appended{false};
  auto client = Client();
  auto r = client.Get(
      "/v1/cvms/web/logs?follow=true",
      [&](const httplib::Response& res) { return res.status == 200; },
      [&](const char* data, size_t n) {
        got.append(data, n);
        if (!appended) {
          appended = true;
          backend_.AppendLog(id, "second\n");
        }
        return got.find("second\n") == std::string::npos;  // leave once both lines arrived
      });
  EXPECT_EQ(got, "first\nsecond\n");
  ExpectError(Get("/v1/cvms/ghost/logs?follow=true"), 404, "NOT_FOUND");
}

TEST_F(HttpApiTest, ServesOnAUnixSocketWithMode0660) {
  const std::string path = dir_ + "/node.sock";
  ASSERT_TRUE(api_->ListenUnix(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660);
  httplib::Client c(path, 80);
  c.set_address_family(AF_UNIX);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // A second node on the same socket is refused; the first keeps serving.
  HttpApi other(*service_, clock_, HttpApiOptions{});
  auto s = other.ListenUnix(path);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Code::kAlreadyExists);
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  // A stale socket file (nobody listening) is replaced.
  api_->Stop();
  EXPECT_NE(::access(path.c_str(), F_OK), 0);  // removed at stop
}

// The OpenAPI document and the server both come from Routes(): every route the server answers
// is documented and every documented route is served.
TEST_F(HttpApiTest, OpenApiDocumentsExactlyTheRegisteredRoutes) {
  Reply doc = Get("/openapi.json");
  ASSERT_EQ(doc.status, 200);
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, ops] : doc.json["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      std::string upper = method;
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert({upper, path});
      EXPECT_TRUE(op.contains("operationId")) << path;
      EXPECT_TRUE(op["responses"].contains("default")) << path;
    }
  }
  std::set<std::pair<std::string, std::string>> registered;
  for (const auto& r : api_->RegisteredRoutes()) registered.insert(r);
  EXPECT_EQ(documented, registered);
  EXPECT_EQ(registered.size(), Routes().size());

  // Every $ref resolves.
  std::function<void(const Json&)> check = [&](const Json& j) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        if (k == "$ref") {
          const std::string ref = v.get<std::string>();
          const std::string prefix = "#/components/schemas/";
          ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
          EXPECT_TRUE(doc.json["components"]["schemas"].contains(ref.substr(prefix.size()))) << ref;
        } else {
          check(v);
        }
      }
    } else if (j.is_array()) {
      for (const auto& v : j) check(v);
    }
  };
  check(doc.json);

  // And each registered route answers something other than "no route".
  for (const RouteSpec& r : Routes()) {
    std::string path(r.path);
    const auto brace = path.find("{ref}");
    if (brace != std::string::npos) path.replace(brace, 5, "ghost");
    httplib::Result res = r.method == "GET"    ? Client().Get(path)
                          : r.method == "POST" ? Client().Post(path, "{}", "application/json")
                                               : Client().Delete(path);
    ASSERT_TRUE(res) << path;
    if (res->status == 404) {
      EXPECT_EQ(
          ParseJson(res->body).value()["error"]["message"].get<std::string>().find("no route"),
          std::string::npos)
          << r.method << " " << path;
    }
    EXPECT_NE(res->status, 405) << r.method << " " << path;
  }
}

}  // namespace
}  // namespace teecloud::node
