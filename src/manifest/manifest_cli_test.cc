// End-to-end tests of `teecloud manifest` / `manifest hash` / `manifest show`: the real binary,
// its exit code, stdout, stderr and the files it writes (or must not write).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/file.h"
#include "base/json.h"
#include "crypto/hash.h"
#include "manifest/manifest.h"
#include "testing/testing.h"

namespace teecloud::manifest {
namespace {

using ::teecloud::testing::MakeTempDir;

using ::teecloud::testing::CliRun;

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string TestData(const std::string& name) {
  return std::string(TEECLOUD_MANIFEST_TESTDATA) + "/" + name;
}

class ManifestCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  CliRun Run(const std::vector<std::string>& args) {
    return testing::RunBinary(testing::TeecloudBinary(TEECLOUD_CLI_BINARY), args, dir_);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Files in the temp dir other than the captured streams.
  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name != ".cli-out" && name != ".cli-err") out.push_back(name);
    }
    return out;
  }

  std::string WriteText(const std::string& name, const std::string& text) {
    const std::string p = Path(name);
    EXPECT_TRUE(WriteFileAtomic(p, AsBytes(text)).has_value());
    return p;
  }

  std::string dir_;
};

std::string FileSha256Hex(const std::string& path) {
  return ToHex(crypto::View(crypto::Sha256(AsBytes(Slurp(path)))));
}

TEST_F(ManifestCli, BuildWritesCanonicalManifestAndPrintsHash) {
  const std::string out = Path("app.json");
  CliRun r = Run({"manifest", "--compose", TestData("hello.yml"), "--name", "hello", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string file = Slurp(out);
  auto m = ParseManifest(file);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(file, CanonicalManifestJson(*m));  // canonical bytes, no trailing newline
  const std::string hash = FileSha256Hex(out);
  EXPECT_EQ(hash, ManifestHashHex(*m));
  EXPECT_NE(r.out.find("manifest_hash: " + hash + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("app_id_policy_mode: 0x" + hash.substr(0, 40) + "\n"), std::string::npos)
      << r.out;
  EXPECT_EQ(m->name, "hello");
  EXPECT_EQ(m->ports, (std::vector<ManifestPort>{{8080, PortProtocol::kHttp}}));
  EXPECT_EQ(m->docker_compose_file, Slurp(TestData("hello.yml")));
}

TEST_F(ManifestCli, BuildWithEveryOptionAndJson) {
  const std::string out = Path("app.json");
  CliRun r = Run({"manifest",
                  "--compose",
                  TestData("v1_syntax.yml"),
                  "--name",
                  "my-app",
                  "--version",
                  "12",
                  "--allowed-env",
                  "DB_URL",
                  "--allowed-env",
                  "API_KEY",
                  "--port",
                  "443/tcp",
                  "--port",
                  "80",
                  "--key-provider",
                  "local",
                  "--gateway",
                  "--public-logs",
                  "-o",
                  out,
                  "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(r.json.is_object()) << r.out;
  const std::string hash = FileSha256Hex(out);
  EXPECT_EQ(r.json["manifest_hash"], hash);
  EXPECT_EQ(r.json["app_id_policy_mode"], "0x" + hash.substr(0, 40));
  EXPECT_EQ(r.json["path"], out);
  auto m = ParseManifest(Slurp(out));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->version, 12u);
  EXPECT_EQ(m->allowed_envs, (std::vector<std::string>{"API_KEY", "DB_URL"}));
  EXPECT_EQ(m->ports,
            (std::vector<ManifestPort>{{80, PortProtocol::kHttp}, {443, PortProtocol::kTcp}}));
  EXPECT_EQ(m->key_provider, KeyProvider::kLocal);
  EXPECT_TRUE(m->gateway);
  EXPECT_TRUE(m->public_logs);
  EXPECT_EQ(r.err, "");  // every variable the compose file uses is allowed
}

TEST_F(ManifestCli, NotesVariablesThatAreNotAllowed) {
  CliRun r = Run({"manifest", "--compose", TestData("v1_syntax.yml"), "--name", "app",
                  "--allowed-env", "API_KEY", "-o", Path("app.json")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("${DB_URL}"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("${API_KEY}"), std::string::npos) << r.err;
}

TEST_F(ManifestCli, NoPortsAndUnicode) {
  const std::string out = Path("app.json");
  CliRun r = Run(
      {"manifest", "--compose", TestData("unicode.yml"), "--name", "u", "--no-ports", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto m = ParseManifest(Slurp(out));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->ports.empty());
  EXPECT_EQ(m->docker_compose_file, Slurp(TestData("unicode.yml")));
}

TEST_F(ManifestCli, OptionOrderGivesTheSameHash) {
  CliRun a = Run({"manifest", "--compose", TestData("hello.yml"), "--name", "x", "--allowed-env",
                  "A", "--allowed-env", "B", "--port", "1", "--port", "2", "-o", Path("a.json")});
  CliRun b = Run({"manifest", "-o", Path("b.json"), "--port", "2", "--port", "1", "--allowed-env",
                  "B", "--allowed-env", "A", "--name", "x", "--compose", TestData("hello.yml")});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(Slurp(Path("a.json")), Slurp(Path("b.json")));
}

TEST_F(ManifestCli, HashAndShowReadItBack) {
  const std::string out = Path("app.json");
  CliRun built = Run({"manifest", "--compose", TestData("full.yml"), "--name", "full", "--port",
                      "443/tcp", "--allowed-env", "TOKEN", "-o", out, "--json"});
  ASSERT_EQ(built.exit_code, 0) << built.err;
  const std::string hash = built.json["manifest_hash"];

  CliRun h = Run({"manifest", "hash", out});
  EXPECT_EQ(h.exit_code, 0) << h.err;
  EXPECT_EQ(h.out, "manifest_hash: " + hash + "\n");
  EXPECT_EQ(h.err, "");

  CliRun hj = Run({"manifest", "hash", out, "--json"});
  EXPECT_EQ(hj.exit_code, 0) << hj.err;
  EXPECT_EQ(hj.json["manifest_hash"], hash);
  EXPECT_EQ(hj.json["app_id_policy_mode"], "0x" + hash.substr(0, 40));
  EXPECT_EQ(hj.json["canonical"], true);
  EXPECT_EQ(hj.json["path"], out);

  CliRun s = Run({"manifest", "show", out});
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("name:                full\n"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("ports:               443/tcp\n"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("services:            api (build), cache (redis:7)\n"), std::string::npos)
      << s.out;
  EXPECT_NE(s.out.find("manifest_hash:       " + hash), std::string::npos) << s.out;
  EXPECT_NE(s.out.find(Slurp(TestData("full.yml"))), std::string::npos) << s.out;

  CliRun sj = Run({"manifest", "show", out, "--json"});
  EXPECT_EQ(sj.exit_code, 0) << sj.err;
  EXPECT_EQ(sj.json["manifest_hash"], hash);
  EXPECT_EQ(sj.json["manifest"]["name"], "full");
  EXPECT_EQ(sj.json["manifest"]["docker_compose_file"], Slurp(TestData("full.yml")));
}

TEST_F(ManifestCli, HashOfNonCanonicalFileIsTheCanonicalHash) {
  Manifest manifest;
  manifest.name = "pretty";
  manifest.docker_compose_file = Slurp(TestData("hello.yml"));
  const std::string pretty = WriteText("pretty.json", DumpJson(ManifestToJson(manifest), 4));
  CliRun r = Run({"manifest", "hash", pretty});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "manifest_hash: " + ManifestHashHex(manifest) + "\n");
  EXPECT_NE(r.err.find("not in canonical"), std::string::npos) << r.err;
  CliRun j = Run({"manifest", "hash", pretty, "--json"});
  EXPECT_EQ(j.json["canonical"], false);
}

TEST_F(ManifestCli, InvalidManifestFileIsRejected) {
  const std::string bad = WriteText("bad.json", R"({"manifest_version":1,"name":"x"})");
  for (const char* sub : {"hash", "show"}) {
    CliRun r = Run({"manifest", sub, bad});
    EXPECT_EQ(r.exit_code, 1) << sub << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("manifest.version: missing"), std::string::npos) << r.err;
  }
  CliRun missing = Run({"manifest", "hash", Path("nope.json")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;
  CliRun no_file = Run({"manifest", "show"});
  EXPECT_EQ(no_file.exit_code, 2);
}

// Every failing build: exit 2, a message saying what to fix, and no file written.
TEST_F(ManifestCli, FailuresWriteNothing) {
  const std::string out = Path("app.json");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--compose", Path("missing.yml"), "--name", "a"}, "missing.yml"},
      {{"--compose", TestData("invalid_yaml.yml"), "--name", "a"}, "invalid_yaml.yml: yaml: line "},
      {{"--compose", TestData("no_services.yml"), "--name", "a"}, "services: missing"},
      {{"--compose", TestData("hello.yml"), "--name", "Hello"},
       "--name: \"Hello\" is not a valid app name"},
      {{"--compose", TestData("hello.yml")}, "--name NAME is required"},
      {{"--name", "a"}, "--compose FILE is required"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--version", "0"}, "--version"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--version", "x"}, "--version"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--allowed-env", "1BAD"},
       "--allowed-env: \"1BAD\" is not a valid environment variable name"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--allowed-env", "A", "--allowed-env",
        "A"},
       "--allowed-env: \"A\" given twice"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--port", "70000"}, "--port"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--port", "80/udp"}, "--port"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--port", "80", "--port", "80/tcp"},
       "--port: port 80 given twice"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--key-provider", "vault"},
       "--key-provider"},
      {{"--compose", TestData("hello.yml"), "--name", "a", "--key-provider", "none",
        "--allowed-env", "A"},
       "key_provider is \"none\""},
      {{"--compose", TestData("variable_port.yml"), "--name", "a"}, "--no-ports"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"manifest"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"-o", out});
    CliRun r = Run(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << joined << "\nstderr: " << r.err;
    EXPECT_EQ(r.out, "") << joined;
    EXPECT_TRUE(Files().empty()) << joined;
  }
  // -o missing.
  CliRun r = Run({"manifest", "--compose", TestData("hello.yml"), "--name", "a"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-o FILE is required"), std::string::npos) << r.err;
  EXPECT_TRUE(Files().empty());
}

TEST_F(ManifestCli, FailureLeavesAnExistingOutputUntouched) {
  const std::string out = WriteText("app.json", "previous");
  CliRun r = Run({"manifest", "--compose", TestData("invalid_yaml.yml"), "--name", "a", "-o", out});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Slurp(out), "previous");
  EXPECT_EQ(Files(), (std::vector<std::string>{"app.json"}));
}

TEST_F(ManifestCli, RefusesToOverwriteTheComposeFile) {
  const std::string compose = WriteText("docker-compose.yml", Slurp(TestData("hello.yml")));
  CliRun r = Run({"manifest", "--compose", compose, "--name", "a", "-o", compose});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Slurp(compose), Slurp(TestData("hello.yml")));
}

TEST_F(ManifestCli, UsageErrors) {
  CliRun mixed = Run({"manifest", "--name", "a", "hash", TestData("hello.yml")});
  EXPECT_EQ(mixed.exit_code, 2) << mixed.out << mixed.err;
  CliRun unknown = Run({"manifest", "--no-such-flag"});
  EXPECT_EQ(unknown.exit_code, 2);
  CliRun both = Run({"manifest", "--compose", TestData("hello.yml"), "--name", "a", "--port", "80",
                     "--no-ports", "-o", Path("x.json")});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_TRUE(Files().empty());
  CliRun help = Run({"help", "manifest"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--compose"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("hash"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace teecloud::manifest
