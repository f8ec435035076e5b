#include "chain/signer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace teecloud::chain {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Zeroes a buffer in a way the compiler may not elide.
void Wipe(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

}  // namespace

Result<Signer> Signer::FromPrivateKey(crypto::SecretBytes key) {
  if (key.size() != 32) return InvalidArgument("private key: expected 32 bytes");
  if (auto ok = crypto::Secp256k1CheckPrivateKey(key); !ok) {
    return InvalidArgument("private key: not a valid secp256k1 key");
  }
  ASSIGN_OR_RETURN(Bytes pub, crypto::Secp256k1PublicKey(key));
  return Signer(std::move(key), crypto::EthAddressFromPublicKey(pub));
}

Result<crypto::RecoverableSignature> Signer::SignDigest(const Hash32& digest) const {
  return crypto::Secp256k1Sign(key_, View(digest));
}

Result<crypto::SecretBytes> ParsePrivateKeyHex(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  if (text.size() != 64) return InvalidArgument("private key: expected 64 hex digits");
  crypto::SecretBytes key(32);
  for (size_t i = 0; i < 32; ++i) {
    int hi = HexValue(text[2 * i]);
    int lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("private key: not hex");
    key.data()[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return key;
}

Result<crypto::SecretBytes> ReadPrivateKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int e = errno;
    return MakeError(e == ENOENT ? Code::kNotFound : Code::kPermissionDenied,
                     "key file " + path + ": " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument("key file " + path + ": not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return PermissionDenied("key file " + path + " has mode " + mode +
                            "; group and others must have no access (chmod 600)");
  }
  if (st.st_size > 4096) {
    ::close(fd);
    return InvalidArgument("key file " + path + ": too large for a private key");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  auto key = ParsePrivateKeyHex(text);
  Wipe(text);
  if (!key) return tl::unexpected(key.error().WithContext("key file " + path));
  return key;
}

Result<Signer> LoadSigner(const std::optional<std::string>& key_file, const char* env_value) {
  if (key_file) {
    ASSIGN_OR_RETURN(crypto::SecretBytes key, ReadPrivateKeyFile(*key_file));
    auto signer = Signer::FromPrivateKey(std::move(key));
    if (!signer) return tl::unexpected(signer.error().WithContext("key file " + *key_file));
    return signer;
  }
  if (env_value != nullptr && *env_value != '\0') {
    ASSIGN_OR_RETURN(crypto::SecretBytes key, ParsePrivateKeyHex(env_value).map_error([](Error e) {
      return e.WithContext(kPrivateKeyEnv);
    }));
    auto signer = Signer::FromPrivateKey(std::move(key));
    if (!signer) return tl::unexpected(signer.error().WithContext(kPrivateKeyEnv));
    return signer;
  }
  return NotFound(std::string("no signing key: set ") + kPrivateKeyEnv +
                  " or pass --key-file FILE (keys are never taken from the command line)");
}

}  // namespace teecloud::chain
