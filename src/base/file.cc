#include "base/file.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace teecloud {

namespace {
std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}
}  // namespace

Result<Bytes> ReadFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(Errno("cannot open", path));
    if (errno == EACCES) return PermissionDenied(Errno("cannot open", path));
    return Unavailable(Errno("cannot open", path));
  }
  Bytes out;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string msg = Errno("cannot read", path);
      ::close(fd);
      return Unavailable(msg);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return OutOfRange(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

Result<std::string> ReadTextFile(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(Bytes b, ReadFile(path, max_bytes));
  return std::string(b.begin(), b.end());
}

Status WriteFileAtomic(const std::string& path, ByteView data, mode_t mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Unavailable(Errno("cannot create", tmp));
  if (::fchmod(fd, mode) != 0) {
    std::string msg = Errno("cannot chmod", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return Unavailable(msg);
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string msg = Errno("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return Unavailable(msg);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string msg = Errno("cannot flush", tmp);
    ::unlink(tmp.c_str());
    return Unavailable(msg);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string msg = Errno("cannot rename to", path);
    ::unlink(tmp.c_str());
    return Unavailable(msg);
  }
  return OkStatus();
}

Result<Bytes> ReadBinaryOrHexFile(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(Bytes raw, ReadFile(path, max_bytes));
  std::string_view s = AsStringView(raw);
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) i += 2;
  bool all_hex = i < s.size();
  size_t digits = 0;
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isxdigit(c)) ++digits;
    else if (!std::isspace(c)) { all_hex = false; break; }
  }
  if (all_hex && digits > 0 && digits % 2 == 0) {
    std::string compact;
    compact.reserve(digits);
    for (char c : s) {
      if (std::isxdigit(static_cast<unsigned char>(c))) compact += c;
    }
    // Drop a leading "0x": it was counted as digits '0' and skipped 'x'.
    std::string_view t = s;
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    if (t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) compact.erase(0, 1);
    return FromHex(compact);
  }
  return raw;
}

}  // namespace teecloud
