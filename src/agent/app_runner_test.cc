// The app runner's pure parts: opening the deployment's secrets with the app's env key and
// filtering them by the manifest, and parsing the manifest's compose file with them as secrets.
// (Running services against a real engine is tested end to end in node_engine_e2e_test.)
#include "agent/app_runner.h"

#include <gtest/gtest.h>

#include "crypto/random.h"
#include "secrets/sealed_env.h"

namespace teecloud::agent {
namespace {

crypto::SecretBytes Root(uint8_t fill) { return crypto::SecretBytes(Bytes(32, fill)); }

Bytes SealTo(const AppKeys& keys, const std::vector<secrets::EnvVar>& vars) {
  auto env_key = keys.EnvKeyPair();
  EXPECT_TRUE(env_key.has_value());
  crypto::SystemRandom random;
  auto sealed = secrets::SealEnv(env_key->public_key, vars, random);
  EXPECT_TRUE(sealed.has_value()) << sealed.error().ToString();
  return *sealed;
}

manifest::Manifest WithCompose(std::string compose, std::vector<std::string> allowed) {
  manifest::Manifest m;
  m.name = "app";
  m.docker_compose_file = std::move(compose);
  m.allowed_envs = std::move(allowed);
  return m;
}

TEST(AppRunnerTest, SecretsOpenWithTheAppsKeyAndOnlyAllowedNamesAreKept) {
  auto keys = AppKeys::FromRootKey(Root(1));
  ASSERT_TRUE(keys.has_value());
  const Bytes sealed = SealTo(*keys, {{"API_KEY", "s3cret"}, {"DB_PASS", "hunter2"}});
  auto opened = OpenDeploymentSecrets(*keys, sealed, {"API_KEY"});
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  EXPECT_EQ(opened->kept, (std::map<std::string, std::string>{{"API_KEY", "s3cret"}}));
  EXPECT_EQ(opened->dropped, std::vector<std::string>{"DB_PASS"});
}

TEST(AppRunnerTest, SecretsSealedToAnotherAppDoNotOpen) {
  auto mine = AppKeys::FromRootKey(Root(1));
  auto other = AppKeys::FromRootKey(Root(2));
  ASSERT_TRUE(mine.has_value() && other.has_value());
  const Bytes sealed = SealTo(*other, {{"API_KEY", "s3cret"}});
  auto opened = OpenDeploymentSecrets(*mine, sealed, {"API_KEY"});
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, Code::kUnauthenticated);
  EXPECT_EQ(opened.error().message.find("s3cret"), std::string::npos);
}

TEST(AppRunnerTest, ComposeGetsSecretsOnlyThroughEnvironment) {
  const auto m = WithCompose(R"(services:
  app:
    image: teecloud/busybox:local
    environment:
      API_KEY: ${API_KEY}
      MODE: plain
)",
                             {"API_KEY"});
  auto compose = ParseAppCompose(m, {{"API_KEY", "s3cret"}});
  ASSERT_TRUE(compose.has_value()) << compose.error().ToString();
  const auto& app = compose->services.at("app");
  EXPECT_EQ(app.environment.at("API_KEY"), "s3cret");
  EXPECT_EQ(app.secret_environment, std::set<std::string>{"API_KEY"});

  // Anywhere else a secret would end up in the engine's configuration: refused, by name.
  const auto leaky = WithCompose(R"(services:
  app:
    image: teecloud/busybox:local
    command: ["echo", "${API_KEY}"]
)",
                                 {"API_KEY"});
  auto refused = ParseAppCompose(leaky, {{"API_KEY", "s3cret"}});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("API_KEY"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos);
}

TEST(AppRunnerTest, NamesNotInTheManifestStayUnset) {
  const auto m = WithCompose(R"(services:
  app:
    image: teecloud/busybox:local
    environment:
      TOKEN: ${TOKEN:-none}
)",
                             {});
  // Even if a value for TOKEN were around, the manifest does not allow it.
  auto compose = ParseAppCompose(m, {});
  ASSERT_TRUE(compose.has_value()) << compose.error().ToString();
  EXPECT_EQ(compose->services.at("app").environment.at("TOKEN"), "none");
  EXPECT_TRUE(compose->services.at("app").secret_environment.empty());
}

TEST(AppRunnerTest, VolumeAndSecretPlacement) {
  AppRunnerOptions with_mount;
  with_mount.volume_cipher_dir = "/d/state/volumes.enc";
  with_mount.volume_mount_dir = "/d/volumes";
  with_mount.state_dir = "/d/state";
  AppRunner a(with_mount);
  EXPECT_EQ(a.VolumeRootDir(), "/d/volumes/volumes");
  EXPECT_EQ(a.SecretDir(), "/d/volumes/secrets");  // inside the encrypted mount

  AppRunnerOptions engine_volumes;
  engine_volumes.state_dir = "/var/lib/agent";
  AppRunner b(engine_volumes);
  EXPECT_EQ(b.VolumeRootDir(), "");
  EXPECT_EQ(b.SecretDir(), "/var/lib/agent/secrets");
}

TEST(AppKeysVolumeKeyTest, DeterministicPerAppAndDistinctFromOtherKeys) {
  auto a = AppKeys::FromRootKey(Root(1));
  auto a2 = AppKeys::FromRootKey(Root(1));
  auto b = AppKeys::FromRootKey(Root(2));
  ASSERT_TRUE(a.has_value() && a2.has_value() && b.has_value());
  auto ka = a->VolumeKey();
  auto ka2 = a2->VolumeKey();
  auto kb = b->VolumeKey();
  ASSERT_TRUE(ka.has_value() && ka2.has_value() && kb.has_value());
  EXPECT_EQ(ka->size(), 32u);
  EXPECT_EQ(ToHex(ka->view()), ToHex(ka2->view()));
  EXPECT_NE(ToHex(ka->view()), ToHex(kb->view()));
  auto env = a->EnvKeyPair();
  ASSERT_TRUE(env.has_value());
  EXPECT_NE(ToHex(ka->view()), ToHex(env->private_key.view()));
}

}  // namespace
}  // namespace teecloud::agent
