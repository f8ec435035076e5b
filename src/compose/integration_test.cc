// EngineClient, ComposeProject and EncryptedVolume against a real dockerd.
//
// A global environment (PrivateDockerd, testing_dockerd.h) starts a private dockerd once,
// builds teecloud/busybox:local in it, and on exit removes every container and network,
// unmounts whatever is still mounted below its directory, stops the daemon and deletes the
// directory. Tests skip with a message when docker.io is not installed or the process is not
// root. Every wait is bounded.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/file.h"
#include "base/subprocess.h"
#include "compose/compose_file.h"
#include "compose/compose_project.h"
#include "compose/encrypted_volume.h"
#include "compose/engine_client.h"
#include "compose/local_image.h"
#include "compose/tar.h"
#include "compose/testing_dockerd.h"
#include "crypto/random.h"
#include "testing/testing.h"

namespace teecloud::compose {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// The private daemon (testing_dockerd.h).

PrivateDockerd* const g_dockerd = PrivateDockerd::Register();

#define REQUIRE_DOCKERD() REQUIRE_PRIVATE_DOCKERD(g_dockerd)

EngineClient& Engine() { return *g_dockerd->engine(); }

// ---------------------------------------------------------------------------------------------
// Helpers.

using ::teecloud::testing::FreeLoopbackPort;

// Polls `cond` every 100 ms until it holds or `seconds` pass.
bool WaitFor(double seconds, const std::function<bool()>& cond) {
  return ::teecloud::testing::WaitUntil(
      cond, std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)),
      std::chrono::milliseconds(100));
}

std::string HttpGet(uint16_t port, const std::string& path = "/") {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  c.set_read_timeout(2, 0);
  auto r = c.Get(path.c_str());
  if (!r || r->status != 200) return "";
  return r->body;
}

std::string ReadOr(const std::string& path) {
  auto t = ReadTextFile(path);
  return t.has_value() ? *t : "";
}

size_t CountLines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

std::string ServiceLogs(ComposeProject& p, const std::string& service) {
  std::string out;
  ProjectLogsOptions o;
  o.services = {service};
  (void)p.Logs(o, [&](const LogLine& l) {
    out += l.text + "\n";
    return true;
  });
  return out;
}

// web (busybox httpd, published on a loopback port) + db (appends to a named volume).
std::string DemoCompose() {
  return R"(
version: "3.8"
services:
  web:
    image: teecloud/busybox:local
    command: ["httpd", "-f", "-v", "-p", "80", "-h", "/www"]
    ports: ["${WEB_PORT}:80"]
    environment:
      GREETING: ${GREETING:-hello}
    depends_on: [db]
    init: true
  db:
    image: teecloud/busybox:local
    command: ["sh", "-c", "echo start >> /data/log; echo $$MARKER > /data/secret.txt; echo db ready; exec sleep 3600"]
    environment:
      MARKER: ${MARKER:-none}
    volumes: ["dbdata:/data"]
    init: true
volumes:
  dbdata:
)";
}

ComposeFile ParseDemo(uint16_t port, const std::string& greeting = "hello",
                      const std::string& marker = "none") {
  ParseOptions o;
  o.env = {{"WEB_PORT", std::to_string(port)}, {"GREETING", greeting}, {"MARKER", marker}};
  o.allowed_env_names = {"WEB_PORT", "GREETING", "MARKER"};
  auto f = ParseComposeFile(DemoCompose(), o);
  TEECLOUD_CHECK(f.has_value());
  return *f;
}

std::string ProjectLabel(const std::string& project) {
  return std::string(kLabelProject) + "=" + project;
}

// Nothing of the project is left in the engine.
void ExpectNothingLeft(const std::string& project, bool volumes_too) {
  auto containers = Engine().ListContainers({ProjectLabel(project)});
  ASSERT_TRUE(containers.has_value());
  EXPECT_TRUE(containers->empty()) << containers->size() << " containers left";
  auto networks = Engine().ListNetworks({ProjectLabel(project)});
  ASSERT_TRUE(networks.has_value());
  EXPECT_TRUE(networks->empty()) << networks->size() << " networks left";
  auto net = Engine().InspectNetwork(project + "_default");
  EXPECT_FALSE(net.has_value());
  if (volumes_too) {
    auto volumes = Engine().ListVolumes({ProjectLabel(project)});
    ASSERT_TRUE(volumes.has_value());
    EXPECT_TRUE(volumes->empty()) << volumes->size() << " volumes left";
  }
}

std::string TempDir() {
  std::string d = g_dockerd->dir() + "/t-" + std::to_string(::getpid()) + "-" +
                  std::to_string(Clock::now().time_since_epoch().count());
  fs::create_directories(d);
  return d;
}

// ---------------------------------------------------------------------------------------------
// EngineClient.

TEST(EngineIntegrationTest, PingAndVersion) {
  REQUIRE_DOCKERD();
  ASSERT_TRUE(Engine().Ping());
  auto v = Engine().Version();
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_FALSE(v->version.empty());
  EXPECT_FALSE(v->api_version.empty());
  auto img = Engine().InspectImage(kBusyboxImage);
  ASSERT_TRUE(img.has_value()) << img.error().ToString();
  EXPECT_EQ(img->id.rfind("sha256:", 0), 0u);
}

TEST(EngineIntegrationTest, ContainerLifecycleLogsAndWait) {
  REQUIRE_DOCKERD();
  ContainerSpec s;
  s.name = "tc_lifecycle";
  s.image = kBusyboxImage;
  s.cmd = std::vector<std::string>{"sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"};
  s.labels = {{"teecloud.test", "lifecycle"}};
  auto id = Engine().CreateContainer(s);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  ASSERT_TRUE(Engine().StartContainer(*id));
  auto code = Engine().WaitContainer(*id, 20);
  ASSERT_TRUE(code.has_value()) << code.error().ToString();
  EXPECT_EQ(*code, 3);
  auto info = Engine().InspectContainer(*id);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->state.status, "exited");
  EXPECT_EQ(info->state.exit_code, 3);
  EXPECT_EQ(info->name, "tc_lifecycle");
  auto logs = Engine().Logs(*id, LogsOptions{});
  ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
  std::string out, err;
  for (const auto& c : *logs) (c.stream == LogStream::kStderr ? err : out) += c.data;
  EXPECT_EQ(out, "to-stdout\n");
  EXPECT_EQ(err, "to-stderr\n");
  auto listed = Engine().ListContainers({"teecloud.test=lifecycle"});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, *id);
  ASSERT_TRUE(Engine().RemoveContainer(*id, true));
  auto gone = Engine().InspectContainer(*id);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Code::kNotFound);
}

TEST(EngineIntegrationTest, FollowLogsUntilTheContainerExits) {
  REQUIRE_DOCKERD();
  ContainerSpec s;
  s.name = "tc_follow";
  s.image = kBusyboxImage;
  s.cmd = std::vector<std::string>{"sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.2; done"};
  auto id = Engine().CreateContainer(s);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  ASSERT_TRUE(Engine().StartContainer(*id));
  std::string seen;
  LogsOptions o;
  o.follow_timeout_seconds = 20;
  const auto start = Clock::now();
  ASSERT_TRUE(Engine().FollowLogs(*id, o, [&](const LogChunk& c) {
    seen += c.data;
    return true;
  }));
  EXPECT_EQ(seen, "line 1\nline 2\nline 3\n");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  ASSERT_TRUE(Engine().RemoveContainer(*id, true));
}

TEST(EngineIntegrationTest, StopWithTimeoutAndRestart) {
  REQUIRE_DOCKERD();
  ContainerSpec s;
  s.name = "tc_stop";
  s.image = kBusyboxImage;
  s.cmd = std::vector<std::string>{"sleep", "3600"};  // PID 1 ignores SIGTERM
  auto id = Engine().CreateContainer(s);
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  ASSERT_TRUE(Engine().StartContainer(*id));
  ASSERT_TRUE(Engine().StartContainer(*id));  // already running: fine
  const auto start = Clock::now();
  ASSERT_TRUE(Engine().StopContainer(*id, 1));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(8));
  EXPECT_FALSE(Engine().InspectContainer(*id)->state.running);
  ASSERT_TRUE(Engine().StopContainer(*id, 1));  // already stopped: fine
  ASSERT_TRUE(Engine().RestartContainer(*id, 0));
  EXPECT_TRUE(Engine().InspectContainer(*id)->state.running);
  ASSERT_TRUE(Engine().RemoveContainer(*id, true));
}

TEST(EngineIntegrationTest, NetworksAndVolumesWithLabels) {
  REQUIRE_DOCKERD();
  NetworkSpec ns;
  ns.name = "tc_net";
  ns.labels = {{"teecloud.test", "net"}};
  auto nid = Engine().CreateNetwork(ns);
  ASSERT_TRUE(nid.has_value()) << nid.error().ToString();
  auto dup = Engine().CreateNetwork(ns);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, Code::kAlreadyExists);
  auto info = Engine().InspectNetwork("tc_net");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->id, *nid);
  EXPECT_EQ(info->labels.at("teecloud.test"), "net");
  auto listed = Engine().ListNetworks({"teecloud.test=net"});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE(Engine().RemoveNetwork(*nid));
  EXPECT_EQ(Engine().InspectNetwork("tc_net").error().code, Code::kNotFound);

  const std::string dir = TempDir() + "/voldir";
  fs::create_directories(dir);
  VolumeSpec vs;
  vs.name = "tc_vol";
  vs.labels = {{"teecloud.test", "vol"}};
  vs.driver_opts = {{"type", "none"}, {"o", "bind"}, {"device", dir}};
  auto v = Engine().CreateVolume(vs);
  ASSERT_TRUE(v.has_value()) << v.error().ToString();
  EXPECT_EQ(Engine().InspectVolume("tc_vol")->options.at("device"), dir);
  auto vols = Engine().ListVolumes({"teecloud.test=vol"});
  ASSERT_TRUE(vols.has_value());
  EXPECT_EQ(vols->size(), 1u);
  ASSERT_TRUE(Engine().RemoveVolume("tc_vol", false));
  EXPECT_TRUE(fs::exists(dir));  // removing the volume leaves the directory alone
}

TEST(EngineIntegrationTest, BuildFromTarContext) {
  REQUIRE_DOCKERD();
  TarWriter tar;
  ASSERT_TRUE(tar.AddFile("Dockerfile", AsBytes("FROM teecloud/busybox:local\n"
                                                "COPY hello.txt /hello.txt\n")));
  ASSERT_TRUE(tar.AddFile("hello.txt", AsBytes("built\n")));
  std::string output;
  auto st = Engine().BuildImage(tar.Finish(), "teecloud/build-test:1",
                                [&](std::string_view s) { output += s; });
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_THAT(output, HasSubstr("Step 2/2"));
  ASSERT_TRUE(Engine().InspectImage("teecloud/build-test:1").has_value());

  TarWriter bad;
  ASSERT_TRUE(bad.AddFile("Dockerfile", AsBytes("FROM teecloud/busybox:local\nCOPY nope /\n")));
  st = Engine().BuildImage(bad.Finish(), "teecloud/build-test:2");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("nope"));
  ASSERT_TRUE(Engine().RemoveImage("teecloud/build-test:1", true));
}

TEST(EngineIntegrationTest, EngineErrorsAreSurfaced) {
  REQUIRE_DOCKERD();
  ContainerSpec s;
  s.name = "tc_noimage";
  s.image = "teecloud/no-such-image:1";
  auto id = Engine().CreateContainer(s);
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code, Code::kNotFound);
  EXPECT_THAT(id.error().message, HasSubstr("No such image"));
  auto st = Engine().StopContainer("no-such-container", 1);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kNotFound);
  auto img = Engine().InspectImage("teecloud/no-such-image:1");
  EXPECT_EQ(img.error().code, Code::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// ComposeProject.

// The whole life of a project in one test (container starts cost seconds each on CI).
TEST(ComposeIntegrationTest, UpServesHttpReconcilesAndKeepsDataAcrossDownAndUp) {
  REQUIRE_DOCKERD();
  const std::string root = TempDir() + "/volumes";
  auto project = ComposeProject::Open(&Engine(), "tcdemo");
  ASSERT_TRUE(project.has_value());
  const uint16_t port = FreeLoopbackPort();
  const ComposeFile compose = ParseDemo(port);

  std::vector<std::string> progress;
  UpOptions up;
  up.volume_root_dir = root;
  up.stop_timeout_seconds = 2;
  up.progress = [&](const ProgressEvent& e) { progress.push_back(e.service + ": " + e.message); };
  ASSERT_TRUE(project->Up(compose, up)) << "Up failed";
  EXPECT_THAT(progress, ::testing::Contains(HasSubstr("creating network tcdemo_default")));
  EXPECT_THAT(progress, ::testing::Contains("db: starting"));

  // The page over the published loopback port.
  std::string body;
  ASSERT_TRUE(WaitFor(15, [&] { return !(body = HttpGet(port)).empty(); }))
      << "no HTTP answer on 127.0.0.1:" << port;
  EXPECT_THAT(body, HasSubstr("hello from teecloud"));

  // Both services' logs, followed: db's greeting and web's access line for our request.
  {
    ProjectLogsOptions o;
    o.follow = true;
    o.engine.follow_timeout_seconds = 15;
    bool db_ready = false, web_served = false;
    ASSERT_TRUE(project->Logs(o, [&](const LogLine& l) {
      if (l.service == "db" && l.text == "db ready") db_ready = true;
      if (l.service == "web" && l.stream == LogStream::kStderr &&
          l.text.find("response:200") != std::string::npos) {
        web_served = true;
      }
      return !(db_ready && web_served);
    }));
    EXPECT_TRUE(db_ready);
    EXPECT_TRUE(web_served);
  }
  EXPECT_THAT(ServiceLogs(*project, "db"), HasSubstr("db ready"));
  EXPECT_EQ(CountLines(ReadOr(root + "/dbdata/log")), 1u);  // db wrote into its volume

  auto ps = project->Ps();
  ASSERT_TRUE(ps.has_value()) << ps.error().ToString();
  ASSERT_EQ(ps->size(), 2u);
  EXPECT_EQ((*ps)[0].service, "db");
  EXPECT_EQ((*ps)[1].service, "web");
  for (const auto& s : *ps) EXPECT_TRUE(s.running) << s.service << " " << s.state;
  ASSERT_FALSE((*ps)[1].ports.empty());
  EXPECT_EQ((*ps)[1].ports[0].host_ip, "127.0.0.1");
  EXPECT_EQ((*ps)[1].ports[0].host_port, port);
  EXPECT_EQ((*ps)[1].container_name, "tcdemo_web_1");

  // Up with the same file changes nothing.
  ASSERT_TRUE(project->Up(compose, up));
  auto same = project->Ps();
  ASSERT_TRUE(same.has_value());
  ASSERT_EQ(same->size(), 2u);
  EXPECT_EQ((*same)[0].container_id, (*ps)[0].container_id);
  EXPECT_EQ((*same)[1].container_id, (*ps)[1].container_id);

  // A changed service is recreated, the unchanged one kept.
  ASSERT_TRUE(project->Up(ParseDemo(port, "bonjour"), up));
  auto changed = project->Ps();
  ASSERT_TRUE(changed.has_value());
  ASSERT_EQ(changed->size(), 2u);
  EXPECT_EQ((*changed)[0].container_id, (*ps)[0].container_id);
  EXPECT_NE((*changed)[1].container_id, (*ps)[1].container_id);
  EXPECT_TRUE((*changed)[1].running);

  // A service dropped from the file is removed.
  ComposeFile only_db = compose;
  only_db.services.erase("web");
  ASSERT_TRUE(project->Up(only_db, up));
  auto dropped = project->Ps();
  ASSERT_TRUE(dropped.has_value());
  ASSERT_EQ(dropped->size(), 1u);
  EXPECT_EQ((*dropped)[0].service, "db");

  // Down removes containers and the network (checked through the API), keeps the data.
  DownOptions down;
  down.stop_timeout_seconds = 2;
  ASSERT_TRUE(project->Down(down));
  ExpectNothingLeft("tcdemo", /*volumes_too=*/false);
  EXPECT_EQ(CountLines(ReadOr(root + "/dbdata/log")), 1u);
  ASSERT_TRUE(project->Down(down));  // nothing to do: still fine

  ASSERT_TRUE(project->Up(only_db, up));
  ASSERT_TRUE(WaitFor(10, [&] { return CountLines(ReadOr(root + "/dbdata/log")) == 2; }))
      << "data did not survive Down+Up: " << ReadOr(root + "/dbdata/log");

  PurgeOptions purge;
  purge.volume_root_dir = root;
  purge.stop_timeout_seconds = 2;
  ASSERT_TRUE(project->Purge(purge));
  ExpectNothingLeft("tcdemo", /*volumes_too=*/true);
  EXPECT_FALSE(fs::exists(root + "/dbdata"));
}

TEST(ComposeIntegrationTest, PortConflictFailsCleanly) {
  REQUIRE_DOCKERD();
  const teecloud::testing::PortHolder holder;  // something else holds the port
  const uint16_t port = holder.port();
  const std::string port_text = "127.0.0.1:" + std::to_string(port) + "/tcp";

  const std::string root = TempDir() + "/volumes";
  auto project = ComposeProject::Open(&Engine(), "tcconflict");
  ASSERT_TRUE(project.has_value());
  UpOptions up;
  up.volume_root_dir = root;

  // Found by the probe before anything is created.
  auto st = project->Up(ParseDemo(port), up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
  EXPECT_THAT(st.error().message, HasSubstr(port_text));
  EXPECT_THAT(st.error().message, HasSubstr("service web"));
  ExpectNothingLeft("tcconflict", true);
  EXPECT_FALSE(fs::exists(root));

  // Found by the engine when web starts (db starts alongside, no dependency between them):
  // everything is rolled back.
  up.check_ports = false;
  ComposeFile parallel = ParseDemo(port);
  parallel.services.at("web").depends_on.clear();
  st = project->Up(parallel, up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
  EXPECT_THAT(st.error().message, HasSubstr("already in use"));
  EXPECT_THAT(st.error().message, HasSubstr(port_text));
  ExpectNothingLeft("tcconflict", true);
  EXPECT_FALSE(fs::exists(root));
}

TEST(ComposeIntegrationTest, MissingImagesFailBeforeAnyChange) {
  REQUIRE_DOCKERD();
  auto project = ComposeProject::Open(&Engine(), "tcnoimage");
  ASSERT_TRUE(project.has_value());
  auto f = ParseComposeFile(R"(
services:
  ok: {image: "teecloud/busybox:local", command: ["sleep", "60"]}
  app: {image: "teecloud/absent:1"}
)");
  ASSERT_TRUE(f.has_value());
  auto st = project->Up(*f, UpOptions{});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kNotFound);
  EXPECT_THAT(st.error().message, HasSubstr("teecloud/absent:1 is not present locally"));

  f = ParseComposeFile("services:\n  app: {build: ./app}\n");
  ASSERT_TRUE(f.has_value());
  st = project->Up(*f, UpOptions{});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kUnimplemented);
  EXPECT_THAT(st.error().message, HasSubstr("tcnoimage_app"));

  f = ParseComposeFile(
      "services:\n  app: {image: \"teecloud/busybox:local\", volumes: [\"/etc:/host-etc\"]}\n");
  ASSERT_TRUE(f.has_value());
  st = project->Up(*f, UpOptions{});
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("/etc is not allowed"));
  ExpectNothingLeft("tcnoimage", true);
}

// ---------------------------------------------------------------------------------------------
// EncryptedVolume under a project.

TEST(EncryptedVolumeIntegrationTest, VolumeOnEncryptedMountLeavesNoPlaintextOnDisk) {
  REQUIRE_DOCKERD();
  if (!FindExecutable("gocryptfs").has_value()) GTEST_SKIP() << "gocryptfs is not installed";
  if (!fs::exists("/dev/fuse")) GTEST_SKIP() << "/dev/fuse is missing";
  const std::string base = TempDir();
  const std::string cipher = base + "/cipher", plain = base + "/plain";
  crypto::SystemRandom rng;
  const crypto::SecretBytes key = rng.RandomSecret(32);
  const crypto::SecretBytes wrong = rng.RandomSecret(32);
  const std::string marker = "TEECLOUD-PLAINTEXT-" + ToHex(rng.RandomBytes(8));

  EncryptedVolume ev;
  ASSERT_TRUE(ev.Init(cipher, key));
  EXPECT_EQ(ev.Init(cipher, key).error().code, Code::kAlreadyExists);
  ASSERT_TRUE(ev.Mount(cipher, plain, key));
  ASSERT_TRUE(ev.Mount(cipher, plain, key));  // already mounted: fine
  ASSERT_TRUE(*ev.IsMounted(plain));

  auto project = ComposeProject::Open(&Engine(), "tcencrypted");
  ASSERT_TRUE(project.has_value());
  UpOptions up;
  up.volume_root_dir = plain + "/volumes";
  ComposeFile db_only = ParseDemo(FreeLoopbackPort(), "hello", marker);
  db_only.services.erase("web");
  ASSERT_TRUE(project->Up(db_only, up));
  const std::string secret_file = plain + "/volumes/dbdata/secret.txt";
  ASSERT_TRUE(WaitFor(10, [&] { return ReadOr(secret_file).find(marker) != std::string::npos; }))
      << "db did not write its marker";
  DownOptions down;
  down.stop_timeout_seconds = 2;
  ASSERT_TRUE(project->Down(down));

  // Nothing on the host disk below the cipher directory holds the plaintext or its name.
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(cipher)) {
    EXPECT_EQ(e.path().filename().string().find("secret"), std::string::npos) << e.path();
    if (!e.is_regular_file()) continue;
    ++files;
    auto bytes = ReadFile(e.path().string());
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(AsStringView(*bytes).find(marker), std::string_view::npos) << e.path();
  }
  EXPECT_GT(files, 3u);

  ASSERT_TRUE(ev.Unmount(plain));
  EXPECT_FALSE(*ev.IsMounted(plain));
  EXPECT_FALSE(fs::exists(secret_file));
  ASSERT_TRUE(ev.Unmount(plain));  // not mounted: fine

  auto bad = ev.Mount(cipher, plain, wrong);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kPermissionDenied);
  EXPECT_FALSE(*ev.IsMounted(plain));

  ASSERT_TRUE(ev.Mount(cipher, plain, key));
  EXPECT_THAT(ReadOr(secret_file), HasSubstr(marker));
  PurgeOptions purge;
  purge.volume_root_dir = plain + "/volumes";
  ASSERT_TRUE(project->Purge(purge));
  ExpectNothingLeft("tcencrypted", true);
  EXPECT_FALSE(fs::exists(secret_file));
  ASSERT_TRUE(ev.Unmount(plain));
}

// ---------------------------------------------------------------------------------------------
// Secret environment through teecloud-envexec, and port_map.

std::string EnvexecBinary() {
  const std::string dir = teecloud::testing::BinDir();
  if (!dir.empty() && fs::exists(dir + "/teecloud-envexec")) return dir + "/teecloud-envexec";
  return TEECLOUD_ENVEXEC_BINARY;
}

std::string SecretCompose() {
  return R"(
services:
  app:
    image: teecloud/busybox:local
    command: ["sh", "-c", "echo \"$$API_KEY\" > /data/seen.txt; echo started; exec sleep 3600"]
    environment:
      - API_KEY=${API_KEY}
      - PLAIN=${PLAIN}
    volumes: ["data:/data"]
    init: true
volumes:
  data:
)";
}

ComposeFile ParseSecret(const std::string& secret, const std::string& plain) {
  ParseOptions o;
  o.env = {{"API_KEY", secret}, {"PLAIN", plain}};
  o.allowed_env_names = {"API_KEY", "PLAIN"};
  o.secret_env_names = {"API_KEY"};
  auto f = ParseComposeFile(SecretCompose(), o);
  TEECLOUD_CHECK(f.has_value());
  return *f;
}

TEST(ComposeSecretsIntegrationTest, SecretReachesTheAppButNeverTheEngine) {
  REQUIRE_DOCKERD();
  // Outside the daemon's directory, which is searched for the value below.
  const std::string outside = teecloud::testing::MakeTempDir();
  crypto::SystemRandom rng;
  const std::string secret = "TEECLOUD-SECRET-" + ToHex(rng.RandomBytes(12));
  const std::string plain = "TEECLOUD-PLAIN-" + ToHex(rng.RandomBytes(12));
  auto project = ComposeProject::Open(&Engine(), "tcsecret");
  ASSERT_TRUE(project.has_value());
  UpOptions up;
  up.volume_root_dir = outside + "/volumes";
  up.secret_dir = outside + "/secrets";
  up.envexec_path = EnvexecBinary();
  up.stop_timeout_seconds = 2;
  ASSERT_TRUE(project->Up(ParseSecret(secret, plain), up)) << "Up failed";
  const std::string seen = outside + "/volumes/data/seen.txt";
  ASSERT_TRUE(WaitFor(15, [&] { return ReadOr(seen) == secret + "\n"; }))
      << "the app did not see its secret: '" << ReadOr(seen)
      << "' logs: " << ServiceLogs(*project, "app");

  // The engine's configuration has the plain variable only, and runs envexec first.
  auto ps = project->Ps();
  ASSERT_TRUE(ps.has_value());
  ASSERT_EQ(ps->size(), 1u);
  const std::string id = (*ps)[0].container_id;
  auto info = Engine().InspectContainer(id);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_THAT(info->env, ::testing::Contains("PLAIN=" + plain));
  for (const auto& e : info->env) {
    EXPECT_EQ(e.find(secret), std::string::npos) << e;
    EXPECT_NE(e.rfind("API_KEY=", 0), 0u) << e;
  }
  ASSERT_GE(info->entrypoint.size(), 4u);
  EXPECT_EQ(info->entrypoint[0], kContainerEnvexecPath);
  EXPECT_EQ(info->entrypoint[1], kContainerSecretEnvPath);
  EXPECT_EQ(info->entrypoint[2], "--");
  EXPECT_EQ(info->entrypoint[3], "sh");
  EXPECT_TRUE(info->cmd.empty());
  for (const auto& [k, v] : info->labels) EXPECT_EQ(v.find(secret), std::string::npos) << k;

  // The secret file: 0600, exactly the secret entries; the HMAC key beside it.
  const std::string env_file = up.secret_dir + "/app.env";
  struct stat st {};
  ASSERT_EQ(::stat(env_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(ReadOr(env_file), "API_KEY=" + secret + std::string(1, '\0'));
  ASSERT_EQ(::stat((up.secret_dir + "/" + kSecretHmacKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  ASSERT_EQ(::stat(up.secret_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);

  // Nowhere in the daemon's directory (data root, exec root with the running container's
  // OCI spec, its log), while the plain value is (so the search does find things). The
  // engine mounts the in-use volume below data/volumes; that is the volume's data, skipped.
  const std::string daemon_dir = g_dockerd->dir();
  EXPECT_THAT(FilesContaining(daemon_dir, secret, {daemon_dir + "/data/volumes"}),
              ::testing::IsEmpty());
  EXPECT_THAT(FilesContaining(daemon_dir, plain, {daemon_dir + "/data/volumes"}),
              ::testing::Not(::testing::IsEmpty()));

  // Up again with the same values keeps the container (the HMAC key is stable).
  ASSERT_TRUE(project->Up(ParseSecret(secret, plain), up));
  auto same = project->Ps();
  ASSERT_TRUE(same.has_value());
  ASSERT_EQ(same->size(), 1u);
  EXPECT_EQ((*same)[0].container_id, id);

  // A new secret value recreates the service, and the app sees the new value.
  const std::string rotated = "TEECLOUD-ROTATED-" + ToHex(rng.RandomBytes(12));
  ASSERT_TRUE(project->Up(ParseSecret(rotated, plain), up));
  auto changed = project->Ps();
  ASSERT_TRUE(changed.has_value());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_NE((*changed)[0].container_id, id);
  ASSERT_TRUE(WaitFor(15, [&] { return ReadOr(seen) == rotated + "\n"; }))
      << "the app did not see the new secret: '" << ReadOr(seen) << "'";
  EXPECT_EQ(ReadOr(env_file), "API_KEY=" + rotated + std::string(1, '\0'));
  EXPECT_THAT(FilesContaining(daemon_dir, rotated, {daemon_dir + "/data/volumes"}),
              ::testing::IsEmpty());

  // Down deletes the secret file; Purge the rest.
  DownOptions down;
  down.stop_timeout_seconds = 2;
  down.secret_dir = up.secret_dir;
  ASSERT_TRUE(project->Down(down));
  EXPECT_FALSE(fs::exists(env_file));
  ExpectNothingLeft("tcsecret", /*volumes_too=*/false);
  PurgeOptions purge;
  purge.volume_root_dir = up.volume_root_dir;
  purge.secret_dir = up.secret_dir;
  purge.stop_timeout_seconds = 2;
  ASSERT_TRUE(project->Purge(purge));
  ExpectNothingLeft("tcsecret", /*volumes_too=*/true);
  fs::remove_all(outside);
}

TEST(ComposeSecretsIntegrationTest, SecretsWithoutSecretDirChangeNothing) {
  REQUIRE_DOCKERD();
  const std::string outside = teecloud::testing::MakeTempDir();
  auto project = ComposeProject::Open(&Engine(), "tcnosecretdir");
  ASSERT_TRUE(project.has_value());
  UpOptions up;
  up.volume_root_dir = outside + "/volumes";
  up.envexec_path = EnvexecBinary();
  auto st = project->Up(ParseSecret("TEECLOUD-UNUSED-SECRET", "plain"), up);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
  EXPECT_THAT(st.error().message, HasSubstr("secret_dir"));
  EXPECT_THAT(st.error().message, ::testing::Not(HasSubstr("TEECLOUD-UNUSED-SECRET")));
  ExpectNothingLeft("tcnosecretdir", /*volumes_too=*/true);
  EXPECT_FALSE(fs::exists(outside + "/volumes"));
  fs::remove_all(outside);
}

TEST(ComposeSecretsIntegrationTest, PortMapPublishesMappedPortsOnly) {
  REQUIRE_DOCKERD();
  auto project = ComposeProject::Open(&Engine(), "tcportmap");
  ASSERT_TRUE(project.has_value());
  auto f = ParseComposeFile(R"(
services:
  web:
    image: teecloud/busybox:local
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    ports: ["8080:80", "9090:90", "91"]
    init: true
)");
  ASSERT_TRUE(f.has_value()) << f.error().ToString();
  const uint16_t mapped = FreeLoopbackPort();
  UpOptions up;
  up.port_map = std::map<std::pair<uint16_t, std::string>, uint16_t>{
      {{8080, "tcp"}, mapped}, {{9090, "udp"}, FreeLoopbackPort()}};
  up.stop_timeout_seconds = 2;

  // A mapped port that something holds: found by the probe, nothing created.
  {
    const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(mapped);
    ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(holder, 1), 0);
    auto st = project->Up(*f, up);
    ::close(holder);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Code::kFailedPrecondition);
    EXPECT_THAT(st.error().message, HasSubstr("127.0.0.1:" + std::to_string(mapped) + "/tcp"));
    ExpectNothingLeft("tcportmap", true);
  }

  ASSERT_TRUE(project->Up(*f, up));
  std::string body;
  ASSERT_TRUE(WaitFor(15, [&] { return !(body = HttpGet(mapped)).empty(); }))
      << "no HTTP answer on the mapped port 127.0.0.1:" << mapped;
  EXPECT_THAT(body, HasSubstr("hello from teecloud"));
  auto ps = project->Ps();
  ASSERT_TRUE(ps.has_value());
  ASSERT_EQ(ps->size(), 1u);
  auto info = Engine().InspectContainer((*ps)[0].container_id);
  ASSERT_TRUE(info.has_value());
  std::vector<std::string> published;
  for (const auto& p : info->ports) {
    if (p.host_port != 0) {
      published.push_back(p.host_ip + ":" + std::to_string(p.host_port) + "->" +
                          std::to_string(p.container_port) + "/" + p.protocol);
    }
  }
  // 9090 is mapped for udp only, 91 has no host port: neither is published.
  EXPECT_THAT(published,
              ::testing::ElementsAre("127.0.0.1:" + std::to_string(mapped) + "->80/tcp"));

  DownOptions down;
  down.stop_timeout_seconds = 2;
  ASSERT_TRUE(project->Down(down));
  ASSERT_TRUE(project->Purge(PurgeOptions{}));
  ExpectNothingLeft("tcportmap", true);
}

}  // namespace
}  // namespace teecloud::compose
