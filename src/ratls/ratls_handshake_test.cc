// RA-TLS end to end: certificates carrying REAL simulated TDX quotes (tee::SimAttester), mutual
// TLS over loopback TCP (crypto::TlsConnection), each side verifying the other with
// RaTlsVerifier. Also writes the fuzz seed corpus when TEECLOUD_RATLS_CORPUS_OUT is set.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

#include "attest/dcap/quote.h"
#include "crypto/der.h"
#include "crypto/hash.h"
#include "crypto/tls.h"
#include "crypto/x509_builder.h"
#include "ratls/ratls.h"
#include "tee/sim_attester.h"
#include "testing/testing.h"

namespace teecloud::ratls {
namespace {

namespace fs = std::filesystem;
using attest::eventlog::RuntimeEvent;

constexpr UnixTime kNow = 1751328000;  // 2025-07-01T00:00:00Z
constexpr UnixTime kDay = 86400;

// What one simulated CVM measured at boot.
struct BootIdentity {
  Bytes app_id = Bytes(20, 0xa1);
  Bytes manifest_hash = Bytes(32, 0xc0);
  Bytes instance_id = Bytes(20, 0x1d);
  std::string key_provider = "kms";
  bool system_ready = true;
  bool with_app_id = true;
  // Events the app emits after system-ready.
  std::vector<std::pair<std::string, Bytes>> app_events;
};

// A node's RA-TLS credentials.
struct Node {
  crypto::EcPrivateKey key;
  crypto::Certificate cert;
  RaTlsEvidence evidence;
};

class RaTlsHandshakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir() + "/sim");
    tee::SimInitOptions o;
    o.now = kNow;
    o.validity_days = 30;
    auto s = tee::InitSimDir(*dir_, o);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(fs::path(*dir_).parent_path(), ec);
    delete dir_;
    dir_ = nullptr;
  }

  static tee::SimTrust Trust() {
    auto t = tee::LoadSimTrust(*dir_);
    TEECLOUD_CHECK(t.has_value());
    return std::move(*t);
  }

  static VerifierSettings SimSettings() {
    tee::SimTrust t = Trust();
    VerifierSettings s;
    s.trust = std::move(t.trust);
    s.collateral = std::move(t.collateral);
    return s;
  }

  // A fresh simulated CVM that measured `boot`.
  static std::unique_ptr<tee::SimAttester> Boot(const BootIdentity& boot) {
    auto a = tee::SimAttester::Open(*dir_);
    TEECLOUD_CHECK(a.has_value());
    auto extend = [&](const std::string& name, ByteView payload) {
      auto ev = (*a)->ExtendRuntimeEvent(3, name, payload);
      TEECLOUD_CHECK(ev.has_value());
    };
    extend("system-preparing", {});
    if (boot.with_app_id) extend("app-id", boot.app_id);
    extend("compose-hash", boot.manifest_hash);
    extend("instance-id", boot.instance_id);
    extend("boot-mr-done", {});
    extend("key-provider", AsBytes(boot.key_provider));
    if (boot.system_ready) extend("system-ready", {});
    for (const auto& [name, payload] : boot.app_events) extend(name, payload);
    return std::move(*a);
  }

  static std::string EventLogJson(tee::Attester& a) {
    auto events = a.ReadEventLog();
    TEECLOUD_CHECK(events.has_value());
    return DumpJson(attest::eventlog::RuntimeEventLogToJson(*events));
  }

  static crypto::CertificateSpec LeafSpec(const std::string& cn) {
    crypto::CertificateSpec spec;
    spec.subject = {{"CN", cn}};
    spec.not_before = kNow - kDay;
    spec.not_after = kNow + 10 * kDay;
    spec.digital_signature = true;
    spec.extended_key_usage = {"serverAuth", "clientAuth"};
    spec.dns_names = {cn};
    return spec;
  }

  // Evidence for `key` from `attester`: quote over ReportDataForKey(SPKI) plus its event log.
  static RaTlsEvidence EvidenceFor(tee::Attester& attester, const crypto::EcPublicKey& key) {
    const auto rd = ReportDataForKey(key.SpkiDer());
    auto quote = attester.GetQuote(rd);
    TEECLOUD_CHECK(quote.has_value());
    RaTlsEvidence ev;
    ev.quote = std::move(*quote);
    ev.event_log_json = EventLogJson(attester);
    ev.usage = "ra-tls";
    return ev;
  }

  static Node MakeNode(const BootIdentity& boot, const std::string& cn) {
    auto key = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
    TEECLOUD_CHECK(key.has_value());
    auto attester = Boot(boot);
    RaTlsEvidence ev = EvidenceFor(*attester, key->PublicKey());
    ev.app_id = boot.with_app_id ? boot.app_id : Bytes{};
    auto cert = IssueRaTlsCertificate(LeafSpec(cn), key->PublicKey(), ev, nullptr, *key);
    EXPECT_TRUE(cert.has_value()) << cert.error().ToString();
    TEECLOUD_CHECK(cert.has_value());
    return Node{*key, *cert, ev};
  }

  // A certificate for `key` carrying arbitrary evidence (bypasses IssueRaTlsCertificate's
  // binding check, as an attacker would).
  static crypto::Certificate ForgeCert(const crypto::EcPrivateKey& key, const RaTlsEvidence& ev) {
    crypto::CertificateSpec spec = LeafSpec("forged.test");
    spec.extensions = RaTlsExtensions(ev);
    auto cert = crypto::IssueCertificate(spec, key.PublicKey(), nullptr, key);
    TEECLOUD_CHECK(cert.has_value());
    return *cert;
  }

  static inline std::string* dir_ = nullptr;
};

// Loopback TCP pair; both ends closed on destruction.
struct TcpPair {
  int client = -1;
  int server = -1;
  TcpPair() {
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    TEECLOUD_CHECK(listener >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    TEECLOUD_CHECK(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    TEECLOUD_CHECK(listen(listener, 1) == 0);
    socklen_t len = sizeof(addr);
    TEECLOUD_CHECK(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    client = socket(AF_INET, SOCK_STREAM, 0);
    TEECLOUD_CHECK(client >= 0);
    TEECLOUD_CHECK(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    server = accept(listener, nullptr, nullptr);
    TEECLOUD_CHECK(server >= 0);
    close(listener);
  }
  ~TcpPair() {
    close(client);
    close(server);
  }
};

struct HandshakeOutcome {
  Result<crypto::TlsConnection> client = tl::unexpected(Error{});
  Result<crypto::TlsConnection> server = tl::unexpected(Error{});
  std::shared_ptr<std::optional<PeerIdentity>> client_saw =
      std::make_shared<std::optional<PeerIdentity>>();
  std::shared_ptr<std::optional<PeerIdentity>> server_saw =
      std::make_shared<std::optional<PeerIdentity>>();
};

// Mutual RA-TLS over loopback TCP. The client verifies with `client_verifier`, the server with
// `server_verifier`; after a successful handshake one message goes each way, so that a server
// rejection (which TLS 1.3 reports to the client only on its next read) shows up in `client`.
void Handshake(const Node& client_node, const Node& server_node,
               const RaTlsVerifier& client_verifier, const RaTlsVerifier& server_verifier,
               HandshakeOutcome& out) {
  TcpPair tcp;
  auto server = std::async(std::launch::async, [&] {
    crypto::TlsOptions o;
    o.certificate_chain = {server_node.cert};
    o.private_key = server_node.key;
    o.require_client_certificate = true;
    o.verify_peer = MakeRaTlsPeerVerifier(server_verifier, out.server_saw);
    auto conn = crypto::TlsConnection::Accept(tcp.server, o);
    if (conn) {
      uint8_t buf[4];
      auto r = conn->Read(buf, sizeof(buf));
      if (r && *r > 0) (void)conn->Write(AsBytes("pong"));
    }
    return conn;
  });
  crypto::TlsOptions o;
  o.certificate_chain = {client_node.cert};
  o.private_key = client_node.key;
  o.server_name = "server.test";
  o.verify_peer = MakeRaTlsPeerVerifier(client_verifier, out.client_saw);
  out.client = crypto::TlsConnection::Connect(tcp.client, o);
  if (out.client) {
    Status s = out.client->Write(AsBytes("ping"));
    uint8_t buf[4];
    Result<size_t> r =
        s ? out.client->Read(buf, sizeof(buf)) : Result<size_t>(tl::unexpected(s.error()));
    if (!r) {
      out.client = tl::unexpected(r.error());
    } else if (*r == 0) {
      out.client = tl::unexpected(Error{Code::kUnavailable, "closed"});
    }
  }
  out.server = server.get();
}

TEST_F(RaTlsHandshakeTest, MutualHandshakeWithSimQuotes) {
  BootIdentity server_boot;
  server_boot.app_id = Bytes(20, 0x5e);
  server_boot.manifest_hash = Bytes(32, 0x11);
  server_boot.key_provider = "local";
  BootIdentity client_boot;
  client_boot.app_events = {{"app-started", ToBytes(std::string_view("v1"))}};
  const Node server = MakeNode(server_boot, "server.test");
  const Node client = MakeNode(client_boot, "client.test");
  FakeClock clock(kNow + 3600);
  RaTlsVerifier verifier(SimSettings(), clock);

  HandshakeOutcome out;
  Handshake(client, server, verifier, verifier, out);
  ASSERT_TRUE(out.client.has_value()) << out.client.error().ToString();
  ASSERT_TRUE(out.server.has_value()) << out.server.error().ToString();

  ASSERT_TRUE(out.client_saw->has_value());
  const PeerIdentity& s = **out.client_saw;
  EXPECT_EQ(s.app_id, server_boot.app_id);
  EXPECT_EQ(s.manifest_hash, server_boot.manifest_hash);
  EXPECT_EQ(s.instance_id, server_boot.instance_id);
  EXPECT_EQ(s.key_provider, "local");
  EXPECT_TRUE(s.system_ready);
  EXPECT_TRUE(s.quote.valid);
  EXPECT_TRUE(s.quote.simulated);

  ASSERT_TRUE(out.server_saw->has_value());
  const PeerIdentity& c = **out.server_saw;
  EXPECT_EQ(c.app_id, client_boot.app_id);
  EXPECT_EQ(c.manifest_hash, client_boot.manifest_hash);
  EXPECT_EQ(c.key_provider, "kms");
  ASSERT_FALSE(c.events.empty());
  EXPECT_EQ(c.events.back().event, "app-started");

  const OrderedJson j = PeerIdentityToJson(c);
  EXPECT_EQ(j["tee"], "simulated");
  EXPECT_EQ(j["app_id"], ToHex(client_boot.app_id));
  EXPECT_EQ(j["manifest_hash"], ToHex(client_boot.manifest_hash));
  EXPECT_EQ(j["key_provider"], "kms");
  EXPECT_EQ(j["system_ready"], true);
  EXPECT_EQ(j["quote"]["valid"], true);
  EXPECT_EQ(j["event_log"].size(), c.events.size());
}

TEST_F(RaTlsHandshakeTest, WrongBindingIsRefused) {
  // The server's certificate carries a genuine quote, but one made for a different key.
  const Node honest = MakeNode({}, "server.test");
  auto other_key = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  ASSERT_TRUE(other_key.has_value());
  Node thief{*other_key, ForgeCert(*other_key, honest.evidence), honest.evidence};
  // IssueRaTlsCertificate refuses to make such a certificate in the first place.
  auto refused = IssueRaTlsCertificate(LeafSpec("x"), other_key->PublicKey(), honest.evidence,
                                       nullptr, *other_key);
  ASSERT_FALSE(refused.has_value());

  const Node client = MakeNode({}, "client.test");
  FakeClock clock(kNow + 3600);
  RaTlsVerifier verifier(SimSettings(), clock);
  HandshakeOutcome out;
  Handshake(client, thief, verifier, verifier, out);
  ASSERT_FALSE(out.client.has_value());
  EXPECT_EQ(out.client.error().code, Code::kUnauthenticated);
  EXPECT_NE(out.client.error().message.find("does not bind"), std::string::npos)
      << out.client.error().ToString();
  EXPECT_FALSE(out.server.has_value());
  EXPECT_FALSE(out.client_saw->has_value());

  // The same the other way round: a client with a stolen quote is refused by the server.
  HandshakeOutcome back;
  Handshake(thief, client, verifier, verifier, back);
  ASSERT_FALSE(back.server.has_value());
  EXPECT_NE(back.server.error().message.find("does not bind"), std::string::npos)
      << back.server.error().ToString();
  EXPECT_FALSE(back.client.has_value());
  EXPECT_FALSE(back.server_saw->has_value());
}

TEST_F(RaTlsHandshakeTest, TamperedEventLogIsRefused) {
  const BootIdentity boot;
  auto key = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  ASSERT_TRUE(key.has_value());
  auto attester = Boot(boot);
  RaTlsEvidence ev = EvidenceFor(*attester, key->PublicKey());

  // Claim another manifest: a self-consistent entry (digest recomputed) that the quote's RTMR3
  // does not reflect.
  auto events = attest::eventlog::ParseRuntimeEventLog(ev.event_log_json);
  ASSERT_TRUE(events.has_value());
  bool replaced = false;
  for (RuntimeEvent& e : *events) {
    if (e.event == "compose-hash") {
      e = attest::eventlog::MakeRuntimeEvent("compose-hash", Bytes(32, 0xee));
      replaced = true;
    }
  }
  ASSERT_TRUE(replaced);
  RaTlsEvidence tampered = ev;
  tampered.event_log_json = DumpJson(attest::eventlog::RuntimeEventLogToJson(*events));
  auto cert =
      IssueRaTlsCertificate(LeafSpec("server.test"), key->PublicKey(), tampered, nullptr, *key);
  ASSERT_TRUE(cert.has_value()) << cert.error().ToString();
  const Node server{*key, *cert, tampered};

  const Node client = MakeNode({}, "client.test");
  FakeClock clock(kNow + 3600);
  RaTlsVerifier verifier(SimSettings(), clock);
  HandshakeOutcome out;
  Handshake(client, server, verifier, verifier, out);
  ASSERT_FALSE(out.client.has_value());
  EXPECT_EQ(out.client.error().code, Code::kUnauthenticated);
  EXPECT_NE(out.client.error().message.find("RTMR3"), std::string::npos)
      << out.client.error().ToString();
  EXPECT_FALSE(out.server.has_value());

  // Dropping an event, or an event whose digest does not match its content, fails too.
  auto original = attest::eventlog::ParseRuntimeEventLog(ev.event_log_json);
  ASSERT_TRUE(original.has_value());
  auto dropped = *original;
  dropped.pop_back();
  RaTlsEvidence short_log = ev;
  short_log.event_log_json = DumpJson(attest::eventlog::RuntimeEventLogToJson(dropped));
  auto r = verifier.Verify({ForgeCert(*key, short_log)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
  auto bad_digest = *original;
  bad_digest.back().payload = ToBytes(std::string_view("x"));
  RaTlsEvidence inconsistent = ev;
  inconsistent.event_log_json = DumpJson(attest::eventlog::RuntimeEventLogToJson(bad_digest));
  r = verifier.Verify({ForgeCert(*key, inconsistent)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
  // No event log at all.
  RaTlsEvidence no_log = ev;
  no_log.event_log_json.clear();
  r = verifier.Verify({ForgeCert(*key, no_log)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
}

TEST_F(RaTlsHandshakeTest, IntelTrustRefusesSimQuotes) {
  const Node server = MakeNode({}, "server.test");
  const Node client = MakeNode({}, "client.test");
  FakeClock clock(kNow + 3600);
  VerifierSettings intel = SimSettings();
  intel.trust = attest::dcap::IntelTrust();  // no sim root
  RaTlsVerifier strict(std::move(intel), clock);
  RaTlsVerifier sim(SimSettings(), clock);

  HandshakeOutcome out;
  Handshake(client, server, strict, sim, out);
  ASSERT_FALSE(out.client.has_value());
  EXPECT_EQ(out.client.error().code, Code::kUnauthenticated);
  EXPECT_NE(out.client.error().message.find("quote verification failed"), std::string::npos)
      << out.client.error().ToString();
  EXPECT_FALSE(out.server.has_value());

  HandshakeOutcome back;
  Handshake(client, server, sim, strict, back);
  ASSERT_FALSE(back.server.has_value());
  EXPECT_NE(back.server.error().message.find("quote verification failed"), std::string::npos);
  EXPECT_FALSE(back.client.has_value());
}

TEST_F(RaTlsHandshakeTest, IdentityCheckCanRefuse) {
  const Node server = MakeNode({}, "server.test");
  const Node client = MakeNode({}, "client.test");
  FakeClock clock(kNow + 3600);
  RaTlsVerifier verifier(SimSettings(), clock);
  TcpPair tcp;
  auto accepted = std::async(std::launch::async, [&] {
    crypto::TlsOptions o;
    o.certificate_chain = {server.cert};
    o.private_key = server.key;
    return crypto::TlsConnection::Accept(tcp.server, o);
  });
  crypto::TlsOptions o;
  auto saw = std::make_shared<std::optional<PeerIdentity>>();
  o.verify_peer = MakeRaTlsPeerVerifier(verifier, saw, [](const PeerIdentity& id) -> Status {
    if (id.app_id != Bytes(20, 0x42)) return PermissionDenied("app not allowed");
    return OkStatus();
  });
  auto conn = crypto::TlsConnection::Connect(tcp.client, o);
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, Code::kPermissionDenied);
  EXPECT_EQ(conn.error().message, "app not allowed");
  EXPECT_FALSE(saw->has_value());
  EXPECT_FALSE(accepted.get().has_value());
}

TEST_F(RaTlsHandshakeTest, CertificateSignedByAppCa) {
  auto ca_key = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  ASSERT_TRUE(ca_key.has_value());
  crypto::CertificateSpec ca_spec;
  ca_spec.subject = {{"CN", "App CA"}};
  ca_spec.not_before = kNow - kDay;
  ca_spec.not_after = kNow + 365 * kDay;
  ca_spec.is_ca = true;
  ca_spec.key_cert_sign = true;
  auto ca = crypto::IssueCertificate(ca_spec, ca_key->PublicKey(), nullptr, *ca_key);
  ASSERT_TRUE(ca.has_value());

  auto key = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  ASSERT_TRUE(key.has_value());
  auto attester = Boot({});
  const RaTlsEvidence ev = EvidenceFor(*attester, key->PublicKey());
  auto leaf = IssueRaTlsCertificate(LeafSpec("app.test"), key->PublicKey(), ev, &*ca, *ca_key);
  ASSERT_TRUE(leaf.has_value()) << leaf.error().ToString();
  EXPECT_TRUE(crypto::VerifyChain({*leaf}, {*ca}, {.at = kNow}).has_value());

  FakeClock clock(kNow + 3600);
  RaTlsVerifier verifier(SimSettings(), clock);
  auto id = verifier.Verify({*leaf, *ca});
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->app_id, BootIdentity{}.app_id);
}

TEST_F(RaTlsHandshakeTest, IdentityComesFromBootEventsOnly) {
  // After system-ready an app may emit anything, even "compose-hash"; it must not count.
  BootIdentity boot;
  boot.app_events = {{"compose-hash", Bytes(32, 0x66)}, {"app-id", Bytes(20, 0x66)}};
  const Node node = MakeNode(boot, "a.test");
  FakeClock clock(kNow + 3600);
  RaTlsVerifier verifier(SimSettings(), clock);
  auto id = verifier.Verify({node.cert});
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->manifest_hash, boot.manifest_hash);
  EXPECT_EQ(id->app_id, boot.app_id);
  EXPECT_TRUE(id->system_ready);

  // Mid-boot (an agent asking the KMS for keys): no system-ready yet, identity still known.
  BootIdentity early;
  early.system_ready = false;
  auto early_id = verifier.Verify({MakeNode(early, "b.test").cert});
  ASSERT_TRUE(early_id.has_value()) << early_id.error().ToString();
  EXPECT_FALSE(early_id->system_ready);
  EXPECT_EQ(early_id->manifest_hash, early.manifest_hash);

  // Without an app-id event the peer has no identity to offer.
  BootIdentity anonymous;
  anonymous.with_app_id = false;
  auto none = verifier.Verify({MakeNode(anonymous, "c.test").cert});
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, Code::kPermissionDenied);
}

TEST_F(RaTlsHandshakeTest, AppIdExtensionMustMatchEventLog) {
  const BootIdentity boot;
  auto key = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  ASSERT_TRUE(key.has_value());
  auto attester = Boot(boot);
  RaTlsEvidence ev = EvidenceFor(*attester, key->PublicKey());
  ev.app_id = Bytes(20, 0x99);
  auto cert = IssueRaTlsCertificate(LeafSpec("a.test"), key->PublicKey(), ev, nullptr, *key);
  ASSERT_TRUE(cert.has_value());
  FakeClock clock(kNow + 3600);
  RaTlsVerifier verifier(SimSettings(), clock);
  auto r = verifier.Verify({*cert});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
}

TEST_F(RaTlsHandshakeTest, TimeAndPolicy) {
  const Node node = MakeNode({}, "a.test");
  // Leaf outside its validity window.
  FakeClock late(kNow + 20 * kDay);
  RaTlsVerifier v_late(SimSettings(), late);
  auto r = v_late.Verify({node.cert});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
  EXPECT_NE(r.error().message.find("validity"), std::string::npos);
  // Collateral expired (sim validity is 30 days) while the certificate is still valid: the
  // default policy refuses.
  crypto::CertificateSpec long_spec = LeafSpec("long.test");
  long_spec.not_after = kNow + 400 * kDay;
  auto cert =
      IssueRaTlsCertificate(long_spec, node.key.PublicKey(), node.evidence, nullptr, node.key);
  ASSERT_TRUE(cert.has_value());
  FakeClock much_later(kNow + 100 * kDay);
  RaTlsVerifier v_expired(SimSettings(), much_later);
  r = v_expired.Verify({*cert});
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().code == Code::kPermissionDenied || r.error().code == Code::kUnauthenticated)
      << r.error().ToString();
  // A policy pinning another MRTD refuses.
  FakeClock now(kNow + 3600);
  VerifierSettings pinned = SimSettings();
  pinned.policy.expected_measurements["mrtd"] = std::string(96, '0');
  RaTlsVerifier v_pinned(std::move(pinned), now);
  r = v_pinned.Verify({node.cert});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kPermissionDenied) << r.error().ToString();
  // Not an RA-TLS certificate; empty chain.
  RaTlsVerifier v(SimSettings(), now);
  r = v.Verify({});
  ASSERT_FALSE(r.has_value());
  auto key = crypto::EcPrivateKey::Generate(crypto::Curve::kP256);
  ASSERT_TRUE(key.has_value());
  auto plain = crypto::IssueCertificate(LeafSpec("plain"), key->PublicKey(), nullptr, *key);
  ASSERT_TRUE(plain.has_value());
  r = v.Verify({*plain});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated);
}

// Writes the fuzz seed corpus (fuzz/corpus/ratls): certificate DER files.
//   TEECLOUD_RATLS_CORPUS_OUT=fuzz/corpus/ratls build/tests/ratls_test --gtest_filter='*Corpus*'
TEST_F(RaTlsHandshakeTest, WriteFuzzCorpus) {
  const char* out = std::getenv("TEECLOUD_RATLS_CORPUS_OUT");
  if (out == nullptr) GTEST_SKIP() << "set TEECLOUD_RATLS_CORPUS_OUT to write the seed corpus";
  fs::create_directories(out);
  auto write = [&](const std::string& name, const Bytes& der) {
    std::ofstream f(fs::path(out) / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(der.data()), static_cast<std::streamsize>(der.size()));
  };
  BootIdentity boot;
  boot.app_events = {{"app-started", ToBytes(std::string_view("v1"))}};
  const Node node = MakeNode(boot, "seed.test");
  write("ratls_full.der", node.cert.der());
  RaTlsEvidence quote_only;
  quote_only.quote = node.evidence.quote;
  write("ratls_quote_only.der", ForgeCert(node.key, quote_only).der());
  crypto::CertificateSpec spec = LeafSpec("wrong-type.test");
  crypto::DerWriter utf8;
  utf8.Utf8String("not an octet string");
  spec.extensions = {{kOidQuote, false, utf8.bytes()},
                     {kOidCertUsage, false, {0x04, 0x02, 0xc3, 0x28}}};
  auto wrong = crypto::IssueCertificate(spec, node.key.PublicKey(), nullptr, node.key);
  ASSERT_TRUE(wrong.has_value());
  write("ratls_wrong_type.der", wrong->der());
  spec = LeafSpec("no-ratls.test");
  auto plain = crypto::IssueCertificate(spec, node.key.PublicKey(), nullptr, node.key);
  ASSERT_TRUE(plain.has_value());
  write("plain.der", plain->der());
}

}  // namespace
}  // namespace teecloud::ratls
