#include "manifest/manifest.h"

#include <gtest/gtest.h>

#include <string>

#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"

namespace teecloud::manifest {
namespace {

constexpr char kCompose[] =
    "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"8080:80\"\n";

std::string TestData(const std::string& name) {
  auto text = ReadTextFile(std::string(TEECLOUD_MANIFEST_TESTDATA) + "/" + name);
  EXPECT_TRUE(text.has_value()) << name;
  return text ? *text : std::string();
}

Manifest Golden() {
  Manifest m;
  m.name = "hello";
  m.version = 3;
  m.docker_compose_file = kCompose;
  m.allowed_envs = {"API_KEY", "DB_URL"};
  m.ports = {{443, PortProtocol::kTcp}, {8080, PortProtocol::kHttp}};
  m.key_provider = KeyProvider::kKms;
  m.gateway = true;
  m.public_logs = false;
  return m;
}

Json GoldenJson() { return ManifestToJson(Golden()); }

// ParseManifest(json) fails and its message contains `needle`.
void ExpectRejectedText(const std::string& json, const std::string& needle) {
  auto m = ParseManifest(json);
  ASSERT_FALSE(m.has_value()) << json;
  EXPECT_EQ(m.error().code, Code::kInvalidArgument);
  EXPECT_NE(m.error().message.find(needle), std::string::npos)
      << "message: " << m.error().message << "\nexpected to contain: " << needle;
}

void ExpectRejected(const Json& j, const std::string& needle) {
  ExpectRejectedText(DumpJson(j), needle);
}

// --- Canonical form and hash --------------------------------------------------------------

// Expected values computed independently with Python 3 (content is ASCII-only, all numbers
// are small integers, so Python's sorted compact JSON coincides with RFC 8785):
//   import json, hashlib
//   m = {"manifest_version": 1, "name": "hello", "version": 3, "runner": "docker-compose",
//        "docker_compose_file": "services:\n  web:\n    image: nginx:1.27\n    ports:\n"
//                               "      - \"8080:80\"\n",
//        "allowed_envs": ["API_KEY", "DB_URL"],
//        "ports": [{"port": 443, "protocol": "tcp"}, {"port": 8080, "protocol": "http"}],
//        "key_provider": "kms", "gateway": True, "public_logs": False}
//   s = json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
//   hashlib.sha256(s.encode()).hexdigest()
TEST(ManifestHash, GoldenMatchesIndependentComputation) {
  const Manifest m = Golden();
  EXPECT_EQ(CanonicalManifestJson(m),
            R"({"allowed_envs":["API_KEY","DB_URL"],"docker_compose_file":"services:\n  web:\n)"
            R"(    image: nginx:1.27\n    ports:\n      - \"8080:80\"\n","gateway":true,)"
            R"("key_provider":"kms","manifest_version":1,"name":"hello","ports":[{"port":443,)"
            R"("protocol":"tcp"},{"port":8080,"protocol":"http"}],"public_logs":false,)"
            R"("runner":"docker-compose","version":3})");
  EXPECT_EQ(ManifestHashHex(m), "9cb9a717b3d57ed01151b5165184d4df49f20bfe82bf096c5caf4037f64a1b21");
  const AppId id = PolicyModeAppId(m);
  EXPECT_EQ(ToHex(ByteView(id.data(), id.size())), "9cb9a717b3d57ed01151b5165184d4df49f20bfe");
  const crypto::Digest256 h = ManifestHash(m);
  EXPECT_EQ(PolicyModeAppId(h), id);
}

// Same computation as above over testdata/unicode.yml read as UTF-8 (Python's
// ensure_ascii=False writes non-ASCII characters raw, as RFC 8785 does), with name
// "unicode-app", version 1, no envs, ports [{80, http}], key_provider "local", gateway false,
// public_logs true.
TEST(ManifestHash, UnicodeComposeGolden) {
  Manifest m;
  m.name = "unicode-app";
  m.docker_compose_file = TestData("unicode.yml");
  m.ports = {{80, PortProtocol::kHttp}};
  m.key_provider = KeyProvider::kLocal;
  m.public_logs = true;
  ASSERT_TRUE(ValidateManifest(m).has_value());
  EXPECT_EQ(ManifestHashHex(m), "7e53636a1ac682b4a05fd545f2d95ea70217d1819f6d8b4ef8985d2eaef73a5d");
}

TEST(ManifestHash, EveryFieldChangesTheHash) {
  const std::string base = ManifestHashHex(Golden());
  auto differs = [&](auto mutate) {
    Manifest m = Golden();
    mutate(m);
    ASSERT_TRUE(ValidateManifest(m).has_value());
    EXPECT_NE(ManifestHashHex(m), base);
  };
  differs([](Manifest& m) { m.name = "hellp"; });
  differs([](Manifest& m) { m.version = 4; });
  differs([](Manifest& m) { m.docker_compose_file += "# comment\n"; });
  differs([](Manifest& m) { m.allowed_envs.pop_back(); });
  differs([](Manifest& m) { m.ports[0].protocol = PortProtocol::kHttp; });
  differs([](Manifest& m) { m.key_provider = KeyProvider::kLocal; });
  differs([](Manifest& m) { m.gateway = false; });
  differs([](Manifest& m) { m.public_logs = true; });
}

// --- Parse / round trip ---------------------------------------------------------------------

TEST(ParseManifest, RoundTripsCanonicalForm) {
  const Manifest m = Golden();
  const std::string canonical = CanonicalManifestJson(m);
  auto parsed = ParseManifest(canonical);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, m);
  EXPECT_EQ(CanonicalManifestJson(*parsed), canonical);
}

TEST(ParseManifest, AcceptsAnyMemberOrderAndWhitespace) {
  const std::string text = R"(
    { "public_logs": false, "gateway": true, "key_provider": "kms",
      "ports": [ {"protocol": "tcp", "port": 443}, {"port": 8080, "protocol": "http"} ],
      "allowed_envs": ["API_KEY", "DB_URL"],
      "docker_compose_file": "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"8080:80\"\n",
      "runner": "docker-compose", "version": 3, "name": "hello", "manifest_version": 1 }
  )";
  auto parsed = ParseManifest(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(*parsed, Golden());
  EXPECT_EQ(ManifestHashHex(*parsed), ManifestHashHex(Golden()));
}

TEST(ParseManifest, ArrayOrderIsKeptAsWritten) {
  Json j = GoldenJson();
  j["allowed_envs"] = Json::array({"DB_URL", "API_KEY"});
  auto parsed = ParseManifest(DumpJson(j));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->allowed_envs, (std::vector<std::string>{"DB_URL", "API_KEY"}));
  EXPECT_NE(ManifestHashHex(*parsed), ManifestHashHex(Golden()));
}

TEST(ParseManifest, EscapedUnicodeIsCanonicalizedRaw) {
  Json j = GoldenJson();
  const std::string compose = TestData("unicode.yml");
  j["docker_compose_file"] = compose;
  // Written with \uXXXX escapes only (ensure_ascii), the canonical form has the raw UTF-8.
  const std::string escaped = j.dump(-1, ' ', /*ensure_ascii=*/true);
  ASSERT_EQ(escaped.find("\xe2\x98\x95"), std::string::npos);
  auto parsed = ParseManifest(escaped);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->docker_compose_file, compose);
  EXPECT_NE(CanonicalManifestJson(*parsed).find("caf\xc3\xa9 \xe2\x98\x95"), std::string::npos);
}

TEST(ParseManifest, KeyProvidersAndProtocols) {
  for (const char* kp : {"kms", "local"}) {
    Json j = GoldenJson();
    j["key_provider"] = kp;
    auto m = ParseManifest(DumpJson(j));
    ASSERT_TRUE(m.has_value()) << m.error().message;
    EXPECT_EQ(KeyProviderName(m->key_provider), kp);
  }
  Json j = GoldenJson();
  j["key_provider"] = "none";
  j["allowed_envs"] = Json::array();
  j["ports"] = Json::array();
  auto m = ParseManifest(DumpJson(j));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->key_provider, KeyProvider::kNone);
  EXPECT_TRUE(m->ports.empty());
}

TEST(ParseManifest, VersionBounds) {
  Json j = GoldenJson();
  j["version"] = kMaxAppVersion;
  auto m = ParseManifest(DumpJson(j));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->version, kMaxAppVersion);
  j["version"] = kMaxAppVersion + 1;
  ExpectRejected(j, "manifest.version");
}

// --- Rejections -------------------------------------------------------------------------------

TEST(ParseManifestRejects, NotJsonOrNotObject) {
  ExpectRejectedText("", "manifest: json");
  ExpectRejectedText("{", "manifest: json");
  ExpectRejectedText("[]", "expected a JSON object");
  ExpectRejectedText("\"x\"", "expected a JSON object");
  ExpectRejectedText(DumpJson(GoldenJson()) + " {}", "manifest: json");
}

TEST(ParseManifestRejects, TooLarge) {
  ExpectRejectedText(std::string(kMaxManifestBytes + 1, ' '), "larger than 1048576 bytes");
}

TEST(ParseManifestRejects, TooDeep) { ExpectRejectedText("[[[[[[]]]]]]", "nesting deeper"); }

TEST(ParseManifestRejects, UnknownField) {
  Json j = GoldenJson();
  j["extra"] = 1;
  ExpectRejected(j, "unknown field \"extra\"");
  Json k = GoldenJson();
  k["ports"][0]["host"] = "0.0.0.0";
  ExpectRejected(k, "manifest.ports[0]: unknown field \"host\"");
}

TEST(ParseManifestRejects, MissingField) {
  for (const char* field : {"manifest_version", "name", "version", "runner", "docker_compose_file",
                            "allowed_envs", "ports", "key_provider", "gateway", "public_logs"}) {
    Json j = GoldenJson();
    j.erase(field);
    ExpectRejected(j, std::string("manifest.") + field + ": missing");
  }
  Json j = GoldenJson();
  j["ports"][1].erase("protocol");
  ExpectRejected(j, "manifest.ports[1].protocol: missing");
}

TEST(ParseManifestRejects, WrongTypes) {
  auto with = [](const char* field, Json v) {
    Json j = GoldenJson();
    j[field] = std::move(v);
    return j;
  };
  ExpectRejected(with("manifest_version", "1"), "manifest.manifest_version: expected an integer");
  ExpectRejected(with("manifest_version", 1.0), "manifest.manifest_version: expected an integer");
  ExpectRejected(with("name", 5), "manifest.name: expected a string");
  ExpectRejected(with("version", "3"), "manifest.version: expected an integer");
  ExpectRejected(with("version", 3.5), "manifest.version: expected an integer");
  ExpectRejected(with("runner", nullptr), "manifest.runner: expected a string");
  ExpectRejected(with("docker_compose_file", Json::object()),
                 "manifest.docker_compose_file: expected a string");
  ExpectRejected(with("allowed_envs", "API_KEY"), "manifest.allowed_envs: expected an array");
  ExpectRejected(with("allowed_envs", Json::array({1})),
                 "manifest.allowed_envs[0]: expected a string");
  ExpectRejected(with("ports", Json::object()), "manifest.ports: expected an array");
  ExpectRejected(with("ports", Json::array({80})), "manifest.ports[0]: expected an object");
  ExpectRejected(with("ports", Json::array({{{"port", "80"}, {"protocol", "http"}}})),
                 "manifest.ports[0].port: expected an integer");
  ExpectRejected(with("ports", Json::array({{{"port", 80}, {"protocol", 1}}})),
                 "manifest.ports[0].protocol: expected a string");
  ExpectRejected(with("key_provider", true), "manifest.key_provider: expected a string");
  ExpectRejected(with("gateway", 1), "manifest.gateway: expected a boolean");
  ExpectRejected(with("public_logs", "false"), "manifest.public_logs: expected a boolean");
}

TEST(ParseManifestRejects, DuplicateKeys) {
  std::string text = DumpJson(GoldenJson());
  ExpectRejectedText("{\"name\":\"a\"," + text.substr(1), "manifest: duplicate key \"name\"");
  // Inside a port object.
  Json j = GoldenJson();
  std::string ports = DumpJson(j["ports"]);
  j.erase("ports");
  text = DumpJson(j);
  const std::string dup_port =
      R"("ports":[{"port":443,"protocol":"tcp"},{"port":8080,"protocol":"http","port":80}],)";
  ExpectRejectedText("{" + dup_port + text.substr(1), "manifest.ports[1]: duplicate key \"port\"");
}

TEST(ParseManifestRejects, ManifestVersion) {
  for (int v : {0, 2, -1}) {
    Json j = GoldenJson();
    j["manifest_version"] = v;
    ExpectRejected(j, "manifest.manifest_version: unsupported version " + std::to_string(v));
  }
}

TEST(ParseManifestRejects, BadNames) {
  for (const std::string& bad :
       std::vector<std::string>{"", "Hello", "-hello", "hello_world", "hello.world", "h\xc3\xa9llo",
                                "a b", std::string(64, 'a')}) {
    Json j = GoldenJson();
    j["name"] = bad;
    ExpectRejected(j, "manifest.name: ");
    ExpectRejected(j, "is not a valid app name");
  }
  for (const std::string& good :
       std::vector<std::string>{"a", "0", "hello-world-2", "9lives", std::string(63, 'z')}) {
    Json j = GoldenJson();
    j["name"] = good;
    EXPECT_TRUE(ParseManifest(DumpJson(j)).has_value()) << good;
  }
}

TEST(ParseManifestRejects, Version) {
  for (int64_t v : {int64_t{0}, int64_t{-1}}) {
    Json j = GoldenJson();
    j["version"] = v;
    ExpectRejected(j, "manifest.version: must be a positive integer");
  }
  ExpectRejectedText(
      R"({"manifest_version":1,"name":"a","version":99999999999999999999,"runner":"docker-compose"})",
      "manifest.version");
}

TEST(ParseManifestRejects, Runner) {
  Json j = GoldenJson();
  j["runner"] = "kubernetes";
  ExpectRejected(j, "manifest.runner: must be \"docker-compose\"");
}

TEST(ParseManifestRejects, EnvNames) {
  for (const char* bad : {"", "1ABC", "A-B", "A B", "A=B", "\xc3\xa9"}) {
    Json j = GoldenJson();
    j["allowed_envs"] = Json::array({"OK", bad});
    ExpectRejected(j, "manifest.allowed_envs[1]: ");
    ExpectRejected(j, "is not a valid environment variable name");
  }
  Json j = GoldenJson();
  j["allowed_envs"] = Json::array({"_ok", "lower_case9", "A"});
  EXPECT_TRUE(ParseManifest(DumpJson(j)).has_value());
  j["allowed_envs"] = Json::array({"API_KEY", "X", "API_KEY"});
  ExpectRejected(j, "manifest.allowed_envs[2]: \"API_KEY\" appears twice");
}

TEST(ParseManifestRejects, Ports) {
  auto ports = [](Json p) {
    Json j = GoldenJson();
    j["ports"] = std::move(p);
    return j;
  };
  ExpectRejected(ports(Json::array({{{"port", 0}, {"protocol", "http"}}})),
                 "manifest.ports[0].port: must be 1..65535 (got 0)");
  ExpectRejected(ports(Json::array({{{"port", 65536}, {"protocol", "http"}}})),
                 "manifest.ports[0].port: must be 1..65535 (got 65536)");
  ExpectRejected(ports(Json::array({{{"port", -80}, {"protocol", "http"}}})),
                 "manifest.ports[0].port: must be 1..65535");
  ExpectRejected(ports(Json::array({{{"port", 80}, {"protocol", "udp"}}})),
                 "manifest.ports[0].protocol: must be \"http\" or \"tcp\"");
  ExpectRejected(ports(Json::array({{{"port", 80}, {"protocol", "HTTP"}}})),
                 "manifest.ports[0].protocol");
  ExpectRejected(ports(Json::array(
                     {{{"port", 80}, {"protocol", "http"}}, {{"port", 80}, {"protocol", "tcp"}}})),
                 "manifest.ports[1].port: 80 appears twice");
  Json ok = ports(
      Json::array({{{"port", 1}, {"protocol", "tcp"}}, {{"port", 65535}, {"protocol", "http"}}}));
  EXPECT_TRUE(ParseManifest(DumpJson(ok)).has_value());
}

TEST(ParseManifestRejects, KeyProvider) {
  Json j = GoldenJson();
  j["key_provider"] = "vault";
  ExpectRejected(j, "manifest.key_provider: must be \"kms\", \"local\" or \"none\"");
  j["key_provider"] = "none";  // the golden manifest has allowed_envs
  ExpectRejected(j, "manifest.allowed_envs: must be empty when key_provider is \"none\"");
}

TEST(ParseManifestRejects, ComposeNotYaml) {
  Json j = GoldenJson();
  j["docker_compose_file"] = "services:\n  web:\n    image: [nginx\n";
  ExpectRejected(j, "manifest.docker_compose_file: yaml: line ");
}

TEST(ParseManifestRejects, ComposeWithoutServices) {
  Json j = GoldenJson();
  j["docker_compose_file"] = "version: '3'\nvolumes: {}\n";
  ExpectRejected(j, "manifest.docker_compose_file: services: missing");
  j["docker_compose_file"] = "services: []\n";
  ExpectRejected(j, "manifest.docker_compose_file: services: must be a non-empty mapping");
  j["docker_compose_file"] = "services: {}\n";
  ExpectRejected(j, "manifest.docker_compose_file: services: must be a non-empty mapping");
  j["docker_compose_file"] = "- services\n";
  ExpectRejected(j, "manifest.docker_compose_file: the top level must be a mapping");
  j["docker_compose_file"] = "";
  ExpectRejected(j, "manifest.docker_compose_file: the top level must be a mapping");
  j["docker_compose_file"] = "services:\n  web:\n    restart: always\n";
  ExpectRejected(j, "manifest.docker_compose_file: services.web: needs `image` or `build`");
}

TEST(ParseManifestRejects, InvalidUtf8) {
  // nlohmann refuses invalid UTF-8 inside JSON strings before anything else looks at it.
  std::string text = CanonicalManifestJson(Golden());
  text.replace(text.find("nginx"), 1, "\xff");
  ExpectRejectedText(text, "manifest: json");
}

// --- ValidateManifest on structs --------------------------------------------------------------

TEST(ValidateManifest, GoldenIsValid) { EXPECT_TRUE(ValidateManifest(Golden()).has_value()); }

TEST(ValidateManifest, RejectsBadStructs) {
  auto rejected = [](auto mutate, const std::string& needle) {
    Manifest m = Golden();
    mutate(m);
    auto s = ValidateManifest(m);
    ASSERT_FALSE(s.has_value()) << needle;
    EXPECT_NE(s.error().message.find(needle), std::string::npos) << s.error().message;
  };
  rejected([](Manifest& m) { m.manifest_version = 2; }, "manifest.manifest_version");
  rejected([](Manifest& m) { m.version = 0; }, "manifest.version");
  rejected([](Manifest& m) { m.version = kMaxAppVersion + 1; }, "manifest.version");
  rejected([](Manifest& m) { m.runner = "podman"; }, "manifest.runner");
  rejected(
      [](Manifest& m) {
        m.ports.push_back({0, PortProtocol::kHttp});
      },
      "manifest.ports[2].port: must be 1..65535");
  rejected([](Manifest& m) { m.docker_compose_file = "services:\n  a: {image: \"\xff\"}\n"; },
           "manifest.docker_compose_file: not valid UTF-8");
  rejected(
      [](Manifest& m) {
        // Within the compose limit, but every newline doubles when escaped as "\n" in JSON.
        m.docker_compose_file =
            "services:\n  web:\n    image: nginx\n" + std::string(kMaxComposeBytes - 40, '\n');
      },
      "canonical form is");
}

// --- ManifestFromCompose ----------------------------------------------------------------------

TEST(ManifestFromCompose, DefaultsAndDerivedPorts) {
  ManifestOptions o;
  o.name = "hello";
  auto m = ManifestFromCompose(TestData("hello.yml"), o);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->manifest_version, 1);
  EXPECT_EQ(m->version, 1u);
  EXPECT_EQ(m->runner, "docker-compose");
  EXPECT_EQ(m->docker_compose_file, TestData("hello.yml"));
  EXPECT_TRUE(m->allowed_envs.empty());
  EXPECT_EQ(m->ports, (std::vector<ManifestPort>{{8080, PortProtocol::kHttp}}));
  EXPECT_EQ(m->key_provider, KeyProvider::kKms);
  EXPECT_FALSE(m->gateway);
  EXPECT_FALSE(m->public_logs);
  auto back = ParseManifest(CanonicalManifestJson(*m));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(*back, *m);
}

TEST(ManifestFromCompose, V1SyntaxWithVersionKey) {
  ManifestOptions o;
  o.name = "app";
  o.version = 7;
  o.allowed_envs = {"DB_URL", "API_KEY"};
  o.gateway = true;
  auto m = ManifestFromCompose(TestData("v1_syntax.yml"), o);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->version, 7u);
  EXPECT_EQ(m->allowed_envs, (std::vector<std::string>{"API_KEY", "DB_URL"}));  // sorted
  // "127.0.0.1:9000:9000" is fixed; "3000" lets docker pick the host port: not exposed.
  EXPECT_EQ(m->ports, (std::vector<ManifestPort>{{9000, PortProtocol::kHttp}}));
  EXPECT_TRUE(m->gateway);
}

TEST(ManifestFromCompose, OptionOrderDoesNotChangeTheHash) {
  ManifestOptions a;
  a.name = "app";
  a.allowed_envs = {"B", "A"};
  a.ports = std::vector<ManifestPort>{{9000, PortProtocol::kTcp}, {80, PortProtocol::kHttp}};
  ManifestOptions b = a;
  b.allowed_envs = {"A", "B"};
  b.ports = std::vector<ManifestPort>{{80, PortProtocol::kHttp}, {9000, PortProtocol::kTcp}};
  auto ma = ManifestFromCompose(TestData("hello.yml"), a);
  auto mb = ManifestFromCompose(TestData("hello.yml"), b);
  ASSERT_TRUE(ma && mb);
  EXPECT_EQ(ManifestHashHex(*ma), ManifestHashHex(*mb));
  EXPECT_EQ(ma->ports.front().port, 80);
}

TEST(ManifestFromCompose, ExplicitPortsOverrideAndEmptyMeansNone) {
  ManifestOptions o;
  o.name = "app";
  o.ports = std::vector<ManifestPort>{};
  auto none = ManifestFromCompose(TestData("hello.yml"), o);
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_TRUE(none->ports.empty());
  // Explicit ports make a compose file with a variable port usable.
  o.ports = std::vector<ManifestPort>{{443, PortProtocol::kTcp}};
  auto explicit_ports = ManifestFromCompose(TestData("variable_port.yml"), o);
  ASSERT_TRUE(explicit_ports.has_value()) << explicit_ports.error().message;
  EXPECT_EQ(explicit_ports->ports, (std::vector<ManifestPort>{{443, PortProtocol::kTcp}}));
}

TEST(ManifestFromCompose, UnicodeSurvivesVerbatim) {
  const std::string compose = TestData("unicode.yml");
  ASSERT_NE(compose.find("\xf0\x9f\x9a\x80"), std::string::npos);  // 🚀
  ManifestOptions o;
  o.name = "unicode-app";
  auto m = ManifestFromCompose(compose, o);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->docker_compose_file, compose);
  auto back = ParseManifest(CanonicalManifestJson(*m));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->docker_compose_file, compose);
  // Raw UTF-8 in the canonical bytes (RFC 8785 escapes only '"', '\\' and controls).
  EXPECT_NE(CanonicalManifestJson(*m).find("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
            std::string::npos);  // 日本語
}

TEST(ManifestFromCompose, CrlfAndNoTrailingNewlineKeptVerbatim) {
  const std::string compose = "services:\r\n  web:\r\n    image: nginx\r\n    ports: [\"80:80\"]";
  ManifestOptions o;
  o.name = "crlf";
  auto m = ManifestFromCompose(compose, o);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->docker_compose_file, compose);
  EXPECT_EQ(m->ports, (std::vector<ManifestPort>{{80, PortProtocol::kHttp}}));
}

TEST(ManifestFromComposeRejects, Errors) {
  auto rejected = [](const std::string& compose, ManifestOptions o, const std::string& needle) {
    if (o.name.empty()) o.name = "app";
    auto m = ManifestFromCompose(compose, o);
    ASSERT_FALSE(m.has_value()) << needle;
    EXPECT_NE(m.error().message.find(needle), std::string::npos) << m.error().message;
  };
  const std::string hello = TestData("hello.yml");
  ManifestOptions bad_name;
  bad_name.name = "Hello";
  rejected(hello, bad_name, "manifest.name: \"Hello\" is not a valid app name");
  ManifestOptions zero;
  zero.version = 0;
  rejected(hello, zero, "manifest.version");
  ManifestOptions env;
  env.allowed_envs = {"A", "B", "A"};
  rejected(hello, env, "manifest.allowed_envs: \"A\" given twice");
  env.allowed_envs = {"1A"};
  rejected(hello, env, "manifest.allowed_envs[0]: \"1A\" is not a valid");
  ManifestOptions dup_ports;
  dup_ports.ports = std::vector<ManifestPort>{{80, PortProtocol::kHttp}, {80, PortProtocol::kTcp}};
  rejected(hello, dup_ports, "manifest.ports: port 80 given twice");
  ManifestOptions none;
  none.key_provider = KeyProvider::kNone;
  none.allowed_envs = {"A"};
  rejected(hello, none, "must be empty when key_provider is \"none\"");
  rejected(TestData("invalid_yaml.yml"), {}, "manifest.docker_compose_file: yaml: line 5");
  rejected(TestData("no_services.yml"), {}, "manifest.docker_compose_file: services: missing");
  rejected(TestData("variable_port.yml"), {},
           "cannot derive the manifest ports: services.web.ports \"${WEB_PORT:-8080}:80\" uses "
           "a variable");
  rejected(TestData("full.yml"), {}, "is udp");
  rejected("services:\n  a: {image: x, ports: ['80:80']}\n  b: {image: y, ports: ['80:80']}\n", {},
           "manifest.ports: port 80 given twice");
}

TEST(ManifestFromCompose, TestdataExamplesAreValid) {
  for (const char* name : {"hello.yml", "v1_syntax.yml", "full.yml", "unicode.yml"}) {
    ManifestOptions o;
    o.name = "example";
    o.ports = std::vector<ManifestPort>{};
    auto m = ManifestFromCompose(TestData(name), o);
    EXPECT_TRUE(m.has_value()) << name << ": " << m.error().message;
  }
}

TEST(KeyProviderAndProtocol, NamesRoundTrip) {
  for (KeyProvider k : {KeyProvider::kKms, KeyProvider::kLocal, KeyProvider::kNone}) {
    auto back = ParseKeyProvider(KeyProviderName(k));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, k);
  }
  for (PortProtocol p : {PortProtocol::kHttp, PortProtocol::kTcp}) {
    auto back = ParsePortProtocol(PortProtocolName(p));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, p);
  }
  EXPECT_FALSE(ParseKeyProvider("KMS").has_value());
  EXPECT_FALSE(ParsePortProtocol("udp").has_value());
}

}  // namespace
}  // namespace teecloud::manifest
