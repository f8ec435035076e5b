// TLS 1.3 over an already connected socket (OpenSSL), with the peer check delegated to the
// caller: RA-TLS verifies a quote in the peer's certificate instead of (or besides) a CA chain.
//
// TlsConnection::Connect (client) / Accept (server) run the handshake on a blocking stream
// socket. During the handshake OpenSSL's own chain building is replaced by `verify_peer`, which
// receives the peer's certificates exactly as sent (leaf first). If it fails, the handshake is
// aborted with a fatal alert to the peer and Connect/Accept return the callback's error as is.
// No hostname or CA check happens unless the callback does one (see VerifyChain in x509.h).
//
// Sessions are never resumed (no tickets, no session cache), so every connection runs the peer
// check. TLS 1.3 only, unless allow_tls12 is set.
//
// TLS 1.3 ordering note: a client finishes its handshake before the server has checked the
// client certificate, so when a server rejects a client, the client's Connect succeeds and its
// first Read (or a later Write) returns the error instead.
//
// The connection does not own the file descriptor: the caller closes it after the connection
// is destroyed. Writes never raise SIGPIPE (send with MSG_NOSIGNAL). A socket receive/send
// timeout (SO_RCVTIMEO/SO_SNDTIMEO) surfaces as kDeadlineExceeded. A TlsConnection is movable,
// not copyable, and not thread-safe (one reader/writer at a time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "crypto/ec.h"
#include "crypto/x509.h"

namespace teecloud::crypto {

// Decides whether the peer's certificates (leaf first, as sent) are acceptable. Called once
// per handshake, from inside Connect/Accept on the calling thread.
using PeerVerifier = std::function<Status(const std::vector<Certificate>& peer_chain)>;

struct TlsOptions {
  // Own certificate chain, leaf first, and the leaf's private key. A client may leave both
  // empty (then it cannot answer a certificate request); a server needs them.
  std::vector<Certificate> certificate_chain;
  std::optional<EcPrivateKey> private_key;
  // The peer check. Required for clients; for servers only with require_client_certificate.
  PeerVerifier verify_peer;
  // Client: the server_name (SNI) to send; not sent when empty or an IP address literal
  // (RFC 6066 §3).
  std::string server_name;
  // Server: request a client certificate and fail the handshake without one (mutual TLS).
  bool require_client_certificate = false;
  // Accept TLS 1.2 as the floor (ECDHE + AEAD suites only); TLS 1.3 only otherwise.
  bool allow_tls12 = false;
};

class TlsConnection {
 public:
  // Client handshake on `fd`. Errors: the callback's error when it rejected the server;
  // kUnauthenticated when the handshake failed (alert received, malformed messages, no common
  // parameters); kUnavailable on I/O failure or EOF; kDeadlineExceeded on a socket timeout;
  // kInvalidArgument for unusable options.
  static Result<TlsConnection> Connect(int fd, const TlsOptions& options);
  // Server handshake on `fd` (same errors).
  static Result<TlsConnection> Accept(int fd, const TlsOptions& options);

  TlsConnection(TlsConnection&&) noexcept;
  TlsConnection& operator=(TlsConnection&&) noexcept;
  ~TlsConnection();

  // Reads up to `n` bytes into `buf`, blocking until at least one is available. Returns 0 when
  // the peer closed the TLS session cleanly (close_notify). A TCP close without close_notify
  // (possible truncation) is an Error (kUnavailable).
  Result<size_t> Read(uint8_t* buf, size_t n);
  // Writes all of `data`.
  Status Write(ByteView data);
  // Sends close_notify (does not wait for the peer's). Further writes fail.
  Status Shutdown();

  // The peer's certificates as given to verify_peer (empty when the peer sent none: a client
  // that was not asked for a certificate).
  const std::vector<Certificate>& peer_chain() const;
  // Server: the SNI host name the client sent ("" if none). Client: the name it sent.
  std::string server_name() const;
  // "TLSv1.3" or "TLSv1.2".
  std::string protocol() const;
  // IANA/OpenSSL name of the negotiated cipher suite, e.g. "TLS_AES_256_GCM_SHA384".
  std::string cipher() const;

 private:
  struct Impl;
  explicit TlsConnection(std::unique_ptr<Impl> impl);
  static Result<TlsConnection> Handshake(int fd, const TlsOptions& options, bool server);
  std::unique_ptr<Impl> impl_;
};

}  // namespace teecloud::crypto
