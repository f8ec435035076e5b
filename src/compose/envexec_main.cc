// teecloud-envexec FILE -- PROG [ARGS...]
//
// Runs inside an app's container as its entrypoint (bind-mounted read-only at
// /run/teecloud/envexec): exports the secret environment that ComposeProject::Up wrote to FILE
// (records "KEY=VALUE\0", at most 1 MiB) and execs PROG, so the secrets never appear in the
// engine's container configuration. Static and libc-only, because it runs in images of any
// distribution (or none: FROM scratch). Exit codes follow a shell's: 127 when PROG is not
// found, 126 for every other failure. Messages never quote a record's content: a malformed
// record may be a value.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr int kExitFailure = 126;
constexpr int kExitNotFound = 127;

// Prints "teecloud-envexec: " and the parts as one line, and exits.
[[noreturn]] void Fail(int code, const char* a, const char* b = "", const char* c = "",
                       const char* d = "", const char* e = "") {
  std::fprintf(stderr, "teecloud-envexec: %s%s%s%s%s\n", a, b, c, d, e);
  std::exit(code);
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Reads the whole file into a NUL-terminated heap buffer; *size excludes the terminator.
char* ReadSecretFile(const char* path, size_t* size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(kExitFailure, "cannot open ", path, ": ", std::strerror(errno));
  char* buf = static_cast<char*>(std::malloc(kMaxFileBytes + 2));
  if (buf == nullptr) Fail(kExitFailure, "out of memory reading ", path);
  size_t n = 0;
  for (;;) {
    const ssize_t r = ::read(fd, buf + n, kMaxFileBytes + 1 - n);
    if (r < 0) {
      if (errno == EINTR) continue;
      Fail(kExitFailure, "cannot read ", path, ": ", std::strerror(errno));
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
    if (n > kMaxFileBytes) Fail(kExitFailure, path, " is larger than 1 MiB");
  }
  ::close(fd);
  buf[n] = '\0';
  *size = n;
  return buf;
}

// Exports every "KEY=VALUE\0" record, overriding what the environment already holds.
void ExportRecords(const char* path, char* buf, size_t size) {
  if (size > 0 && buf[size - 1] != '\0') {
    Fail(kExitFailure, path, ": malformed: the last record is not NUL-terminated");
  }
  size_t record = 0;
  for (size_t at = 0; at < size;) {
    ++record;
    char* const rec = buf + at;
    const size_t len = std::strlen(rec);
    char* const eq = static_cast<char*>(std::memchr(rec, '=', len));
    bool ok = eq != nullptr && eq != rec && IsNameStart(rec[0]);
    for (char* p = rec; ok && p < eq; ++p) ok = IsNameChar(*p);
    if (!ok) {
      char number[32];
      std::snprintf(number, sizeof number, "%zu", record);
      Fail(kExitFailure, path, ": malformed record ", number,
           " (expected KEY=VALUE, KEY matching [A-Za-z_][A-Za-z0-9_]*)");
    }
    *eq = '\0';
    if (::setenv(rec, eq + 1, /*overwrite=*/1) != 0) {
      Fail(kExitFailure, "cannot set the environment: ", std::strerror(errno));
    }
    at += len + 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Fail(kExitFailure, "usage: teecloud-envexec FILE -- PROG [ARGS...]");
  const char* path = argv[1];
  if (argc < 3 || std::strcmp(argv[2], "--") != 0) {
    Fail(kExitFailure, "missing '--' after FILE (usage: teecloud-envexec FILE -- PROG [ARGS...])");
  }
  if (argc < 4 || argv[3][0] == '\0') Fail(kExitFailure, "no program given after '--'");
  size_t size = 0;
  char* buf = ReadSecretFile(path, &size);
  ExportRecords(path, buf, size);
  // setenv copied the values; do not leave a second copy in this process's heap.
  ::explicit_bzero(buf, size);
  std::free(buf);
  ::execvp(argv[3], argv + 3);
  const int err = errno;
  Fail(err == ENOENT ? kExitNotFound : kExitFailure, "cannot execute ", argv[3], ": ",
       std::strerror(err));
}
