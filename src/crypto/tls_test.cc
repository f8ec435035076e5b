#include "crypto/tls.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

#include "crypto/x509_builder.h"

namespace teecloud::crypto {
namespace {

constexpr UnixTime kStart = 1735689600;  // 2025-01-01
constexpr UnixTime kEnd = 2051222400;    // 2035-01-01

struct Identity {
  EcPrivateKey key;
  Certificate cert;
};

Identity SelfSigned(const std::string& cn, Curve curve = Curve::kP256) {
  auto key = EcPrivateKey::Generate(curve);
  TEECLOUD_CHECK(key.has_value());
  CertificateSpec spec;
  spec.subject = {{"CN", cn}};
  spec.not_before = kStart;
  spec.not_after = kEnd;
  spec.digital_signature = true;
  spec.extended_key_usage = {"serverAuth", "clientAuth"};
  spec.dns_names = {cn};
  auto cert = IssueCertificate(spec, key->PublicKey(), nullptr, *key);
  TEECLOUD_CHECK(cert.has_value());
  return Identity{*key, *cert};
}

// Closes both ends on destruction.
struct Sockets {
  int client = -1;
  int server = -1;
  ~Sockets() {
    if (client >= 0) close(client);
    if (server >= 0) close(server);
  }
};

void MakeSocketPair(Sockets& s) {
  int fds[2];
  TEECLOUD_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  s.client = fds[0];
  s.server = fds[1];
}

// A loopback TCP connection: client connected to an accepted server socket.
void MakeTcpPair(Sockets& s) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  TEECLOUD_CHECK(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  TEECLOUD_CHECK(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  TEECLOUD_CHECK(listen(listener, 1) == 0);
  socklen_t len = sizeof(addr);
  TEECLOUD_CHECK(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  s.client = socket(AF_INET, SOCK_STREAM, 0);
  TEECLOUD_CHECK(s.client >= 0);
  TEECLOUD_CHECK(connect(s.client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  s.server = accept(listener, nullptr, nullptr);
  TEECLOUD_CHECK(s.server >= 0);
  close(listener);
}

// Accepts exactly the certificate `expected` as the peer's leaf.
PeerVerifier ExpectLeaf(const Certificate& expected) {
  return [der = expected.der()](const std::vector<Certificate>& chain) -> Status {
    if (chain.empty()) return Unauthenticated("no peer certificate");
    if (chain[0].der() != der) return Unauthenticated("unexpected peer certificate");
    return OkStatus();
  };
}

TlsOptions Options(const Identity& own, PeerVerifier verify) {
  TlsOptions o;
  o.certificate_chain = {own.cert};
  o.private_key = own.key;
  o.verify_peer = std::move(verify);
  return o;
}

std::string ReadString(TlsConnection& c, size_t n) {
  std::string out;
  while (out.size() < n) {
    uint8_t buf[4096];
    auto got = c.Read(buf, std::min(sizeof(buf), n - out.size()));
    if (!got || *got == 0) break;
    out.append(reinterpret_cast<const char*>(buf), *got);
  }
  return out;
}

void MutualHandshake(Sockets& s) {
  const Identity server_id = SelfSigned("server.test");
  const Identity client_id = SelfSigned("client.test", Curve::kP384);

  auto server = std::async(std::launch::async, [&] {
    TlsOptions o = Options(server_id, ExpectLeaf(client_id.cert));
    o.require_client_certificate = true;
    auto conn = TlsConnection::Accept(s.server, o);
    if (!conn) return conn.error().ToString();
    EXPECT_EQ(conn->server_name(), "server.test");
    EXPECT_EQ(conn->peer_chain().size(), 1u);
    EXPECT_EQ(ReadString(*conn, 5), "hello");
    EXPECT_TRUE(conn->Write(AsBytes("world")).has_value());
    uint8_t buf[8];
    auto eof = conn->Read(buf, sizeof(buf));  // client's close_notify
    EXPECT_TRUE(eof.has_value() && *eof == 0);
    EXPECT_TRUE(conn->Shutdown().has_value());
    return std::string("ok");
  });

  TlsOptions o = Options(client_id, ExpectLeaf(server_id.cert));
  o.server_name = "server.test";
  auto conn = TlsConnection::Connect(s.client, o);
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  EXPECT_EQ(conn->protocol(), "TLSv1.3");
  EXPECT_FALSE(conn->cipher().empty());
  EXPECT_EQ(conn->server_name(), "server.test");
  ASSERT_EQ(conn->peer_chain().size(), 1u);
  EXPECT_EQ(conn->peer_chain()[0].der(), server_id.cert.der());
  ASSERT_TRUE(conn->Write(AsBytes("hello")).has_value());
  EXPECT_EQ(ReadString(*conn, 5), "world");
  EXPECT_TRUE(conn->Shutdown().has_value());
  uint8_t buf[8];
  auto eof = conn->Read(buf, sizeof(buf));
  EXPECT_TRUE(eof.has_value() && *eof == 0);
  EXPECT_EQ(server.get(), "ok");
}

TEST(TlsTest, MutualHandshakeOverSocketPair) {
  Sockets s;
  MakeSocketPair(s);
  MutualHandshake(s);
}

TEST(TlsTest, MutualHandshakeOverLoopbackTcp) {
  Sockets s;
  MakeTcpPair(s);
  MutualHandshake(s);
}

TEST(TlsTest, ServerOnlyAuthAndChainToRoot) {
  // Server presents leaf + intermediate; the client checks it against the root itself.
  auto root_key = EcPrivateKey::Generate(Curve::kP384);
  auto inter_key = EcPrivateKey::Generate(Curve::kP256);
  auto leaf_key = EcPrivateKey::Generate(Curve::kP256);
  ASSERT_TRUE(root_key && inter_key && leaf_key);
  CertificateSpec ca;
  ca.subject = {{"CN", "Root"}};
  ca.not_before = kStart;
  ca.not_after = kEnd;
  ca.is_ca = true;
  ca.key_cert_sign = true;
  auto root = IssueCertificate(ca, root_key->PublicKey(), nullptr, *root_key);
  ca.subject = {{"CN", "Intermediate"}};
  ASSERT_TRUE(root.has_value());
  auto inter = IssueCertificate(ca, inter_key->PublicKey(), &*root, *root_key);
  ASSERT_TRUE(inter.has_value());
  CertificateSpec leaf_spec;
  leaf_spec.subject = {{"CN", "leaf"}};
  leaf_spec.not_before = kStart;
  leaf_spec.not_after = kEnd;
  auto leaf = IssueCertificate(leaf_spec, leaf_key->PublicKey(), &*inter, *inter_key);
  ASSERT_TRUE(leaf.has_value());

  Sockets s;
  MakeSocketPair(s);
  auto server = std::async(std::launch::async, [&] {
    TlsOptions o;
    o.certificate_chain = {*leaf, *inter};
    o.private_key = *leaf_key;
    auto conn = TlsConnection::Accept(s.server, o);
    if (!conn) return conn.error().ToString();
    EXPECT_TRUE(conn->peer_chain().empty());
    EXPECT_EQ(conn->server_name(), "");
    EXPECT_TRUE(conn->Write(AsBytes("hi")).has_value());
    return std::string("ok");
  });
  TlsOptions o;
  o.verify_peer = [&](const std::vector<Certificate>& chain) {
    return VerifyChain(chain, {*root}, {.at = kStart + 1});
  };
  o.server_name = "127.0.0.1";  // IP literals are not sent as SNI
  auto conn = TlsConnection::Connect(s.client, o);
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  EXPECT_EQ(conn->server_name(), "");
  ASSERT_EQ(conn->peer_chain().size(), 2u);
  EXPECT_EQ(conn->peer_chain()[1].der(), inter->der());
  EXPECT_EQ(ReadString(*conn, 2), "hi");
  EXPECT_EQ(server.get(), "ok");
}

TEST(TlsTest, ClientCallbackRejectionFailsBothSides) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeSocketPair(s);
  auto server = std::async(std::launch::async, [&] {
    TlsOptions o = Options(server_id, nullptr);
    return TlsConnection::Accept(s.server, o);
  });
  TlsOptions o;
  o.verify_peer = [](const std::vector<Certificate>&) -> Status {
    return PermissionDenied("quote says no");
  };
  auto conn = TlsConnection::Connect(s.client, o);
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, Code::kPermissionDenied);
  EXPECT_EQ(conn.error().message, "quote says no");
  auto accepted = server.get();
  ASSERT_FALSE(accepted.has_value());
  EXPECT_EQ(accepted.error().code, Code::kUnauthenticated) << accepted.error().ToString();
  EXPECT_NE(accepted.error().message.find("alert"), std::string::npos)
      << accepted.error().ToString();
}

TEST(TlsTest, ServerCallbackRejectionFailsBothSides) {
  const Identity server_id = SelfSigned("server.test");
  const Identity client_id = SelfSigned("client.test");
  Sockets s;
  MakeSocketPair(s);
  auto server = std::async(std::launch::async, [&] {
    TlsOptions o = Options(server_id, [](const std::vector<Certificate>&) -> Status {
      return Unauthenticated("client quote rejected");
    });
    o.require_client_certificate = true;
    return TlsConnection::Accept(s.server, o);
  });
  auto conn = TlsConnection::Connect(s.client, Options(client_id, ExpectLeaf(server_id.cert)));
  auto accepted = server.get();
  ASSERT_FALSE(accepted.has_value());
  EXPECT_EQ(accepted.error().message, "client quote rejected");
  // TLS 1.3: the client may complete its side first; its next read sees the alert.
  if (conn.has_value()) {
    uint8_t buf[8];
    auto r = conn->Read(buf, sizeof(buf));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Code::kUnauthenticated) << r.error().ToString();
  }
}

TEST(TlsTest, MissingClientCertificateIsRefused) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeSocketPair(s);
  bool called = false;
  auto server = std::async(std::launch::async, [&] {
    TlsOptions o = Options(server_id, [&](const std::vector<Certificate>&) -> Status {
      called = true;
      return OkStatus();
    });
    o.require_client_certificate = true;
    return TlsConnection::Accept(s.server, o);
  });
  TlsOptions o;
  o.verify_peer = ExpectLeaf(server_id.cert);
  auto conn = TlsConnection::Connect(s.client, o);
  auto accepted = server.get();
  ASSERT_FALSE(accepted.has_value());
  EXPECT_EQ(accepted.error().code, Code::kUnauthenticated) << accepted.error().ToString();
  EXPECT_FALSE(called);
  if (conn.has_value()) {
    uint8_t buf[8];
    EXPECT_FALSE(conn->Read(buf, sizeof(buf)).has_value());
  }
}

TEST(TlsTest, GarbageFromClientIsAnError) {
  const Identity server_id = SelfSigned("server.test");
  for (const std::string& garbage :
       {std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), std::string(5000, '\x16'),
        std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10), std::string()}) {
    Sockets s;
    MakeSocketPair(s);
    auto server = std::async(std::launch::async, [&] {
      return TlsConnection::Accept(s.server, Options(server_id, nullptr));
    });
    if (!garbage.empty()) {
      ASSERT_EQ(write(s.client, garbage.data(), garbage.size()),
                static_cast<ssize_t>(garbage.size()));
    }
    shutdown(s.client, SHUT_WR);
    auto accepted = server.get();
    ASSERT_FALSE(accepted.has_value());
    EXPECT_TRUE(accepted.error().code == Code::kUnauthenticated ||
                accepted.error().code == Code::kUnavailable)
        << accepted.error().ToString();
  }
}

TEST(TlsTest, GarbageFromServerIsAnError) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeSocketPair(s);
  std::thread peer([&] {
    char buf[4096];
    (void)read(s.server, buf, sizeof(buf));  // the ClientHello
    const std::string reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
    (void)write(s.server, reply.data(), reply.size());
    shutdown(s.server, SHUT_WR);
  });
  TlsOptions o;
  o.verify_peer = ExpectLeaf(server_id.cert);
  auto conn = TlsConnection::Connect(s.client, o);
  peer.join();
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, Code::kUnauthenticated) << conn.error().ToString();
}

TEST(TlsTest, GarbageAfterHandshakeIsAnError) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeSocketPair(s);
  auto server = std::async(std::launch::async, [&] {
    auto conn = TlsConnection::Accept(s.server, Options(server_id, nullptr));
    if (!conn) return conn.error().ToString();
    // Raw bytes on the socket, outside any TLS record the client could accept.
    const std::string junk(100, '\x17');
    (void)write(s.server, junk.data(), junk.size());
    return std::string("ok");
  });
  TlsOptions o;
  o.verify_peer = ExpectLeaf(server_id.cert);
  auto conn = TlsConnection::Connect(s.client, o);
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  EXPECT_EQ(server.get(), "ok");
  uint8_t buf[64];
  auto r = conn->Read(buf, sizeof(buf));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnauthenticated) << r.error().ToString();
}

TEST(TlsTest, TruncationAndClosedPeer) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeSocketPair(s);
  auto server = std::async(std::launch::async, [&] {
    auto conn = TlsConnection::Accept(s.server, Options(server_id, nullptr));
    EXPECT_TRUE(conn.has_value());
    close(s.server);  // no close_notify
    s.server = -1;
  });
  TlsOptions o;
  o.verify_peer = ExpectLeaf(server_id.cert);
  auto conn = TlsConnection::Connect(s.client, o);
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  server.get();
  uint8_t buf[64];
  auto r = conn->Read(buf, sizeof(buf));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kUnavailable) << r.error().ToString();
  // Writing to a closed peer returns an error (EPIPE), never SIGPIPE.
  const Bytes chunk(64 * 1024, 0x42);
  Status w = OkStatus();
  for (int i = 0; i < 64 && w; ++i) w = conn->Write(chunk);
  EXPECT_FALSE(w.has_value());
}

TEST(TlsTest, SocketTimeoutIsDeadlineExceeded) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeSocketPair(s);
  timeval tv{0, 100000};  // 100 ms
  ASSERT_EQ(setsockopt(s.client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
  TlsOptions o;
  o.verify_peer = ExpectLeaf(server_id.cert);
  auto conn = TlsConnection::Connect(s.client, o);  // the server never answers
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, Code::kDeadlineExceeded) << conn.error().ToString();
}

TEST(TlsTest, LargeTransferAndTls12Floor) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeTcpPair(s);
  const std::string payload(1 << 20, 'x');
  auto server = std::async(std::launch::async, [&] {
    TlsOptions o = Options(server_id, nullptr);
    o.allow_tls12 = true;
    auto conn = TlsConnection::Accept(s.server, o);
    if (!conn) return conn.error().ToString();
    return ReadString(*conn, payload.size()) == payload ? std::string("ok") : "mismatch";
  });
  TlsOptions o;
  o.allow_tls12 = true;
  o.verify_peer = ExpectLeaf(server_id.cert);
  auto conn = TlsConnection::Connect(s.client, o);
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  EXPECT_EQ(conn->protocol(), "TLSv1.3");  // 1.2 is only a floor
  ASSERT_TRUE(conn->Write(AsBytes(payload)).has_value());
  EXPECT_EQ(server.get(), "ok");
}

TEST(TlsTest, RejectsUnusableOptions) {
  const Identity id = SelfSigned("a.test");
  const Identity other = SelfSigned("b.test");
  Sockets s;
  MakeSocketPair(s);
  TlsOptions o;
  auto r = TlsConnection::Accept(s.server, o);  // no certificate
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  r = TlsConnection::Connect(s.client, o);  // no verifier
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  o = Options(id, nullptr);
  o.require_client_certificate = true;  // needs a verifier
  r = TlsConnection::Accept(s.server, o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  o = Options(id, nullptr);
  o.private_key = other.key;  // key does not match
  r = TlsConnection::Accept(s.server, o);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  o = Options(id, nullptr);
  o.private_key.reset();
  r = TlsConnection::Accept(s.server, o);
  ASSERT_FALSE(r.has_value());
  r = TlsConnection::Connect(-1, Options(id, ExpectLeaf(other.cert)));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
}

TEST(TlsTest, ThrowingCallbackIsAnError) {
  const Identity server_id = SelfSigned("server.test");
  Sockets s;
  MakeSocketPair(s);
  auto server = std::async(std::launch::async, [&] {
    return TlsConnection::Accept(s.server, Options(server_id, nullptr));
  });
  TlsOptions o;
  o.verify_peer = [](const std::vector<Certificate>&) -> Status { throw std::runtime_error("x"); };
  auto conn = TlsConnection::Connect(s.client, o);
  ASSERT_FALSE(conn.has_value());
  EXPECT_EQ(conn.error().code, Code::kInternal);
  EXPECT_FALSE(server.get().has_value());
}

}  // namespace
}  // namespace teecloud::crypto
