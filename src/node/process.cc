#include "node/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

extern char** environ;

namespace teecloud::node {

namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "";
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// State letter and start time from /proc/<pid>/stat. The command name (field 2) may contain
// spaces and parentheses, so fields are counted from the last ')'.
bool ReadStat(int64_t pid, char& state, int64_t& start_time) {
  const std::string stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(stat.substr(close + 1));
  std::string field;
  // Field 3 is the state; field 22 the start time.
  for (int i = 3; i <= 22; ++i) {
    if (!(in >> field)) return false;
    if (i == 3) state = field.empty() ? '?' : field[0];
  }
  char* end = nullptr;
  start_time = std::strtoll(field.c_str(), &end, 10);
  return end != nullptr && *end == '\0';
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended (status " + std::to_string(status) + ")";
}

}  // namespace

Result<AgentProcess> SpawnDetached(const SpawnRequest& request) {
  if (request.argv.empty()) return InvalidArgument("spawn: empty argv");
  const int out =
      ::open(request.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (out < 0) {
    return Internal("cannot open " + request.output_path + ": " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, out, 2);
  // Nothing else of the node leaks into the agent: not the API's listening sockets (the agent
  // outlives the node, and would keep them bound), not the data-dir lock.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  sigset_t all_signals;
  sigfillset(&all_signals);
  posix_spawnattr_setsigdefault(&attr, &all_signals);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : request.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out);
  if (rc != 0) {
    if (rc == ENOENT) return NotFound(request.argv[0] + ": no such executable");
    return Internal("cannot start " + request.argv[0] + ": " + std::strerror(rc));
  }
  char state = '?';
  int64_t start_time = 0;
  if (!ReadStat(pid, state, start_time)) {
    // The child is not reaped yet, so /proc/<pid> exists even if it exited already.
    return Internal("started " + request.argv[0] + " (pid " + std::to_string(pid) +
                    ") but cannot read /proc/" + std::to_string(pid) + "/stat");
  }
  return AgentProcess{pid, start_time};
}

std::optional<int64_t> ProcessStartTime(int64_t pid) {
  if (pid <= 0) return std::nullopt;
  char state = '?';
  int64_t start_time = 0;
  if (!ReadStat(pid, state, start_time)) return std::nullopt;
  if (state == 'Z' || state == 'X' || state == 'x') return std::nullopt;
  return start_time;
}

std::vector<std::string> ProcessArgv(int64_t pid) {
  const std::string raw = ReadSmallFile("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> out;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    out.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<int64_t> ListPids() {
  std::vector<int64_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long long pid = std::strtoll(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && pid > 0) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

ProcessExit CheckProcess(const AgentProcess& p) {
  if (p.pid <= 0) return ProcessExit{true, false, "no process"};
  int status = 0;
  const pid_t r = ::waitpid(static_cast<pid_t>(p.pid), &status, WNOHANG);
  if (r == p.pid) {
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return ProcessExit{true, !clean, "agent " + DescribeStatus(status)};
  }
  // r == 0: our child, still running. r < 0 (ECHILD): not our child; ask /proc.
  const auto start = ProcessStartTime(p.pid);
  if (start && *start == p.start_time) return ProcessExit{};
  if (r == 0) {
    // Our child died between waitpid and the /proc read (it is a zombie now, or about to be):
    // collect its real exit status instead of reporting it as unknown. Bounded: an unreaped
    // child's PID cannot be reused, so it can only be exiting.
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(static_cast<pid_t>(p.pid), &status, WNOHANG) == p.pid) {
        const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        return ProcessExit{true, !clean, "agent " + DescribeStatus(status)};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return ProcessExit{true, true,
                     "agent is gone (it was not started by this node run, so its "
                     "exit status is unknown)"};
}

Result<ProcessExit> TerminateProcess(const AgentProcess& p, std::chrono::milliseconds grace) {
  ProcessExit state = CheckProcess(p);
  if (state.exited) return state;
  const pid_t pid = static_cast<pid_t>(p.pid);
  // The agent leads its own process group; fall back to the PID when it left it.
  auto signal = [&](int sig) {
    if (::getpgid(pid) == pid) {
      ::kill(-pid, sig);
    } else {
      ::kill(pid, sig);
    }
  };
  auto wait_gone = [&](std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      state = CheckProcess(p);
      if (state.exited) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  signal(SIGTERM);
  if (wait_gone(grace)) return state;
  signal(SIGKILL);
  if (wait_gone(std::chrono::seconds(10))) return state;
  return MakeError(Code::kDeadlineExceeded,
                   "agent pid " + std::to_string(p.pid) + " is still alive 10s after SIGKILL");
}

}  // namespace teecloud::node
