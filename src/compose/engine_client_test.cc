// EngineClient against a fake engine (cpp-httplib server on a temp unix socket): error
// surfacing, bounds, timeouts, log framing over HTTP, request shapes. The real engine is
// exercised by integration_test.cc.
#include "compose/engine_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "base/json.h"
#include "testing/testing.h"

namespace teecloud::compose {
namespace {

using ::testing::HasSubstr;

std::string Frame(uint8_t stream, std::string_view payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  f[4] = static_cast<char>(n >> 24);
  f[5] = static_cast<char>(n >> 16);
  f[6] = static_cast<char>(n >> 8);
  f[7] = static_cast<char>(n);
  return f + std::string(payload);
}

class FakeEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = teecloud::testing::MakeTempDir();
    socket_ = dir_ + "/engine.sock";
    server_.set_address_family(AF_UNIX);
    server_.Get("/_ping", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("OK", "text/plain");
    });
    server_.Get("/v1.41/version", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"Version":"20.10.24","ApiVersion":"1.41","Os":"linux","Arch":"amd64",
                          "Components":[{"Name":"Engine"},{"Name":"containerd"}]})",
                      "application/json");
    });
    server_.Get(
        "/v1.41/containers/missing/json", [](const httplib::Request&, httplib::Response& res) {
          res.status = 404;
          res.set_content(R"({"message":"No such container: missing"})", "application/json");
        });
    server_.Get("/v1.41/containers/c1/json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"Id":"c1","Name":"/proj_web_1","Image":"sha256:abc",
        "Config":{"Image":"img","Tty":false,"Labels":{"a":"b"},"Entrypoint":null,
                  "Cmd":["sleep","1"],"Env":["A=1","PATH=/bin"]},
        "State":{"Status":"exited","Running":false,"ExitCode":3,"Health":{"Status":"healthy"}},
        "RestartCount":2,
        "HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]}},
        "NetworkSettings":{"Ports":{},"Networks":{"proj_default":{}}}})",
                      "application/json");
    });
    server_.Get("/v1.41/containers/c1/logs",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (req.get_param_value("follow") != "1") {
                    res.set_content(Frame(1, "out 1\n") + Frame(2, "err 1\n") + Frame(1, "out 2\n"),
                                    "application/vnd.docker.raw-stream");
                    return;
                  }
                  // Following: a frame every 50 ms until the client goes away.
                  res.set_chunked_content_provider(
                      "application/vnd.docker.raw-stream", [this](size_t, httplib::DataSink& sink) {
                        if (stop_streams_ || !sink.is_writable()) return false;
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));
                        const std::string f = Frame(1, "tick\n");
                        sink.write(f.data(), f.size());
                        return true;
                      });
                });
    server_.Get("/v1.41/containers/json",
                [this](const httplib::Request& req, httplib::Response& res) {
                  last_filters_ = req.get_param_value("filters");
                  res.set_content(std::string(2 << 20, ' ') + "[]", "application/json");
                });
    server_.Get("/v1.41/images/app:1/json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"Id":"sha256:i1","RepoTags":["app:1"],"Size":42,
        "Config":{"Entrypoint":["/entry","-x"],"Cmd":["serve"],"Env":["PATH=/bin"],
                  "User":"1000"}})",
                      "application/json");
    });
    server_.Get("/v1.41/images/bare:1/json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"Id":"sha256:i2","Config":{"Entrypoint":null,"Cmd":null,"Env":null}})",
                      "application/json");
    });
    server_.Get("/v1.41/networks/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      res.set_content("{}", "application/json");
    });
    server_.Post("/v1.41/containers/create",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   last_body_ = req.body;
                   last_name_ = req.get_param_value("name");
                   res.status = 201;
                   res.set_content(R"({"Id":"new-id","Warnings":[]})", "application/json");
                 });
    server_.Post("/v1.41/containers/running/start",
                 [](const httplib::Request&, httplib::Response& res) { res.status = 304; });
    server_.Post("/v1.41/build", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          "{\"stream\":\"Step 1/2 : FROM scratch\\n\"}\r\n"
          "{\"errorDetail\":{\"message\":\"COPY failed: no source files\"},"
          "\"error\":\"COPY failed: no source files\"}\r\n",
          "application/json");
    });
    thread_ = std::thread([this] { server_.listen(socket_.c_str(), 80); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(server_.is_running());
  }
  void TearDown() override {
    stop_streams_ = true;
    server_.stop();
    if (thread_.joinable()) thread_.join();
    std::filesystem::remove_all(dir_);
  }
  EngineClient Client(double timeout = 10, size_t max_bytes = 1 << 20) {
    EngineOptions o;
    o.socket_path = socket_;
    o.request_timeout_seconds = timeout;
    o.max_response_bytes = max_bytes;
    return EngineClient(o);
  }

  std::string dir_, socket_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> stop_streams_{false};
  std::string last_body_, last_name_, last_filters_;
};

TEST(EngineClientTest, UnreachableEngineSaysWhatToDo) {
  EngineOptions o;
  o.socket_path = "/nonexistent/teecloud/docker.sock";
  EngineClient c(o);
  auto st = c.Ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kUnavailable);
  EXPECT_EQ(st.error().message,
            "container engine not reachable at /nonexistent/teecloud/docker.sock: is dockerd "
            "running? (scripts/dockerd.sh start)");
  auto v = c.InspectContainer("x");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, Code::kUnavailable);
}

TEST(EngineClientTest, QueryEncoding) {
  EXPECT_EQ(UrlEncode("a b/c=d"), "a%20b%2Fc%3Dd");
  EXPECT_EQ(LabelFiltersQuery({"teecloud.project=x"}),
            UrlEncode(R"({"label":["teecloud.project=x"]})"));
}

TEST(EngineClientTest, ContainerCreateJsonShape) {
  ContainerSpec s;
  s.name = "p_web_1";
  s.image = "img";
  s.cmd = std::vector<std::string>{"httpd", "-f"};
  s.env = {"A=1"};
  s.labels = {{"k", "v"}};
  s.ports = {PortBinding{"127.0.0.1", 8080, 80, "tcp"}, PortBinding{"", 0, 53, "udp"}};
  s.binds = {"p_data:/data:ro"};
  s.tmpfs = {{"/run", ""}};
  s.network = "p_default";
  s.network_aliases = {"web"};
  s.restart = RestartPolicy{"on-failure", 3};
  s.working_dir = "/srv";
  s.user = "nobody";
  s.init = true;
  s.stop_timeout_seconds = 5;
  auto j = ParseJson(ContainerCreateJson(s));
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)["Image"], "img");
  EXPECT_EQ((*j)["Cmd"], Json::array({"httpd", "-f"}));
  EXPECT_FALSE(j->contains("Entrypoint"));  // the image's
  EXPECT_EQ((*j)["Env"], Json::array({"A=1"}));
  EXPECT_EQ((*j)["ExposedPorts"].size(), 2u);
  const Json& host = (*j)["HostConfig"];
  EXPECT_EQ(host["PortBindings"]["80/tcp"][0]["HostIp"], "127.0.0.1");
  EXPECT_EQ(host["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
  EXPECT_EQ(host["PortBindings"]["53/udp"][0]["HostPort"], "");
  EXPECT_EQ(host["Binds"], Json::array({"p_data:/data:ro"}));
  EXPECT_EQ(host["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(host["RestartPolicy"]["MaximumRetryCount"], 3);
  EXPECT_EQ(host["NetworkMode"], "p_default");
  EXPECT_EQ(host["Init"], true);
  EXPECT_EQ(host["Tmpfs"]["/run"], "");
  EXPECT_EQ((*j)["NetworkingConfig"]["EndpointsConfig"]["p_default"]["Aliases"],
            Json::array({"web"}));
  EXPECT_EQ((*j)["WorkingDir"], "/srv");
  EXPECT_EQ((*j)["User"], "nobody");
  EXPECT_EQ((*j)["StopTimeout"], 5);
  // Deterministic: the configuration hash depends on it.
  EXPECT_EQ(ContainerCreateJson(s), ContainerCreateJson(s));
}

TEST_F(FakeEngineTest, PingAndVersion) {
  EngineClient c = Client();
  ASSERT_TRUE(c.Ping());
  auto v = c.Version();
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(v->api_version, "1.41");
  EXPECT_EQ(v->components, "Engine, containerd");
}

TEST_F(FakeEngineTest, EngineErrorMessageIsSurfaced) {
  EngineClient c = Client();
  auto r = c.InspectContainer("missing");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr("No such container: missing"));
  EXPECT_THAT(r.error().message, HasSubstr("GET /v1.41/containers/missing/json"));
}

TEST_F(FakeEngineTest, InspectParsesState) {
  EngineClient c = Client();
  auto r = c.InspectContainer("c1");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->name, "proj_web_1");
  EXPECT_EQ(r->state.status, "exited");
  EXPECT_EQ(r->state.exit_code, 3);
  EXPECT_EQ(r->state.health, "healthy");
  EXPECT_EQ(r->restart_count, 2);
  EXPECT_EQ(r->labels.at("a"), "b");
  EXPECT_TRUE(r->entrypoint.empty());
  EXPECT_EQ(r->cmd, (std::vector<std::string>{"sleep", "1"}));
  EXPECT_EQ(r->env, (std::vector<std::string>{"A=1", "PATH=/bin"}));
  ASSERT_EQ(r->ports.size(), 1u);  // from HostConfig when not running
  EXPECT_EQ(r->ports[0].host_port, 8080);
  EXPECT_EQ(r->networks, std::vector<std::string>{"proj_default"});
}

TEST_F(FakeEngineTest, InspectImageReadsItsConfig) {
  EngineClient c = Client();
  auto app = c.InspectImage("app:1");
  ASSERT_TRUE(app.has_value()) << app.error().ToString();
  EXPECT_EQ(app->id, "sha256:i1");
  EXPECT_EQ(app->size, 42);
  EXPECT_THAT(app->entrypoint, ::testing::ElementsAre("/entry", "-x"));
  EXPECT_THAT(app->cmd, ::testing::ElementsAre("serve"));
  EXPECT_THAT(app->env, ::testing::ElementsAre("PATH=/bin"));
  EXPECT_EQ(app->user, "1000");
  auto bare = c.InspectImage("bare:1");  // null Entrypoint/Cmd (FROM scratch, no CMD)
  ASSERT_TRUE(bare.has_value()) << bare.error().ToString();
  EXPECT_TRUE(bare->entrypoint.empty());
  EXPECT_TRUE(bare->cmd.empty());
  EXPECT_TRUE(bare->env.empty());
  EXPECT_EQ(bare->user, "");
}

TEST_F(FakeEngineTest, LogsAreDemultiplexed) {
  EngineClient c = Client();
  auto r = c.Logs("c1", LogsOptions{});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].stream, LogStream::kStderr);
  EXPECT_EQ((*r)[1].data, "err 1\n");
}

TEST_F(FakeEngineTest, OversizedAnswerIsRefused) {
  EngineClient c = Client(10, 1 << 20);
  auto r = c.ListContainers({"teecloud.project=p"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kResourceExhausted);
  EXPECT_EQ(last_filters_, R"({"label":["teecloud.project=p"]})");
}

TEST_F(FakeEngineTest, SlowAnswerTimesOut) {
  EngineClient c = Client(0.3);
  const auto start = std::chrono::steady_clock::now();
  auto r = c.InspectNetwork("slow");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(FakeEngineTest, CreateSendsNameAndBody) {
  EngineClient c = Client();
  ContainerSpec s;
  s.name = "p_web_1";
  s.image = "img";
  auto id = c.CreateContainer(s);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(*id, "new-id");
  EXPECT_EQ(last_name_, "p_web_1");
  EXPECT_EQ(last_body_, ContainerCreateJson(s));
  EXPECT_TRUE(c.StartContainer("running"));  // 304: already started
}

TEST_F(FakeEngineTest, BuildErrorIsSurfaced) {
  EngineClient c = Client();
  std::string progress;
  auto st =
      c.BuildImage(AsBytes("not really a tar"), "x:1", [&](std::string_view s) { progress += s; });
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("COPY failed: no source files"));
  EXPECT_THAT(progress, HasSubstr("Step 1/2"));
}

TEST_F(FakeEngineTest, FollowLogsStopsOnCallbackAndOnTimeout) {
  EngineClient c = Client();
  int seen = 0;
  ASSERT_TRUE(c.FollowLogs("c1", LogsOptions{}, [&](const LogChunk& ch) {
    EXPECT_EQ(ch.data, "tick\n");
    return ++seen < 3;
  }));
  EXPECT_EQ(seen, 3);

  LogsOptions bounded;
  bounded.follow_timeout_seconds = 0.5;
  const auto start = std::chrono::steady_clock::now();
  int ticks = 0;
  ASSERT_TRUE(c.FollowLogs("c1", bounded, [&](const LogChunk&) {
    ++ticks;
    return true;
  }));
  EXPECT_GT(ticks, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

}  // namespace
}  // namespace teecloud::compose
