#include "manifest/compose.h"

#include <gtest/gtest.h>

#include <string>

#include "base/file.h"

namespace teecloud::manifest {
namespace {

std::string TestData(const std::string& name) {
  auto text = ReadTextFile(std::string(TEECLOUD_MANIFEST_TESTDATA) + "/" + name);
  EXPECT_TRUE(text.has_value()) << name;
  return text ? *text : std::string();
}

void ExpectInvalid(const std::string& yaml, const std::string& needle) {
  auto s = ValidateCompose(yaml);
  ASSERT_FALSE(s.has_value()) << yaml;
  EXPECT_NE(s.error().message.find(needle), std::string::npos)
      << "message: " << s.error().message << "\nexpected to contain: " << needle;
}

ComposePort Port(std::string spec, uint16_t published, uint16_t target,
                 std::string protocol = "tcp", std::string host_ip = "") {
  ComposePort p;
  p.spec = std::move(spec);
  p.published = published;
  p.target = target;
  p.protocol = std::move(protocol);
  p.host_ip = std::move(host_ip);
  return p;
}

TEST(ValidateCompose, AcceptsBothSyntaxes) {
  for (const char* name : {"hello.yml", "v1_syntax.yml", "full.yml", "unicode.yml"}) {
    auto s = ValidateCompose(TestData(name));
    EXPECT_TRUE(s.has_value()) << name << ": " << s.error().message;
  }
  EXPECT_TRUE(ValidateCompose("version: '2'\nservices:\n  a:\n    build: .\n").has_value());
  EXPECT_TRUE(ValidateCompose("{services: {a: {image: x}}}").has_value());
  EXPECT_TRUE(
      ValidateCompose("---\nservices:\n  a: {image: x}\n...\n# trailing comment\n").has_value());
  EXPECT_TRUE(ValidateCompose("%YAML 1.2\n---\nservices:\n  a: {image: x}\n").has_value());
}

TEST(ValidateCompose, RejectsInvalidYamlWithLine) {
  ExpectInvalid(TestData("invalid_yaml.yml"), "yaml: line ");
  ExpectInvalid("services:\n  a: {image: x}\n b: 1\n", "yaml: line 3");
}

TEST(ValidateCompose, RejectsStructure) {
  ExpectInvalid(TestData("no_services.yml"), "services: missing");
  ExpectInvalid("", "the top level must be a mapping");
  ExpectInvalid("just a string", "the top level must be a mapping");
  ExpectInvalid("services:\n", "services: must be a non-empty mapping");
  ExpectInvalid("services: [a, b]\n", "services: must be a non-empty mapping");
  ExpectInvalid("services:\n  web: nginx\n", "services.web: must be a mapping");
  ExpectInvalid("services:\n  web: {}\n", "services.web: needs `image` or `build`");
  ExpectInvalid("services:\n  web: {image: ''}\n", "services.web.image: must be a non-empty");
  ExpectInvalid("services:\n  web: {image: [a]}\n", "services.web.image: must be a non-empty");
  ExpectInvalid("services:\n  web: {build: [a]}\n", "services.web.build: must be a path");
}

TEST(ValidateCompose, RejectsDuplicateKeys) {
  ExpectInvalid("services:\n  a: {image: x}\n  a: {image: y}\n",
                "yaml: services: duplicate key \"a\"");
  ExpectInvalid("services:\n  a:\n    image: x\n    image: y\n",
                "yaml: services.a: duplicate key \"image\"");
  ExpectInvalid("services: {a: {image: x}}\nservices: {b: {image: y}}\n",
                "duplicate key \"services\"");
  ExpectInvalid("services:\n  a: {image: x}\n  ? [k]\n  : 1\n", "not a string");
}

TEST(ValidateCompose, RejectsMultipleDocuments) {
  ExpectInvalid("services:\n  a: {image: x}\n---\nservices:\n  b: {image: evil}\n",
                "yaml: line 3: a second YAML document");
  ExpectInvalid("services:\n  a: {image: x}\n...\nservices:\n  b: {image: evil}\n",
                "content after the end of the YAML document");
  ExpectInvalid("---\n---\nservices:\n  a: {image: x}\n", "a second YAML document");
}

TEST(ValidateCompose, RejectsBadEncodingAndSize) {
  ExpectInvalid("services:\n  a: {image: \"\xc3\x28\"}\n", "not valid UTF-8");
  ExpectInvalid("services:\n  a: {image: x}\n#" + std::string(kMaxComposeBytes, 'x'),
                "larger than");
}

TEST(ValidateCompose, BoundsAliasBombsAndCycles) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  bomb += "services:\n  a: {image: x}\n";
  ExpectInvalid(bomb, "nodes (after expanding aliases)");
  ExpectInvalid("x: &x [*x]\nservices:\n  a: {image: x}\n", "alias cycle");
  ExpectInvalid(std::string(100, '[') + std::string(100, ']'), "yaml");
}

TEST(ValidateCompose, MergeKeysProvideImage) {
  EXPECT_TRUE(ValidateCompose("x: &d {image: redis}\nservices:\n  a:\n    <<: *d\n").has_value());
  EXPECT_TRUE(ValidateCompose("x: &d {image: redis}\ny: &e {restart: always}\nservices:\n  a:\n"
                              "    <<: [*e, *d]\n")
                  .has_value());
  ExpectInvalid("x: &d {restart: always}\nservices:\n  a:\n    <<: *d\n", "needs `image`");
}

TEST(InspectCompose, Hello) {
  auto info = InspectCompose(TestData("hello.yml"));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  ASSERT_EQ(info->services.size(), 1u);
  EXPECT_EQ(info->services[0].name, "web");
  EXPECT_EQ(info->services[0].image, "nginx:1.27");
  EXPECT_FALSE(info->services[0].build);
  EXPECT_EQ(info->services[0].ports, (std::vector<ComposePort>{Port("8080:80", 8080, 80)}));
  EXPECT_TRUE(info->named_volumes.empty());
  EXPECT_TRUE(info->env_vars.empty());
}

TEST(InspectCompose, V1SyntaxVolumesAndVariables) {
  auto info = InspectCompose(TestData("v1_syntax.yml"));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  ASSERT_EQ(info->services.size(), 2u);
  EXPECT_EQ(info->services[0].name, "app");
  EXPECT_EQ(info->services[1].name, "db");
  EXPECT_EQ(info->services[1].image, "postgres:16");
  EXPECT_EQ(info->services[0].ports,
            (std::vector<ComposePort>{Port("127.0.0.1:9000:9000", 9000, 9000, "tcp", "127.0.0.1"),
                                      Port("3000", 0, 3000)}));
  EXPECT_EQ(info->named_volumes, (std::vector<std::string>{"data", "pg"}));
  EXPECT_EQ(info->env_vars, (std::vector<std::string>{"API_KEY", "DB_URL"}));
}

TEST(InspectCompose, LongFormRangesUdpBuildAndMerge) {
  auto info = InspectCompose(TestData("full.yml"));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  ASSERT_EQ(info->services.size(), 2u);
  const ComposeService& api = info->services[0];
  EXPECT_TRUE(api.build);
  EXPECT_EQ(api.image, "");
  EXPECT_EQ(api.ports, (std::vector<ComposePort>{
                           Port("target=8443 published=443 protocol=tcp", 443, 8443),
                           Port("[::1]:7000-7001:7000-7001", 7000, 7000, "tcp", "::1"),
                           Port("[::1]:7000-7001:7000-7001", 7001, 7001, "tcp", "::1"),
                           Port("5353:53/udp", 5353, 53, "udp"),
                       }));
  EXPECT_EQ(info->services[1].name, "cache");
  EXPECT_EQ(info->services[1].image, "redis:7");  // through the `<<` merge key
  EXPECT_EQ(info->named_volumes, (std::vector<std::string>{"cache-data"}));
  // "$${NOT_A_VAR}" is an escaped literal; "$TOKEN" is a variable.
  EXPECT_EQ(info->env_vars, (std::vector<std::string>{"TOKEN"}));
}

TEST(InspectCompose, ShortPortForms) {
  auto ports = [](const std::string& entry) -> std::vector<ComposePort> {
    auto info = InspectCompose("services:\n  a:\n    image: x\n    ports: [\"" + entry + "\"]\n");
    EXPECT_TRUE(info.has_value()) << entry << ": " << info.error().message;
    return info ? info->services[0].ports : std::vector<ComposePort>{};
  };
  EXPECT_EQ(ports("80"), (std::vector<ComposePort>{Port("80", 0, 80)}));
  EXPECT_EQ(ports("8080:80/udp"), (std::vector<ComposePort>{Port("8080:80/udp", 8080, 80, "udp")}));
  EXPECT_EQ(ports("::1:6000:6000"),
            (std::vector<ComposePort>{Port("::1:6000:6000", 6000, 6000, "tcp", "::1")}));
  EXPECT_EQ(ports("127.0.0.1::80"),
            (std::vector<ComposePort>{Port("127.0.0.1::80", 0, 80, "tcp", "127.0.0.1")}));
  EXPECT_EQ(ports("9000-9001"),
            (std::vector<ComposePort>{Port("9000-9001", 0, 9000), Port("9000-9001", 0, 9001)}));
  EXPECT_EQ(ports("8000-8010:80"), (std::vector<ComposePort>{Port("8000-8010:80", 0, 80)}));
  auto interpolated = ports("${P}:80");
  ASSERT_EQ(interpolated.size(), 1u);
  EXPECT_TRUE(interpolated[0].interpolated);
  EXPECT_EQ(interpolated[0].published, 0);
  // Unquoted YAML scalars work too (8080:80 is a string to yaml-cpp).
  auto info =
      InspectCompose("services:\n  a:\n    image: x\n    ports:\n      - 8080:80\n      - 53\n");
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->services[0].ports,
            (std::vector<ComposePort>{Port("8080:80", 8080, 80), Port("53", 0, 53)}));
}

TEST(InspectCompose, RejectsBadPorts) {
  auto bad = [](const std::string& ports, const std::string& needle) {
    auto info = InspectCompose("services:\n  a:\n    image: x\n    ports: " + ports + "\n");
    ASSERT_FALSE(info.has_value()) << ports;
    EXPECT_NE(info.error().message.find(needle), std::string::npos) << info.error().message;
  };
  bad("[\"abc\"]", "services.a.ports[0]: \"abc\": container port");
  bad("[\"0\"]", "container port must be 1..65535");
  bad("[\"70000:80\"]", "published port must be");
  bad("[\"80:80/icmp\"]", "protocol must be tcp, udp or sctp");
  bad("[\"8000-8001:80-82\"]", "ranges differ in length");
  bad("[\"9-1\"]", "container port");
  bad("[\"[::1:80:80\"]", "malformed [IPv6] address");
  bad("[\":80\"]", "empty published port");
  bad("\"80:80\"", "services.a.ports: expected a list");
  bad("[[80]]", "services.a.ports[0]: expected");
  bad("[{published: 80}]", "services.a.ports[0].target: missing");
  bad("[{target: [1]}]", "services.a.ports[0].target: expected a scalar");
  bad("[\"1-65535\"]", "more than 4096 ports");
}

TEST(InspectCompose, NullAndMissingSections) {
  auto info = InspectCompose("services:\n  a:\n    image: x\n    ports:\nvolumes:\n");
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_TRUE(info->services[0].ports.empty());
  EXPECT_TRUE(info->named_volumes.empty());
  EXPECT_FALSE(InspectCompose("services:\n  a: {image: x}\nvolumes: [a]\n").has_value());
}

}  // namespace
}  // namespace teecloud::manifest
