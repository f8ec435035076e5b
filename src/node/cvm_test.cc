#include "node/cvm.h"

#include <gtest/gtest.h>

#include "node/attest_binding.h"
#include "node/node_client.h"
#include "node/routes.h"

namespace teecloud::node {
namespace {

TEST(CvmTest, NamesFollowTheManifestRule) {
  for (const char* ok : {"web", "a", "my-app-2", "0abc"}) {
    EXPECT_TRUE(ValidateCvmName(ok).has_value()) << ok;
  }
  for (const char* bad : {"", "-web", "Web", "web_1", "web.app", "a/b", "with space"}) {
    EXPECT_FALSE(ValidateCvmName(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ValidateCvmName(std::string(64, 'a')).has_value());
  EXPECT_TRUE(ValidateCvmName(std::string(63, 'a')).has_value());
}

TEST(CvmTest, EnumsRoundTrip) {
  for (CvmStatus s : AllCvmStatuses()) EXPECT_EQ(ParseCvmStatus(CvmStatusName(s)).value(), s);
  for (DesiredState d : {DesiredState::kRunning, DesiredState::kStopped, DesiredState::kRemoved,
                         DesiredState::kPurged}) {
    EXPECT_EQ(ParseDesiredState(DesiredStateName(d)).value(), d);
  }
  for (RestartPolicy p :
       {RestartPolicy::kAlways, RestartPolicy::kOnFailure, RestartPolicy::kNever}) {
    EXPECT_EQ(ParseRestartPolicy(RestartPolicyName(p)).value(), p);
  }
  EXPECT_FALSE(ParseRestartPolicy("sometimes").has_value());
}

TEST(CvmTest, PortFlagsAndJson) {
  EXPECT_EQ(ParsePortFlag("8080:80").value(), (PortMapping{8080, 80, "tcp"}));
  EXPECT_EQ(ParsePortFlag("53:53/udp").value(), (PortMapping{53, 53, "udp"}));
  for (const char* bad :
       {"8080", "0:80", "8080:0", "x:80", "8080:80/sctp", "70000:80", ":80", "8080:"}) {
    EXPECT_FALSE(ParsePortFlag(bad).has_value()) << bad;
  }
  const std::vector<PortMapping> ports = {{8080, 80, "tcp"}, {53, 53, "udp"}};
  EXPECT_EQ(PortsFromJson(PortsToJson(ports), "p").value(), ports);
  EXPECT_FALSE(PortsFromJson(Json::parse(R"([{"host":1,"cvm":2,"x":3}])"), "p").has_value());
  EXPECT_FALSE(
      PortsFromJson(Json::parse(R"([{"host":1,"cvm":2},{"host":1,"cvm":3}])"), "p").has_value());
  EXPECT_FALSE(PortsFromJson(Json::parse(R"([{"host":-1,"cvm":2}])"), "p").has_value());
  EXPECT_FALSE(PortsFromJson(Json::parse(R"({"host":1})"), "p").has_value());
}

TEST(CvmTest, AttestReportDataIsDomainSeparated) {
  const Bytes nonce(8, 0);
  auto rd = AttestReportData(nonce);
  ASSERT_TRUE(rd.has_value());
  EXPECT_EQ(rd->size(), 64u);
  EXPECT_NE(*rd, AttestReportData(Bytes(8, 1)).value());
  EXPECT_FALSE(AttestReportData(Bytes(7, 0)).has_value());
  EXPECT_FALSE(AttestReportData(Bytes(257, 0)).has_value());
  // Known answer: SHA-512("teecloud-node-attest:v1:" || 00*8).
  EXPECT_EQ(ToHex(*rd),
            "d271bc335bf1dc6f40017450e2a78ce064067ad04b5e1f33075d96b8504fc902"
            "c5deb78c6a8c0272fe06a43820431305ce133e628c6912fa9984ca011c46d03d");
}

TEST(RoutesTest, PathTemplatesBecomeRegexes) {
  EXPECT_EQ(PathRegex("/v1/cvms/{ref}/logs"), "/v1/cvms/([^/]+)/logs");
  EXPECT_EQ(PathRegex("/openapi.json"), "/openapi\\.json");
  EXPECT_EQ(PathParams("/v1/cvms/{ref}/logs"), (std::vector<std::string>{"ref"}));
  EXPECT_TRUE(PathParams("/v1/cvms").empty());
}

TEST(NodeClientTest, EncodesPathSegmentsAndMapsCodes) {
  EXPECT_EQ(EncodePathSegment("web-1"), "web-1");
  EXPECT_EQ(EncodePathSegment("a/b c"), "a%2Fb%20c");
  EXPECT_EQ(CodeFromName("NOT_FOUND"), Code::kNotFound);
  EXPECT_EQ(CodeFromName("ALREADY_EXISTS"), Code::kAlreadyExists);
  EXPECT_EQ(CodeFromName("nonsense"), Code::kUnknown);
}

}  // namespace
}  // namespace teecloud::node
