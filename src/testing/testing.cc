#include "testing/testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <filesystem>
#include <thread>

#include "base/file.h"

extern char** environ;

namespace teecloud::testing {

namespace {
std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}
}  // namespace

std::string SharedDir() {
  std::string d = Env("TEECLOUD_SHARED_DIR");
  if (d.empty() || !std::filesystem::exists(d + "/vectors")) return "";
  return d;
}

std::string VectorPath(const std::string& rel) {
  std::string d = SharedDir();
  return d.empty() ? "" : d + "/vectors/" + rel;
}

Bytes ReadVector(const std::string& rel) {
  auto r = ReadFile(VectorPath(rel));
  TEECLOUD_CHECK(r.has_value());
  return *r;
}

std::string ReadVectorText(const std::string& rel) {
  Bytes b = ReadVector(rel);
  return std::string(b.begin(), b.end());
}

std::string SourceDir() { return Env("TEECLOUD_SOURCE_DIR"); }
std::string BinDir() { return Env("TEECLOUD_BIN_DIR"); }

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds limit,
               std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

uint16_t FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  TEECLOUD_CHECK(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  TEECLOUD_CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  TEECLOUD_CHECK(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

PortHolder::PortHolder() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  TEECLOUD_CHECK(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  TEECLOUD_CHECK(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  TEECLOUD_CHECK(::listen(fd_, 1) == 0);
  socklen_t len = sizeof addr;
  TEECLOUD_CHECK(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  port_ = ntohs(addr.sin_port);
}

PortHolder::~PortHolder() { ::close(fd_); }

int SpawnToLog(const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? static_cast<int>(pid) : -1;
}

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "teecloud-test-XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  TEECLOUD_CHECK(p != nullptr);
  return tmpl;
}

namespace {

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::string TeecloudBinary(const std::string& fallback) {
  const std::string dir = BinDir();
  if (!dir.empty()) {
    std::string p = dir + "/teecloud";
    if (std::ifstream(p).good()) return p;
  }
  return fallback;
}

CliRun RunBinary(const std::string& binary, const std::vector<std::string>& args,
                 const std::string& scratch_dir) {
  const std::string out = scratch_dir + "/.cli-out";
  const std::string err = scratch_dir + "/.cli-err";
  std::string cmd = ShellQuote(binary);
  for (const auto& a : args) cmd += " " + ShellQuote(a);
  cmd += " >" + ShellQuote(out) + " 2>" + ShellQuote(err) + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.exit_code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  r.out = Slurp(out);
  r.err = Slurp(err);
  if (auto j = ParseJson(r.out)) r.json = std::move(*j);
  return r;
}

}  // namespace teecloud::testing
