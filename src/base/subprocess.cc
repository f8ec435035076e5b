#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace teecloud {

namespace {

using SteadyClock = std::chrono::steady_clock;

bool IsExecutableFile(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// Closes an fd on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is available now; returns false at EOF or on a hard error.
bool ReadAvailable(int fd, const SubprocessOptions& options, SubprocessResult& result) {
  char buf[8192];
  for (;;) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      const size_t room = options.max_output_bytes > result.output.size()
                              ? options.max_output_bytes - result.output.size()
                              : 0;
      const size_t take = std::min(room, static_cast<size_t>(got));
      result.output.append(buf, take);
      if (take < static_cast<size_t>(got)) result.output_truncated = true;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF or error
  }
}

}  // namespace

Result<std::string> FindExecutable(const std::string& name) {
  if (name.empty()) return InvalidArgument("empty program name");
  if (name.find('/') != std::string::npos) {
    if (IsExecutableFile(name)) return name;
    return NotFound(name + ": not found or not executable");
  }
  const char* env_path = std::getenv("PATH");
  // The sbin directories are searched too: daemons (dockerd) live there and a non-login root
  // shell does not always have them in PATH.
  std::string path = (env_path != nullptr && *env_path != '\0') ? env_path : "/usr/bin:/bin";
  path += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (IsExecutableFile(candidate)) return candidate;
    }
    start = end + 1;
  }
  return NotFound(name + ": not found in PATH");
}

Result<SubprocessResult> RunSubprocess(const std::vector<std::string>& argv,
                                       const SubprocessOptions& options) {
  if (argv.empty()) return InvalidArgument("RunSubprocess: empty argv");
  ASSIGN_OR_RETURN(std::string program, FindExecutable(argv[0]));

  int out_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + strerror(errno));
  Fd out_read(out_fds[0]), out_write(out_fds[1]);

  // A socket rather than a pipe for stdin: send(MSG_NOSIGNAL) cannot raise SIGPIPE in this
  // (possibly multi-threaded) process when the child exits without reading.
  Fd in_parent, in_child;
  const bool feed_stdin = !options.stdin_data.empty();
  if (feed_stdin) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return Internal(std::string("socketpair: ") + strerror(errno));
    }
    in_parent.Reset(sv[0]);
    in_child.Reset(sv[1]);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (feed_stdin) {
    posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  }
  // The child starts with default signal dispositions and an empty mask, whatever this
  // process has blocked or ignored.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  out_write.Reset();
  in_child.Reset();
  if (rc != 0) return Internal(argv[0] + ": cannot start: " + strerror(rc));

  SetNonBlocking(out_read.get());
  if (feed_stdin) SetNonBlocking(in_parent.get());

  SubprocessResult result;
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(static_cast<int64_t>(
                                                 std::max(0.0, options.timeout_seconds) * 1000));
  size_t written = 0;
  int status = 0;
  bool exited = false;
  for (;;) {
    if (!exited) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) exited = true;
    }
    if (exited) {
      // The child is gone; take what is buffered and stop (a daemonized grandchild may hold
      // the pipe open indefinitely).
      if (out_read.get() >= 0) ReadAvailable(out_read.get(), options, result);
      break;
    }
    const auto now = SteadyClock::now();
    if (now >= deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      result.timed_out = true;
      if (out_read.get() >= 0) ReadAvailable(out_read.get(), options, result);
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out_read.get() >= 0) fds[n++] = pollfd{out_read.get(), POLLIN, 0};
    if (in_parent.get() >= 0) fds[n++] = pollfd{in_parent.get(), POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    // Short slices: the loop also polls waitpid, since the pipe may outlive the child.
    const int slice = static_cast<int>(std::min<int64_t>(left, 20));
    const int ready = ::poll(n > 0 ? fds : nullptr, n, slice);
    if (ready < 0 && errno != EINTR) return Internal(std::string("poll: ") + strerror(errno));
    if (ready <= 0) continue;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out_read.get()) {
        if (!ReadAvailable(out_read.get(), options, result)) out_read.Reset();
      } else if (fds[i].fd == in_parent.get()) {
        const ByteView rest = options.stdin_data.subspan(written);
        const ssize_t sent = ::send(in_parent.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
        if (sent > 0) written += static_cast<size_t>(sent);
        const bool failed = sent < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK;
        if (failed || written == options.stdin_data.size()) {
          ::shutdown(in_parent.get(), SHUT_WR);
          in_parent.Reset();
        }
      }
    }
  }
  if (!result.timed_out) {
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  } else {
    result.term_signal = SIGKILL;
  }
  return result;
}

}  // namespace teecloud
