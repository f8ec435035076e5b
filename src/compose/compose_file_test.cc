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

// ---------------------------------------------------------------------------------------------
// Secret variables (ParseOptions::secret_env_names).

constexpr char kSecretValue[] = "s3cr3t-VALUE-7f1c";
constexpr char kOtherSecretValue[] = "0ther=secret-VALUE-9a2e";  // contains '='

ParseOptions SecretOptions() {
  ParseOptions o;
  o.env = {{"API_KEY", kSecretValue},
           {"TOKEN", kOtherSecretValue},
           {"PLAIN", "plain-value"},
           {"UNLISTED", "u"}};
  o.allowed_env_names = {"API_KEY", "TOKEN", "PLAIN", "ABSENT_SECRET"};
  o.secret_env_names = {"API_KEY", "TOKEN", "ABSENT_SECRET", "UNLISTED"};
  return o;
}

// Every warning and error the parser produced for `yaml` (none may quote a secret's value).
std::vector<std::string> Messages(std::string_view yaml, const ParseOptions& o) {
  auto r = ParseComposeFile(yaml, o);
  if (!r.has_value()) return {r.error().ToString()};
  return r->warnings;
}

TEST(ComposeFileSecretsTest, EnvironmentEntriesThatUseSecretsAreListed) {
  ComposeFile f = MustParse(R"(
services:
  a:
    image: x
    environment:
      API_KEY: ${API_KEY}
      URL: "https://example.org/?key=$API_KEY&v=1"
      DEFAULTED: ${NOT_SET:-${TOKEN}}
      TOKEN:
      PLAIN_ONLY: ${PLAIN}
      ABSENT: ${ABSENT_SECRET:-fallback}
      LITERAL: "$${API_KEY}"
  b:
    image: x
    environment:
      - API_KEY
      - K=${TOKEN}
      - K2=prefix-${API_KEY:+is-set}
      - REPLACED=${API_KEY}
      - REPLACED=plain
      - PLAIN=$PLAIN
)",
                            SecretOptions());
  const ServiceSpec& a = f.services.at("a");
  EXPECT_THAT(a.secret_environment, ElementsAre("API_KEY", "DEFAULTED", "TOKEN", "URL"));
  EXPECT_EQ(a.environment.at("API_KEY"), kSecretValue);
  EXPECT_EQ(a.environment.at("URL"),
            std::string("https://example.org/?key=") + kSecretValue + "&v=1");
  EXPECT_EQ(a.environment.at("DEFAULTED"), kOtherSecretValue);
  EXPECT_EQ(a.environment.at("TOKEN"), kOtherSecretValue);
  EXPECT_EQ(a.environment.at("PLAIN_ONLY"), "plain-value");
  EXPECT_EQ(a.environment.at("ABSENT"), "fallback");  // a secret that is not set taints nothing
  EXPECT_EQ(a.environment.at("LITERAL"), "${API_KEY}");
  const ServiceSpec& b = f.services.at("b");
  EXPECT_THAT(b.secret_environment, ElementsAre("API_KEY", "K", "K2"));
  EXPECT_EQ(b.environment.at("K"), kOtherSecretValue);
  EXPECT_EQ(b.environment.at("K2"), "prefix-is-set");
  EXPECT_EQ(b.environment.at("REPLACED"), "plain");
  EXPECT_EQ(b.environment.at("PLAIN"), "plain-value");

  // Without secret names, the same file has no secret entries (behaviour as before).
  ParseOptions plain = SecretOptions();
  plain.secret_env_names.clear();
  ComposeFile g = MustParse(
      "services:\n  a: {image: x, command: \"echo ${API_KEY}\", "
      "environment: {K: \"${API_KEY}\"}}\n",
      plain);
  EXPECT_TRUE(g.services.at("a").secret_environment.empty());
  EXPECT_THAT(*g.services.at("a").command, ElementsAre("echo", kSecretValue));
}

TEST(ComposeFileSecretsTest, SecretsThroughAnchorsAndMergeKeys) {
  ComposeFile f = MustParse(R"(
x-env: &env
  API_KEY: ${API_KEY}
  SHARED: ${TOKEN}
x-base: &base
  image: x
  environment:
    FROM_BASE: ${API_KEY}
services:
  one:
    <<: *base
  two:
    image: x
    environment: *env
  three:
    image: x
    environment:
      <<: *env
      SHARED: overridden
  four:
    <<: *base
    environment:
      OWN: plain
)",
                            SecretOptions());
  EXPECT_THAT(f.services.at("one").secret_environment, ElementsAre("FROM_BASE"));
  EXPECT_THAT(f.services.at("two").secret_environment, ElementsAre("API_KEY", "SHARED"));
  EXPECT_THAT(f.services.at("three").secret_environment, ElementsAre("API_KEY"));
  EXPECT_EQ(f.services.at("three").environment.at("SHARED"), "overridden");
  EXPECT_TRUE(f.services.at("four").secret_environment.empty());
  EXPECT_FALSE(f.services.at("four").environment.contains("FROM_BASE"));
}

TEST(ComposeFileSecretsTest, SecretsOutsideEnvironmentValuesAreRefused) {
  const ParseOptions o = SecretOptions();
  struct Case {
    std::string yaml;
    std::string path;
    std::string variable;
  };
  const std::vector<Case> cases = {
      {"services:\n  a: {image: x, command: \"echo ${API_KEY}\"}\n", "services.a.command",
       "API_KEY"},
      {"services:\n  a: {image: x, command: [sh, -c, \"echo $TOKEN\"]}\n", "services.a.command[2]",
       "TOKEN"},
      {"services:\n  a: {image: x, entrypoint: \"${API_KEY}\"}\n", "services.a.entrypoint",
       "API_KEY"},
      {"services:\n  a: {image: \"x:${API_KEY}\"}\n", "services.a.image", "API_KEY"},
      {"services:\n  a: {image: x, labels: {k: \"${API_KEY}\"}}\n", "services.a.labels.k",
       "API_KEY"},
      {"services:\n  a: {image: x, labels: [\"k=${API_KEY}\"]}\n", "services.a.labels[0]",
       "API_KEY"},
      {"services:\n  a: {image: x, ports: [\"${API_KEY}:80\"]}\n", "services.a.ports[0]",
       "API_KEY"},
      {"services:\n  a: {image: x, volumes: [\"data:/${API_KEY}\"]}\nvolumes: {data: }\n",
       "services.a.volumes[0]", "API_KEY"},
      {"services:\n  a: {image: x, working_dir: \"/${API_KEY}\"}\n", "services.a.working_dir",
       "API_KEY"},
      {"services:\n  a: {image: x, user: \"${API_KEY}\"}\n", "services.a.user", "API_KEY"},
      {"services:\n  a: {image: x, hostname: \"${API_KEY}\"}\n", "services.a.hostname", "API_KEY"},
      {"services:\n  a: {image: x, healthcheck: {test: \"curl ${API_KEY}\"}}\n",
       "services.a.healthcheck.test", "API_KEY"},
      {"services:\n  a: {image: x, unknown_key: \"${API_KEY}\"}\n", "services.a.unknown_key",
       "API_KEY"},
      {"services:\n  a: {image: x, command: \"${API_KEY:+yes}\"}\n", "services.a.command",
       "API_KEY"},
      {"services:\n  a: {image: x, command: \"${UNSET_VAR:-${API_KEY}}\"}\n", "services.a.command",
       "API_KEY"},
      {"name: \"${API_KEY}\"\nservices:\n  a: {image: x}\n", "name", "API_KEY"},
      {"services:\n  a: {image: x}\nvolumes:\n  v: {driver: \"${API_KEY}\"}\n", "volumes.v.driver",
       "API_KEY"},
      {"a:\n  image: x\n  command: echo ${API_KEY}\n", "a.command", "API_KEY"},  // v1
      {"x-cmd: &cmd [echo, \"${API_KEY}\"]\nservices:\n  a: {image: x, command: *cmd}\n",
       "services.a.command[1]", "API_KEY"},
      {"x-b: &b {image: x, command: \"${TOKEN}\"}\nservices:\n  a: {<<: *b}\n",
       "services.a.command", "TOKEN"},
      // List-form environment: the secret must stay right of "KEY=".
      {"services:\n  a: {image: x, environment: [\"${API_KEY}=v\"]}\n", "services.a.environment[0]",
       "API_KEY"},
      {"services:\n  a: {image: x, environment: [\"${TOKEN}\"]}\n",  // its value has a '='
       "services.a.environment[0]", "TOKEN"},
      {"services:\n  a: {image: x, environment: {K: [\"${API_KEY}\"]}}\n",
       "services.a.environment.K[0]", "API_KEY"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    Error e = MustFail(c.yaml, o);
    EXPECT_EQ(e.code, Code::kInvalidArgument);
    EXPECT_THAT(e.message, HasSubstr(c.path + ": the secret variable " + c.variable));
    EXPECT_THAT(e.message, ::testing::Not(HasSubstr(kSecretValue)));
    EXPECT_THAT(e.message, ::testing::Not(HasSubstr(kOtherSecretValue)));
  }

  // Unused places are fine: extension fields, and a merged value that is overridden.
  MustParse("x-note: \"${API_KEY}\"\nservices:\n  a: {image: x, x-mine: \"${API_KEY}\"}\n", o);
  MustParse(
      "x-b: &b {image: x, command: \"${API_KEY}\"}\n"
      "services:\n  a: {<<: *b, command: plain}\n",
      o);
  // A name listed as secret but not allowed counts as unset, as before.
  ComposeFile f = MustParse("services:\n  a: {image: x, command: \"echo ${UNLISTED}\"}\n", o);
  EXPECT_THAT(*f.services.at("a").command, ElementsAre("echo"));
}

TEST(ComposeFileSecretsTest, NoWarningOrErrorQuotesASecretValue) {
  const ParseOptions o = SecretOptions();
  const std::vector<std::string> files = {
      // Successful parses with warnings of every kind.
      "services:\n  a:\n    image: x\n    environment: {K: \"${API_KEY}\", MISSING: }\n"
      "    healthcheck: {test: none}\n    bogus: 1\n    depends_on: {b: {condition: "
      "service_healthy}}\n  b: {image: x, environment: [\"T=${TOKEN}\", NOPE]}\n"
      "networks: {default: {driver: x}}\nname: n\nwhatever: 1\n",
      "services:\n  a: {image: x, environment: {K: \"${API_KEY}${UNSET_ONE}\"}}\n",
      // Errors of every kind near secrets.
      "services:\n  a: {image: x, command: \"echo ${API_KEY}\"}\n",
      "services:\n  a: {image: x, ports: [\"${API_KEY}\"]}\n",
      "services:\n  a: {image: x, volumes: [\"./${API_KEY}:/x\"]}\n",
      "services:\n  a: {image: x, restart: \"${TOKEN}\"}\n",
      "services:\n  a: {image: x, environment: [\"${TOKEN}\"]}\n",
      "services:\n  a: {image: x, environment: {K: \"${API_KEY}\"}, env_file: .env}\n",
      "services:\n  a: {image: x, environment: {K: \"${API_KEY:?gone}\"}, secrets: [s]}\n",
      "services:\n  a: {image: x, environment: {K: \"${API_KEY}\"}, tty: maybe}\n",
      "services:\n  a: {image: x, environment: {K: \"${API_KEY\"}}\n",
      "services:\n  a: {image: x, environment: {K: \"${API_KEY}\", K2: [\"${TOKEN}\"]}}\n",
      "services:\n  a: {image: x, environment: {K: \"${API_KEY}\"}, depends_on: [nope]}\n",
      "services:\n  \"${API_KEY}\": {image: x}\n",
      "${API_KEY}: {image: x}\n",
  };
  size_t messages = 0;
  for (const auto& yaml : files) {
    for (const auto& m : Messages(yaml, o)) {
      ++messages;
      EXPECT_EQ(m.find(kSecretValue), std::string::npos) << m;
      EXPECT_EQ(m.find(kOtherSecretValue), std::string::npos) << m;
      EXPECT_EQ(m.find("0ther=secret"), std::string::npos) << m;
    }
  }
  EXPECT_GT(messages, files.size());
}

}  // namespace
}  // namespace teecloud::compose
