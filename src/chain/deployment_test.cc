#include "chain/deployment.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/file.h"
#include "chain/artifacts.h"
#include "testing/testing.h"

namespace teecloud::chain {
namespace {

Deployment Example() {
  Deployment d;
  d.chain_id = 31337;
  d.rpc = "http://127.0.0.1:8545";
  d.registry = *ParseAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3");
  d.factory = *ParseAddress("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
  d.deployer = *ParseAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  d.block = 3;
  d.apps["hello"] = *ParseAddress("0xa16E02E87b7454126E5E10d957A927A7F5B5d2be");
  return d;
}

TEST(DeploymentTest, RoundTrip) {
  const Deployment d = Example();
  const std::string text = DumpJson(DeploymentToJson(d), 2);
  EXPECT_NE(text.find("\"registry\": \"0x5FbDB2315678afecb367f032d93F642f64180aa3\""),
            std::string::npos);
  auto back = ParseDeployment(text);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->chain_id, d.chain_id);
  EXPECT_EQ(back->rpc, d.rpc);
  EXPECT_EQ(back->registry, d.registry);
  EXPECT_EQ(back->factory, d.factory);
  EXPECT_EQ(back->deployer, d.deployer);
  EXPECT_EQ(back->block, d.block);
  EXPECT_EQ(back->apps, d.apps);
}

TEST(DeploymentTest, RejectsBadFiles) {
  EXPECT_FALSE(ParseDeployment("[]").has_value());
  EXPECT_FALSE(ParseDeployment(R"({"chain_id":1})").has_value());
  Json j = Json::parse(DumpJson(DeploymentToJson(Example())));
  j["registry"] = "0x1234";
  EXPECT_NE(ParseDeployment(j.dump()).error().message.find("registry"), std::string::npos);
  j = Json::parse(DumpJson(DeploymentToJson(Example())));
  j["apps"]["x"] = 5;
  EXPECT_FALSE(ParseDeployment(j.dump()).has_value());
}

TEST(DeploymentTest, SaveCreatesDirectoriesAndIsWorldReadable) {
  const std::string path = testing::MakeTempDir() + "/a/b/deployment.json";
  ASSERT_TRUE(SaveDeployment(path, Example()).has_value());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  auto loaded = LoadDeployment(path);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->apps.at("hello"), Example().apps.at("hello"));
  EXPECT_EQ(LoadDeployment(path + ".missing").error().code, Code::kNotFound);
}

TEST(ArtifactsTest, Parse) {
  auto a = ParseContractArtifacts(
      R"({"compiler":"0.8.37","contracts":{"X":{"abi":[],"bytecode":"0x6080"},)"
      R"("I":{"abi":[],"bytecode":"0x"}}})");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(a->compiler, "0.8.37");
  auto x = a->Get("X");
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ((*x)->bytecode, (Bytes{0x60, 0x80}));
  EXPECT_EQ(a->Get("I").error().code, Code::kNotFound);  // an interface: no bytecode
  EXPECT_EQ(a->Get("Y").error().code, Code::kNotFound);
  EXPECT_FALSE(
      ParseContractArtifacts(R"({"contracts":{"X":{"abi":[],"bytecode":"6080"}}})").has_value());
  EXPECT_FALSE(ParseContractArtifacts("{}").has_value());
}

}  // namespace
}  // namespace teecloud::chain
