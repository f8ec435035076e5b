#include "compose/compose_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace teecloud::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ComposeFile MustParse(std::string_view yaml, const ParseOptions& options = {}) {
  auto r = ParseComposeFile(yaml, options);
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().ToString());
  return r.has_value() ? *r : ComposeFile{};
}

Error MustFail(std::string_view yaml, const ParseOptions& options = {}) {
  auto r = ParseComposeFile(yaml, options);
  EXPECT_FALSE(r.has_value()) << "parsed unexpectedly";
  return r.has_value() ? Error{} : r.error();
}

bool HasWarning(const ComposeFile& f, std::string_view needle) {
  return std::any_of(f.warnings.begin(), f.warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

TEST(ComposeFileTest, MinimalV3) {
  ComposeFile f = MustParse(R"(
version: "3.8"
services:
  web:
    image: teecloud/busybox:local
)");
  EXPECT_EQ(f.version, "3.8");
  ASSERT_EQ(f.services.size(), 1u);
  const ServiceSpec& web = f.services.at("web");
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.image, "teecloud/busybox:local");
  EXPECT_FALSE(web.command.has_value());
  EXPECT_EQ(web.restart, "no");
  EXPECT_THAT(f.start_order, ElementsAre("web"));
  EXPECT_TRUE(f.warnings.empty());
}

TEST(ComposeFileTest, VersionOneHasServicesAtTopLevel) {
  ComposeFile f = MustParse(R"(
web:
  image: nginx
  links: [db]
db:
  image: postgres
x-note: ignored
)");
  EXPECT_EQ(f.version, "1");
  EXPECT_EQ(f.services.size(), 2u);
  EXPECT_TRUE(HasWarning(f, "services.web.links"));
}

TEST(ComposeFileTest, VersionTwo) {
  ComposeFile f = MustParse(R"(
version: '2'
services:
  app: {image: a}
)");
  EXPECT_EQ(f.version, "2");
  EXPECT_EQ(f.services.at("app").image, "a");
}

TEST(ComposeFileTest, CommandAndEntrypointForms) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    command: sh -c 'echo "hello world" > /tmp/x; cat /tmp/x'
    entrypoint: ["/bin/tini", "--"]
  b:
    image: x
    command: ["httpd", "-f", "-p", 80]
    entrypoint: ""
  c:
    image: x
    command: echo a\ b "c\"d" ''
)");
  EXPECT_THAT(*f.services.at("a").command,
              ElementsAre("sh", "-c", "echo \"hello world\" > /tmp/x; cat /tmp/x"));
  EXPECT_THAT(*f.services.at("a").entrypoint, ElementsAre("/bin/tini", "--"));
  EXPECT_THAT(*f.services.at("b").command, ElementsAre("httpd", "-f", "-p", "80"));
  EXPECT_THAT(*f.services.at("b").entrypoint, ElementsAre(""));
  EXPECT_THAT(*f.services.at("c").command, ElementsAre("echo", "a b", "c\"d", ""));
}

TEST(ComposeFileTest, SplitCommandLineErrors) {
  EXPECT_FALSE(SplitCommandLine("echo 'open").has_value());
  EXPECT_FALSE(SplitCommandLine("echo \"open").has_value());
  EXPECT_FALSE(SplitCommandLine("echo \\").has_value());
  EXPECT_THAT(*SplitCommandLine("  a   b\tc  "), ElementsAre("a", "b", "c"));
}

TEST(ComposeFileTest, EnvironmentMapAndList) {
  ParseOptions o;
  o.env = {{"PASSED", "from-agent"}, {"HIDDEN", "x"}};
  o.allowed_env_names = {"PASSED"};
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    environment:
      PLAIN: value
      NUMBER: 42
      BOOL: "true"
      EMPTY: ""
      PASSED:
      HIDDEN:
  b:
    image: x
    environment:
      - K=v=with=equals
      - PASSED
      - HIDDEN
      - NOVALUE=
)",
                            o);
  const auto& a = f.services.at("a").environment;
  EXPECT_EQ(a.at("PLAIN"), "value");
  EXPECT_EQ(a.at("NUMBER"), "42");
  EXPECT_EQ(a.at("BOOL"), "true");
  EXPECT_EQ(a.at("EMPTY"), "");
  EXPECT_EQ(a.at("PASSED"), "from-agent");
  EXPECT_FALSE(a.contains("HIDDEN"));  // present in env, but not allowed
  const auto& b = f.services.at("b").environment;
  EXPECT_EQ(b.at("K"), "v=with=equals");
  EXPECT_EQ(b.at("PASSED"), "from-agent");
  EXPECT_FALSE(b.contains("HIDDEN"));
  EXPECT_EQ(b.at("NOVALUE"), "");
  EXPECT_TRUE(HasWarning(f, "HIDDEN has no value"));
}

TEST(ComposeFileTest, EnvFileIsRefused) {
  Error e = MustFail(R"(
services:
  a:
    image: x
    env_file: .env
)");
  EXPECT_EQ(e.code, Code::kInvalidArgument);
  EXPECT_THAT(e.message, HasSubstr("services.a.env_file"));
  EXPECT_THAT(e.message, HasSubstr("secrets"));
}

TEST(ComposeFileTest, PortShortForms) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    ports:
      - "80"
      - "8080:80"
      - 127.0.0.1:9090:90
      - "5353:53/udp"
      - "0.0.0.0:7000-7001:7000-7001/tcp"
      - "[::1]:6060:60"
)");
  const auto& p = f.services.at("a").ports;
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(p[0], (PortSpec{"", 0, 80, "tcp"}));
  EXPECT_EQ(p[1], (PortSpec{"", 8080, 80, "tcp"}));
  EXPECT_EQ(p[2], (PortSpec{"127.0.0.1", 9090, 90, "tcp"}));
  EXPECT_EQ(p[3], (PortSpec{"", 5353, 53, "udp"}));
  EXPECT_EQ(p[4], (PortSpec{"0.0.0.0", 7000, 7000, "tcp"}));
  EXPECT_EQ(p[5], (PortSpec{"0.0.0.0", 7001, 7001, "tcp"}));
  EXPECT_EQ(p[6], (PortSpec{"::1", 6060, 60, "tcp"}));
}

TEST(ComposeFileTest, PortLongForm) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    ports:
      - target: 80
        published: 8080
        host_ip: 127.0.0.1
        protocol: tcp
        mode: host
      - target: 53
        protocol: udp
)");
  const auto& p = f.services.at("a").ports;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], (PortSpec{"127.0.0.1", 8080, 80, "tcp"}));
  EXPECT_EQ(p[1], (PortSpec{"", 0, 53, "udp"}));
}

TEST(ComposeFileTest, BadPorts) {
  for (const char* bad : {"\"0\"", "\"70000\"", "\"80:abc\"", "\"1-3:1-2\"", "\"80/icmp\"",
                          "\"x.y:80:80\"", "\"9-8:9-8\""}) {
    Error e = MustFail(std::string("services:\n  a:\n    image: x\n    ports: [") + bad + "]\n");
    EXPECT_THAT(e.message, HasSubstr("services.a.ports[0]")) << bad;
  }
  Error e = MustFail("services:\n  a:\n    image: x\n    ports:\n      - published: 80\n");
  EXPECT_THAT(e.message, HasSubstr("target"));
}

TEST(ComposeFileTest, DuplicateHostPortAcrossServices) {
  Error e = MustFail(R"(
services:
  a: {image: x, ports: ["8080:80"]}
  b: {image: x, ports: ["127.0.0.1:8080:81"]}
)");
  EXPECT_THAT(e.message, HasSubstr("8080/tcp"));
  // Different protocols or addresses do not clash.
  MustParse(R"(
services:
  a: {image: x, ports: ["127.0.0.1:8080:80"]}
  b: {image: x, ports: ["127.0.0.2:8080:81", "8080:80/udp"]}
)");
}

TEST(ComposeFileTest, VolumeForms) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    volumes:
      - data:/var/lib/data
      - data:/ro:ro
      - /scratch
      - /var/run/dstack.sock:/var/run/dstack.sock
      - type: volume
        source: data
        target: /long
        read_only: true
      - type: tmpfs
        target: /cache
      - type: volume
        target: /anon
    tmpfs: /run
volumes:
  data:
)");
  const auto& v = f.services.at("a").volumes;
  ASSERT_EQ(v.size(), 8u);
  // Keys are read in name order, so `tmpfs:` entries come before `volumes:` entries.
  EXPECT_EQ(v[0], (MountSpec{MountKind::kTmpfs, "", "/run", false}));
  EXPECT_EQ(v[1], (MountSpec{MountKind::kVolume, "data", "/var/lib/data", false}));
  EXPECT_EQ(v[2], (MountSpec{MountKind::kVolume, "data", "/ro", true}));
  EXPECT_EQ(v[3], (MountSpec{MountKind::kAnonymous, "", "/scratch", false}));
  EXPECT_EQ(v[4],
            (MountSpec{MountKind::kBind, "/var/run/dstack.sock", "/var/run/dstack.sock", false}));
  EXPECT_EQ(v[5], (MountSpec{MountKind::kVolume, "data", "/long", true}));
  EXPECT_EQ(v[6], (MountSpec{MountKind::kTmpfs, "", "/cache", false}));
  EXPECT_EQ(v[7], (MountSpec{MountKind::kAnonymous, "", "/anon", false}));
  EXPECT_TRUE(f.volumes.contains("data"));
}

TEST(ComposeFileTest, RelativeBindMountIsRefused) {
  for (const char* src : {"./html", "../x", "~/data"}) {
    Error e = MustFail(std::string("services:\n  a:\n    image: x\n    volumes: [\"") + src +
                       ":/www\"]\n");
    EXPECT_THAT(e.message, HasSubstr("bind mount")) << src;
    EXPECT_THAT(e.message, HasSubstr("named volume")) << src;
  }
  Error e = MustFail(R"(
services:
  a:
    image: x
    volumes:
      - type: bind
        source: ./site
        target: /www
)");
  EXPECT_THAT(e.message, HasSubstr("bind mount"));
}

TEST(ComposeFileTest, UndeclaredOrExternalVolume) {
  Error e = MustFail("services:\n  a:\n    image: x\n    volumes: [\"data:/d\"]\n");
  EXPECT_THAT(e.message, HasSubstr("'data' is not declared"));
  e = MustFail(R"(
services:
  a: {image: x, volumes: ["data:/d"]}
volumes:
  data:
    external: true
)");
  EXPECT_THAT(e.message, HasSubstr("external"));
  e = MustFail(
      "services:\n  a:\n    image: x\n    volumes: [\"data:relative\"]\nvolumes: {data: }\n");
  EXPECT_THAT(e.message, HasSubstr("absolute"));
  e = MustFail(
      "services:\n  a:\n    image: x\n    volumes: [\"data:/d:bogus\"]\nvolumes: {data: }\n");
  EXPECT_THAT(e.message, HasSubstr("bogus"));
}

TEST(ComposeFileTest, DependsOnListAndMapGiveStartOrder) {
  ComposeFile f = MustParse(R"(
services:
  web:
    image: x
    depends_on: [api, cache]
  api:
    image: x
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_started
  db: {image: x}
  cache: {image: x}
)");
  EXPECT_THAT(f.start_order, ElementsAre("cache", "db", "api", "web"));
  EXPECT_TRUE(HasWarning(f, "service_healthy"));
}

TEST(ComposeFileTest, DependencyCycleIsNamed) {
  Error e = MustFail(R"(
services:
  a: {image: x, depends_on: [b]}
  b: {image: x, depends_on: [c]}
  c: {image: x, depends_on: [a]}
  d: {image: x}
)");
  EXPECT_THAT(e.message, HasSubstr("cycle"));
  EXPECT_THAT(e.message, HasSubstr("a -> b -> c -> a"));
  e = MustFail("services:\n  a: {image: x, depends_on: [a]}\n");
  EXPECT_THAT(e.message, HasSubstr("a -> a"));
  e = MustFail("services:\n  a: {image: x, depends_on: [nope]}\n");
  EXPECT_THAT(e.message, HasSubstr("unknown service 'nope'"));
}

TEST(ComposeFileTest, RestartWorkingDirUserLabelsAndMore) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    restart: unless-stopped
    working_dir: /srv
    user: "1000:1000"
    hostname: alpha
    labels:
      com.example.team: infra
      empty:
    tty: true
    stdin_open: yes
    init: true
    stop_grace_period: 1m30s
    stop_signal: SIGINT
  b:
    image: x
    restart: "on-failure:3"
    labels: ["a=1", "b"]
  c:
    image: x
    restart: no
    user: 1000
)");
  const auto& a = f.services.at("a");
  EXPECT_EQ(a.restart, "unless-stopped");
  EXPECT_EQ(a.working_dir, "/srv");
  EXPECT_EQ(a.user, "1000:1000");
  EXPECT_EQ(a.hostname, "alpha");
  EXPECT_EQ(a.labels.at("com.example.team"), "infra");
  EXPECT_EQ(a.labels.at("empty"), "");
  EXPECT_TRUE(a.tty);
  EXPECT_TRUE(a.stdin_open);
  EXPECT_TRUE(a.init);
  EXPECT_EQ(a.stop_grace_period_seconds, 90);
  EXPECT_EQ(a.stop_signal, "SIGINT");
  EXPECT_EQ(f.services.at("b").restart, "on-failure:3");
  EXPECT_EQ(f.services.at("b").labels.at("a"), "1");
  EXPECT_EQ(f.services.at("b").labels.at("b"), "");
  EXPECT_EQ(f.services.at("c").restart, "no");
  EXPECT_EQ(f.services.at("c").user, "1000");

  Error e = MustFail("services:\n  a: {image: x, restart: sometimes}\n");
  EXPECT_THAT(e.message, HasSubstr("services.a.restart"));
  e = MustFail("services:\n  a: {image: x, stop_grace_period: 10 parsecs}\n");
  EXPECT_THAT(e.message, HasSubstr("stop_grace_period"));
}

TEST(ComposeFileTest, NetworksOnlyDefault) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    networks: [default]
  b:
    image: x
    networks:
      default:
        aliases: [bee]
networks:
  default:
)");
  EXPECT_TRUE(HasWarning(f, "services.b.networks.default"));
  Error e = MustFail("services:\n  a: {image: x, networks: [backend]}\n");
  EXPECT_THAT(e.message, HasSubstr("network 'backend' is not supported"));
  e = MustFail("services:\n  a: {image: x}\nnetworks:\n  backend: {}\n");
  EXPECT_THAT(e.message, HasSubstr("networks.backend"));
  e = MustFail("services:\n  a: {image: x, network_mode: host}\n");
  EXPECT_THAT(e.message, HasSubstr("network_mode"));
}

TEST(ComposeFileTest, IgnoredAndUnknownKeysAreWarned) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    healthcheck:
      test: ["CMD", "true"]
    deploy:
      replicas: 2
    container_name: fixed
    privileged: true
    frobnicate: 3
    x-custom: fine
whatever: 1
name: myproj
)");
  EXPECT_TRUE(HasWarning(f, "services.a.healthcheck: healthchecks are not run"));
  EXPECT_TRUE(HasWarning(f, "services.a.deploy"));
  EXPECT_TRUE(HasWarning(f, "services.a.container_name"));
  EXPECT_TRUE(HasWarning(f, "services.a.privileged"));
  EXPECT_TRUE(HasWarning(f, "services.a.frobnicate: unknown key"));
  EXPECT_TRUE(HasWarning(f, "whatever: unknown top-level key"));
  EXPECT_TRUE(HasWarning(f, "name: ignored"));
  EXPECT_FALSE(HasWarning(f, "x-custom"));
}

TEST(ComposeFileTest, RefusedKeys) {
  EXPECT_THAT(MustFail("services:\n  a: {image: x, secrets: [s]}\n").message,
              HasSubstr("services.a.secrets"));
  EXPECT_THAT(MustFail("services:\n  a: {image: x}\nsecrets: {s: {file: ./s}}\n").message,
              HasSubstr("secrets"));
  EXPECT_THAT(MustFail("services:\n  a: {image: x, extends: {service: b}}\n").message,
              HasSubstr("extends"));
  EXPECT_THAT(MustFail("services:\n  a: {image: x, volumes_from: [b]}\n").message,
              HasSubstr("volumes_from"));
}

TEST(ComposeFileTest, BuildOnlyServiceKeepsContext) {
  ComposeFile f = MustParse(R"(
services:
  a:
    build: ./app
  b:
    build:
      context: ./b
      dockerfile: Dockerfile.prod
    image: mine/b:1
)");
  EXPECT_EQ(f.services.at("a").image, "");
  EXPECT_EQ(*f.services.at("a").build_context, "./app");
  EXPECT_EQ(*f.services.at("b").build_context, "./b");
  EXPECT_EQ(f.services.at("b").image, "mine/b:1");
  EXPECT_THAT(MustFail("services:\n  a: {command: ls}\n").message, HasSubstr("needs an image"));
}

TEST(ComposeFileTest, InterpolationForms) {
  ParseOptions o;
  o.env = {{"SET", "value"}, {"EMPTY", ""}, {"SECRET", "s3cret"}};
  o.allowed_env_names = {"SET", "EMPTY"};
  std::vector<std::string> w;
  const auto I = [&](std::string_view s) {
    auto r = Interpolate(s, o, w);
    EXPECT_TRUE(r.has_value()) << s << ": " << (r.has_value() ? "" : r.error().message);
    return r.value_or("<error>");
  };
  EXPECT_EQ(I("${SET}"), "value");
  EXPECT_EQ(I("$SET/x"), "value/x");
  EXPECT_EQ(I("a${SET}b"), "avalueb");
  EXPECT_EQ(I("${UNSET:-dflt}"), "dflt");
  EXPECT_EQ(I("${EMPTY:-dflt}"), "dflt");
  EXPECT_EQ(I("${EMPTY-dflt}"), "");
  EXPECT_EQ(I("${UNSET-dflt}"), "dflt");
  EXPECT_EQ(I("${SET:+alt}"), "alt");
  EXPECT_EQ(I("${UNSET:+alt}"), "");
  EXPECT_EQ(I("${UNSET:-${SET}}"), "value");
  EXPECT_EQ(I("$$SET and $${SET}"), "$SET and ${SET}");
  EXPECT_EQ(I("${SECRET:-not-allowed}"), "not-allowed");  // set, but not an allowed name
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(I("${UNSET}"), "");
  EXPECT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("UNSET is not set"));

  auto bad = Interpolate("${SET:?must be set}", o, w);
  EXPECT_TRUE(bad.has_value());
  bad = Interpolate("${UNSET:?must be set}", o, w);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message, HasSubstr("must be set"));
  EXPECT_FALSE(Interpolate("${", o, w).has_value());
  EXPECT_FALSE(Interpolate("${1X}", o, w).has_value());
  EXPECT_FALSE(Interpolate("cost: 5$", o, w).has_value());
  EXPECT_FALSE(Interpolate("${SET:~x}", o, w).has_value());
}

TEST(ComposeFileTest, InterpolationInFile) {
  ParseOptions o;
  o.env = {{"TAG", "1.2"}, {"PORT", "8081"}, {"API_KEY", "k-123"}};
  o.allowed_env_names = {"TAG", "PORT", "API_KEY"};
  ComposeFile f = MustParse(R"(
services:
  app:
    image: "example/app:${TAG}"
    ports: ["${PORT:-8080}:80"]
    environment:
      API_KEY: ${API_KEY}
      LITERAL: "$$HOME"
    command: echo ${MISSING:-none}
)",
                            o);
  const auto& a = f.services.at("app");
  EXPECT_EQ(a.image, "example/app:1.2");
  EXPECT_EQ(a.ports[0].host_port, 8081);
  EXPECT_EQ(a.environment.at("API_KEY"), "k-123");
  EXPECT_EQ(a.environment.at("LITERAL"), "$HOME");
  EXPECT_THAT(*a.command, ElementsAre("echo", "none"));

  Error e = MustFail("services:\n  a: {image: \"x:${T:?tag required}\"}\n");
  EXPECT_THAT(e.message, HasSubstr("services.a.image"));
  EXPECT_THAT(e.message, HasSubstr("tag required"));
}

TEST(ComposeFileTest, MergeKeysAndAnchors) {
  ComposeFile f = MustParse(R"(
x-common: &common
  image: base
  restart: always
  environment:
    A: "1"
services:
  one:
    <<: *common
  two:
    <<: *common
    image: other
)");
  EXPECT_EQ(f.services.at("one").image, "base");
  EXPECT_EQ(f.services.at("one").restart, "always");
  EXPECT_EQ(f.services.at("one").environment.at("A"), "1");
  EXPECT_EQ(f.services.at("two").image, "other");
}

TEST(ComposeFileTest, MalformedYamlAndShapes) {
  Error e = MustFail("services:\n  a:\n    image: [unclosed\n");
  EXPECT_EQ(e.code, Code::kInvalidArgument);
  EXPECT_THAT(e.message, HasSubstr("line"));
  EXPECT_THAT(MustFail("").message, HasSubstr("mapping"));
  EXPECT_THAT(MustFail("- a\n- b\n").message, HasSubstr("mapping"));
  EXPECT_THAT(MustFail("version: '3'\n").message, HasSubstr("no services"));
  EXPECT_THAT(MustFail("services: {}\n").message, HasSubstr("at least one service"));
  EXPECT_THAT(MustFail("services:\n  a: just-a-string\n").message, HasSubstr("services.a"));
  EXPECT_THAT(MustFail("services:\n  a: {image: [x]}\n").message,
              HasSubstr("services.a.image: expected a string"));
  EXPECT_THAT(MustFail("services:\n  a: {image: x, ports: \"80\"}\n").message,
              HasSubstr("services.a.ports: expected a list"));
  EXPECT_THAT(MustFail("services:\n  Bad Name: {image: x}\n").message,
              HasSubstr("invalid service name"));
  EXPECT_THAT(MustFail("services:\n  a: {image: x, tty: maybe}\n").message,
              HasSubstr("services.a.tty"));
  EXPECT_THAT(MustFail("services:\n  a: {image: x}\n  a: {image: y}\n").message,
              HasSubstr("duplicate"));
  ParseOptions small;
  small.max_bytes = 10;
  EXPECT_THAT(MustFail("services:\n  a: {image: x}\n", small).message, HasSubstr("larger"));
}

}  // namespace
}  // namespace teecloud::compose
