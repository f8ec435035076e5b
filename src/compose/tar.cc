#include "compose/tar.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

namespace teecloud::compose {

namespace {

constexpr size_t kBlock = 512;

void PutOctal(uint8_t* field, size_t width, uint64_t value) {
  // width-1 digits, then NUL.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
  std::memcpy(field, buf, width - 1);
  field[width - 1] = 0;
}

void PutString(uint8_t* field, size_t width, std::string_view s) {
  std::memcpy(field, s.data(), std::min(width, s.size()));
}

Status CheckPath(std::string_view path) {
  if (path.empty()) return InvalidArgument("tar: empty path");
  if (path.front() == '/') return InvalidArgument("tar: absolute path: " + std::string(path));
  if (path.size() > 255) return InvalidArgument("tar: path longer than 255 bytes");
  if (path.find('\0') != std::string_view::npos) return InvalidArgument("tar: NUL in path");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") {
      return InvalidArgument("tar: '..' in path: " + std::string(path));
    }
    start = end + 1;
  }
  return OkStatus();
}

}  // namespace

Status TarWriter::AddHeader(std::string_view path, char type, uint64_t size, uint32_t mode,
                            std::string_view link_target) {
  RETURN_IF_ERROR(CheckPath(path));
  if (link_target.size() > 100) return InvalidArgument("tar: link target longer than 100 bytes");
  uint8_t h[kBlock] = {};
  std::string_view name = path, prefix;
  if (path.size() > 100) {
    // Split at a '/' so that name <= 100 and prefix <= 155.
    size_t cut = path.rfind('/', 155);
    if (cut != std::string_view::npos && path.size() - cut - 1 > 100) cut = std::string_view::npos;
    if (cut == std::string_view::npos || cut == 0) {
      return InvalidArgument("tar: path cannot be split for ustar: " + std::string(path));
    }
    prefix = path.substr(0, cut);
    name = path.substr(cut + 1);
  }
  PutString(h + 0, 100, name);
  PutOctal(h + 100, 8, mode & 07777);
  PutOctal(h + 108, 8, 0);
  PutOctal(h + 116, 8, 0);
  PutOctal(h + 124, 12, size);
  PutOctal(h + 136, 12, 0);
  std::memset(h + 148, ' ', 8);
  h[156] = static_cast<uint8_t>(type);
  PutString(h + 157, 100, link_target);
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  PutString(h + 265, 32, "root");
  PutString(h + 297, 32, "root");
  PutString(h + 345, 155, prefix);
  unsigned sum = 0;
  for (uint8_t b : h) sum += b;
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::memcpy(h + 148, chk, 6);
  h[154] = 0;
  h[155] = ' ';
  out_.insert(out_.end(), h, h + kBlock);
  return OkStatus();
}

Status TarWriter::AddFile(std::string_view path, ByteView content, uint32_t mode) {
  RETURN_IF_ERROR(AddHeader(path, '0', content.size(), mode, {}));
  out_.insert(out_.end(), content.begin(), content.end());
  out_.resize(out_.size() + (kBlock - content.size() % kBlock) % kBlock, 0);
  return OkStatus();
}

Status TarWriter::AddDirectory(std::string_view path, uint32_t mode) {
  std::string p(path);
  if (p.empty() || p.back() != '/') p += '/';
  return AddHeader(p, '5', 0, mode, {});
}

Status TarWriter::AddSymlink(std::string_view path, std::string_view target) {
  if (target.empty()) return InvalidArgument("tar: empty symlink target");
  return AddHeader(path, '2', 0, 0777, target);
}

Bytes TarWriter::Finish() {
  out_.resize(out_.size() + 2 * kBlock, 0);
  return std::exchange(out_, Bytes());
}

}  // namespace teecloud::compose
