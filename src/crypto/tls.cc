// TLS over a connected socket with OpenSSL 3.0. Two choices shape this file:
//  - The certificate check is the caller's (SSL_CTX_set_cert_verify_callback replaces
//    X509_verify_cert entirely), so RA-TLS peers are judged by their quote, not by a CA store.
//  - Socket I/O goes through a small BIO of our own rather than BIO_s_socket: send() with
//    MSG_NOSIGNAL so a peer that disappears cannot kill the process with SIGPIPE, EINTR retried
//    in place, and EAGAIN (socket timeouts) told apart from hard errors.
#include "crypto/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace teecloud::crypto {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

// What the BIO observed on the socket during the last OpenSSL call.
struct SocketState {
  int fd = -1;
  bool eof = false;          // recv returned 0
  bool would_block = false;  // EAGAIN/EWOULDBLOCK: a socket timeout expired
  int last_errno = 0;        // a hard socket error
  void Reset() {
    eof = false;
    would_block = false;
    last_errno = 0;
  }
};

int SocketRead(BIO* bio, char* out, int len) {
  auto* s = static_cast<SocketState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (out == nullptr || len <= 0) return 0;
  for (;;) {
    const ssize_t n = recv(s->fd, out, static_cast<size_t>(len), 0);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      s->eof = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      s->would_block = true;
      BIO_set_retry_read(bio);
    } else {
      s->last_errno = errno;
    }
    return -1;
  }
}

int SocketWrite(BIO* bio, const char* in, int len) {
  auto* s = static_cast<SocketState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (in == nullptr || len <= 0) return 0;
  for (;;) {
    const ssize_t n = send(s->fd, in, static_cast<size_t>(len), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      s->would_block = true;
      BIO_set_retry_write(bio);
    } else {
      s->last_errno = errno;
    }
    return -1;
  }
}

long SocketCtrl(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
  // Writes go straight to the socket, so there is nothing to flush; every other control
  // (kTLS, pending counts, ...) is unsupported, which OpenSSL handles.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int SocketCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int SocketDestroy(BIO* bio) {
  // The SocketState belongs to the connection, the fd to the caller.
  BIO_set_data(bio, nullptr);
  return 1;
}

const BIO_METHOD* SocketMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "teecloud socket");
    TEECLOUD_CHECK(m != nullptr);
    TEECLOUD_CHECK(BIO_meth_set_read(m, SocketRead) == 1);
    TEECLOUD_CHECK(BIO_meth_set_write(m, SocketWrite) == 1);
    TEECLOUD_CHECK(BIO_meth_set_ctrl(m, SocketCtrl) == 1);
    TEECLOUD_CHECK(BIO_meth_set_create(m, SocketCreate) == 1);
    TEECLOUD_CHECK(BIO_meth_set_destroy(m, SocketDestroy) == 1);
    return m;
  }();
  return method;
}

bool IsIpLiteral(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// The reason string of the most recent OpenSSL error, and clears the queue.
std::string TakeOpenSslReason(unsigned long* code = nullptr) {
  const unsigned long e = ERR_peek_last_error();
  if (code != nullptr) *code = e;
  std::string reason;
  if (e != 0) {
    const char* r = ERR_reason_error_string(e);
    reason = r != nullptr ? r : "error " + std::to_string(ERR_GET_REASON(e));
  }
  ERR_clear_error();
  return reason.empty() ? "unknown error" : reason;
}

// The caller's peer check and what it saw; the verify callback's argument.
struct PeerCheck {
  PeerVerifier verify_peer;
  std::vector<Certificate> peer_chain;
  std::optional<Error> callback_error;
};

}  // namespace

struct TlsConnection::Impl {
  SocketState socket;
  SslCtxPtr ctx;
  SslPtr ssl;
  PeerCheck check;
  std::string sent_server_name;

  // Maps a failed SSL_* call to an Error. `what` names the operation ("handshake", "read").
  Error FailureFor(int ret, std::string_view what) {
    const int err = SSL_get_error(ssl.get(), ret);
    const std::string prefix = "TLS " + std::string(what) + ": ";
    if (check.callback_error) {
      Error e = *check.callback_error;
      ERR_clear_error();
      return e;
    }
    switch (err) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        ERR_clear_error();
        return Error{Code::kDeadlineExceeded, prefix + "socket timed out"};
      case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return Error{Code::kUnavailable, prefix + "peer closed the TLS session"};
      case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (socket.last_errno != 0) {
          return Error{Code::kUnavailable,
                       prefix + "socket error: " + std::strerror(socket.last_errno)};
        }
        return Error{Code::kUnavailable, prefix + "connection closed by peer"};
      default: {
        unsigned long code = 0;
        const std::string reason = TakeOpenSslReason(&code);
        if (socket.last_errno != 0) {
          return Error{Code::kUnavailable,
                       prefix + "socket error: " + std::strerror(socket.last_errno)};
        }
        if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
            ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
          return Error{Code::kUnavailable, prefix + "connection closed without close_notify"};
        }
        return Error{Code::kUnauthenticated, prefix + reason};
      }
    }
  }
};

namespace {

// Replaces OpenSSL's chain verification: collects the peer's certificates as sent and asks the
// caller. `arg` is the connection's PeerCheck (one SSL_CTX per connection).
int VerifyPeer(X509_STORE_CTX* store, void* arg) {
  auto* check = static_cast<PeerCheck*>(arg);
  std::vector<Certificate> chain;
  auto add = [&chain](X509* x) -> Status {
    unsigned char* der = nullptr;
    const int len = i2d_X509(x, &der);
    if (len <= 0) return Internal("cannot encode peer certificate");
    Bytes bytes(der, der + len);
    OPENSSL_free(der);
    ASSIGN_OR_RETURN(Certificate cert, Certificate::FromDer(bytes));
    chain.push_back(std::move(cert));
    return OkStatus();
  };
  Status status = OkStatus();
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (leaf == nullptr) {
    status = Unauthenticated("peer sent no certificate");
  } else {
    status = add(leaf);
    STACK_OF(X509)* rest = X509_STORE_CTX_get0_untrusted(store);
    const int n = rest != nullptr ? sk_X509_num(rest) : 0;
    for (int i = 0; status && i < n; ++i) {
      X509* x = sk_X509_value(rest, i);
      if (x == leaf) continue;  // OpenSSL passes the whole peer chain, leaf included
      status = add(x);
    }
  }
  if (status) {
    if (!check->verify_peer) {
      status = Internal("no peer verifier configured");
    } else {
      // The callback runs inside OpenSSL's C frames: nothing may unwind through them.
      try {
        status = check->verify_peer(chain);
      } catch (...) {
        status = Internal("peer verifier threw an exception");
      }
    }
  }
  if (!status) {
    check->callback_error = status.error();
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  check->peer_chain = std::move(chain);
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

}  // namespace

TlsConnection::TlsConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsConnection::TlsConnection(TlsConnection&&) noexcept = default;
TlsConnection& TlsConnection::operator=(TlsConnection&&) noexcept = default;
TlsConnection::~TlsConnection() = default;

Result<TlsConnection> TlsConnection::Connect(int fd, const TlsOptions& options) {
  return Handshake(fd, options, /*server=*/false);
}

Result<TlsConnection> TlsConnection::Accept(int fd, const TlsOptions& options) {
  return Handshake(fd, options, /*server=*/true);
}

Result<TlsConnection> TlsConnection::Handshake(int fd, const TlsOptions& options, bool server) {
  if (fd < 0) return InvalidArgument("TLS: invalid socket");
  if (options.certificate_chain.empty() != !options.private_key.has_value()) {
    return InvalidArgument("TLS: certificate chain and private key must be given together");
  }
  if (server && options.certificate_chain.empty()) {
    return InvalidArgument("TLS server needs a certificate and key");
  }
  const bool check_peer = !server || options.require_client_certificate;
  if (check_peer && !options.verify_peer) {
    return InvalidArgument("TLS: a peer verifier is required");
  }

  auto impl = std::make_unique<Impl>();
  impl->socket.fd = fd;
  impl->check.verify_peer = options.verify_peer;
  impl->ctx.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!impl->ctx) return Internal("SSL_CTX_new failed: " + TakeOpenSslReason());
  SSL_CTX* ctx = impl->ctx.get();
  if (SSL_CTX_set_min_proto_version(ctx, options.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION) !=
          1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return Internal("TLS: cannot set protocol versions: " + TakeOpenSslReason());
  }
  // TLS 1.2 floor: forward-secret AEAD suites only (TLS 1.3 suites are AEAD by definition).
  if (options.allow_tls12 &&
      SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1) {
    return Internal("TLS: cannot set cipher list: " + TakeOpenSslReason());
  }
  if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
    return Internal("TLS: cannot set groups: " + TakeOpenSslReason());
  }
  // No resumption: every connection must run the peer check.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_num_tickets(ctx, 0);

  if (!options.certificate_chain.empty()) {
    X509* leaf = static_cast<X509*>(options.certificate_chain[0].native());
    if (SSL_CTX_use_certificate(ctx, leaf) != 1) {
      return InvalidArgument("TLS: unusable certificate: " + TakeOpenSslReason());
    }
    for (size_t i = 1; i < options.certificate_chain.size(); ++i) {
      if (SSL_CTX_add1_chain_cert(ctx, static_cast<X509*>(options.certificate_chain[i].native())) !=
          1) {
        return InvalidArgument("TLS: unusable chain certificate: " + TakeOpenSslReason());
      }
    }
    if (SSL_CTX_use_PrivateKey(ctx, static_cast<EVP_PKEY*>(options.private_key->native())) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      return InvalidArgument("TLS: private key does not match the certificate");
    }
  }

  int mode = SSL_VERIFY_NONE;
  if (!server) mode = SSL_VERIFY_PEER;
  if (server && options.require_client_certificate) {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, VerifyPeer, &impl->check);

  impl->ssl.reset(SSL_new(ctx));
  if (!impl->ssl) return Internal("SSL_new failed: " + TakeOpenSslReason());
  SSL* ssl = impl->ssl.get();
  BIO* bio = BIO_new(SocketMethod());
  if (bio == nullptr) return Internal("BIO_new failed: " + TakeOpenSslReason());
  BIO_set_data(bio, &impl->socket);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by ssl

  if (!server && !options.server_name.empty() && !IsIpLiteral(options.server_name)) {
    if (SSL_set_tlsext_host_name(ssl, options.server_name.c_str()) != 1) {
      ERR_clear_error();
      return InvalidArgument("TLS: invalid server name '" + options.server_name + "'");
    }
    impl->sent_server_name = options.server_name;
  }
  if (server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  impl->socket.Reset();
  const int ret = SSL_do_handshake(ssl);
  if (ret != 1) return tl::unexpected(impl->FailureFor(ret, "handshake"));
  ERR_clear_error();
  return TlsConnection(std::move(impl));
}

Result<size_t> TlsConnection::Read(uint8_t* buf, size_t n) {
  if (n == 0) return size_t{0};
  impl_->socket.Reset();
  size_t got = 0;
  if (SSL_read_ex(impl_->ssl.get(), buf, n, &got) == 1) return got;
  if (SSL_get_error(impl_->ssl.get(), 0) == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return size_t{0};
  }
  return tl::unexpected(impl_->FailureFor(0, "read"));
}

Status TlsConnection::Write(ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    impl_->socket.Reset();
    size_t wrote = 0;
    if (SSL_write_ex(impl_->ssl.get(), data.data() + done, data.size() - done, &wrote) != 1) {
      return tl::unexpected(impl_->FailureFor(0, "write"));
    }
    done += wrote;
  }
  return OkStatus();
}

Status TlsConnection::Shutdown() {
  impl_->socket.Reset();
  const int ret = SSL_shutdown(impl_->ssl.get());
  if (ret >= 0) {
    ERR_clear_error();
    return OkStatus();
  }
  return tl::unexpected(impl_->FailureFor(ret, "shutdown"));
}

const std::vector<Certificate>& TlsConnection::peer_chain() const {
  return impl_->check.peer_chain;
}

std::string TlsConnection::server_name() const {
  if (!SSL_is_server(impl_->ssl.get())) return impl_->sent_server_name;
  const char* name = SSL_get_servername(impl_->ssl.get(), TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : "";
}

std::string TlsConnection::protocol() const { return SSL_get_version(impl_->ssl.get()); }

std::string TlsConnection::cipher() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(impl_->ssl.get());
  return c != nullptr ? SSL_CIPHER_standard_name(c) : "";
}

}  // namespace teecloud::crypto
