#include "secrets/dotenv.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/utf8.h"

namespace teecloud::secrets {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

size_t LineOf(std::string_view text, size_t pos) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + pos, '\n'));
}

std::string At(size_t line) { return "line " + std::to_string(line) + ": "; }

constexpr std::string_view kNameRule = "a name matches [A-Za-z_][A-Za-z0-9_]*";

}  // namespace

bool IsValidEnvName(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

Status ValidateEnvVars(const std::vector<EnvVar>& vars) {
  if (vars.size() > kMaxEnvVars) {
    return InvalidArgument("more than " + std::to_string(kMaxEnvVars) + " variables (" +
                           std::to_string(vars.size()) + ")");
  }
  std::set<std::string_view> seen;
  size_t total = 0;
  for (size_t i = 0; i < vars.size(); ++i) {
    const EnvVar& v = vars[i];
    std::string where = "env[" + std::to_string(i) + "]";
    if (v.name.size() > kMaxEnvNameSize) {
      return InvalidArgument(where + ": name longer than " + std::to_string(kMaxEnvNameSize) +
                             " bytes");
    }
    if (!IsValidEnvName(v.name)) {
      return InvalidArgument(where + ": invalid name (" + std::string(kNameRule) + ")");
    }
    where += " (" + v.name + ")";
    if (!seen.insert(v.name).second) return InvalidArgument(where + ": duplicate name");
    if (v.value.size() > kMaxEnvValueSize) {
      return InvalidArgument(where + ": value longer than " + std::to_string(kMaxEnvValueSize) +
                             " bytes");
    }
    if (v.value.find('\0') != std::string::npos) {
      return InvalidArgument(where + ": value contains a NUL byte");
    }
    if (FirstInvalidUtf8(v.value) != std::string_view::npos) {
      return InvalidArgument(where + ": value is not valid UTF-8");
    }
    total += v.name.size() + v.value.size();
    if (total > kMaxEnvTotalSize) {
      return InvalidArgument("names and values exceed " + std::to_string(kMaxEnvTotalSize) +
                             " bytes in total");
    }
  }
  return OkStatus();
}

Result<std::vector<EnvVar>> ParseDotenv(std::string_view input) {
  if (input.size() > kMaxDotenvSize) {
    return InvalidArgument("env file is " + std::to_string(input.size()) + " bytes; the limit is " +
                           std::to_string(kMaxDotenvSize) + " (1 MiB)");
  }
  if (input.starts_with("\xEF\xBB\xBF")) input.remove_prefix(3);  // UTF-8 BOM (editors add it)
  if (size_t nul = input.find('\0'); nul != std::string_view::npos) {
    return InvalidArgument(At(LineOf(input, nul)) + "contains a NUL byte");
  }
  if (size_t bad = FirstInvalidUtf8(input); bad != std::string_view::npos) {
    return InvalidArgument(At(LineOf(input, bad)) + "not valid UTF-8");
  }

  // CRLF -> LF, also inside quoted multi-line values (a file edited on Windows). Line numbers
  // are unchanged.
  std::string text;
  text.reserve(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\r' && i + 1 < input.size() && input[i + 1] == '\n') continue;
    text += input[i];
  }

  std::vector<EnvVar> vars;
  std::map<std::string, size_t, std::less<>> first_line;
  size_t total = 0;
  const size_t n = text.size();
  size_t pos = 0;
  size_t line = 1;
  auto skip_spaces = [&] {
    while (pos < n && IsSpace(text[pos])) ++pos;
  };
  auto end_of_line = [&](size_t from) {
    const size_t e = text.find('\n', from);
    return e == std::string::npos ? n : e;
  };

  while (pos < n) {
    skip_spaces();
    if (pos == n) break;
    if (text[pos] == '\n') {
      ++pos;
      ++line;
      continue;
    }
    if (text[pos] == '#') {
      pos = end_of_line(pos);
      continue;
    }
    const size_t start_line = line;
    std::string_view rest(text.data() + pos, end_of_line(pos) - pos);
    if (rest.size() > 6 && rest.starts_with("export") && IsSpace(rest[6])) {
      pos += 6;
      skip_spaces();
      rest = std::string_view(text.data() + pos, end_of_line(pos) - pos);
    }
    // Nothing of a line that does not parse is echoed: it may be a value pasted on its own.
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument(At(line) + "missing '=' (expected NAME=VALUE)");
    }
    const std::string_view name = TrimSpaces(rest.substr(0, eq));
    if (name.empty()) return InvalidArgument(At(line) + "missing variable name before '='");
    if (name.size() > kMaxEnvNameSize) {
      return InvalidArgument(At(line) + "variable name longer than " +
                             std::to_string(kMaxEnvNameSize) + " bytes");
    }
    if (!IsValidEnvName(name)) {
      return InvalidArgument(At(line) + "invalid variable name (" + std::string(kNameRule) + ")");
    }
    EnvVar var;
    var.name = std::string(name);
    pos += eq + 1;
    const size_t after_eq = pos;
    skip_spaces();

    const bool quoted = pos < n && (text[pos] == '\'' || text[pos] == '"');
    if (quoted && text[pos] == '\'') {
      // Literal up to the next single quote, newlines included.
      const size_t close = text.find('\'', pos + 1);
      if (close == std::string::npos) {
        return InvalidArgument(At(start_line) + "unterminated single-quoted value");
      }
      var.value.assign(text, pos + 1, close - pos - 1);
      line += static_cast<size_t>(std::count(var.value.begin(), var.value.end(), '\n'));
      pos = close + 1;
    } else if (quoted) {
      ++pos;
      bool closed = false;
      while (pos < n) {
        const char c = text[pos];
        if (c == '"') {
          closed = true;
          ++pos;
          break;
        }
        if (c == '\\' && pos + 1 < n) {
          switch (text[pos + 1]) {
            case 'n':
              var.value += '\n';
              break;
            case 'r':
              var.value += '\r';
              break;
            case 't':
              var.value += '\t';
              break;
            case '"':
              var.value += '"';
              break;
            case '\\':
              var.value += '\\';
              break;
            case '$':
              var.value += '$';
              break;
            default:
              // An error rather than a guess: compose drops the backslash, a shell keeps it.
              return InvalidArgument(At(line) +
                                     "unsupported escape sequence in a double-quoted value "
                                     "(supported: \\n \\r \\t \\\" \\\\ \\$)");
          }
          pos += 2;
          continue;
        }
        if (c == '\n') ++line;
        var.value += c;
        ++pos;
      }
      if (!closed) return InvalidArgument(At(start_line) + "unterminated double-quoted value");
    } else {
      // Unquoted: the rest of the line, cut at a '#' that follows whitespace, trimmed.
      std::string_view raw(text.data() + after_eq, end_of_line(after_eq) - after_eq);
      for (size_t i = 1; i < raw.size(); ++i) {
        if (raw[i] == '#' && IsSpace(raw[i - 1])) {
          raw = raw.substr(0, i);
          break;
        }
      }
      var.value = std::string(TrimSpaces(raw));
      pos = end_of_line(after_eq);
    }
    if (quoted) {
      skip_spaces();
      if (pos < n && text[pos] == '#') pos = end_of_line(pos);
      if (pos < n && text[pos] != '\n') {
        return InvalidArgument(At(line) +
                               "unexpected text after the closing quote (a comment starts with #)");
      }
    }
    if (var.value.size() > kMaxEnvValueSize) {
      return InvalidArgument(At(start_line) + "the value of " + var.name + " is longer than " +
                             std::to_string(kMaxEnvValueSize) + " bytes");
    }
    if (auto it = first_line.find(var.name); it != first_line.end()) {
      return InvalidArgument(At(start_line) + "duplicate variable " + var.name +
                             " (first set on line " + std::to_string(it->second) + ")");
    }
    if (vars.size() >= kMaxEnvVars) {
      return InvalidArgument(At(start_line) + "more than " + std::to_string(kMaxEnvVars) +
                             " variables");
    }
    total += var.name.size() + var.value.size();
    if (total > kMaxEnvTotalSize) {
      return InvalidArgument(At(start_line) + "names and values exceed " +
                             std::to_string(kMaxEnvTotalSize) + " bytes in total");
    }
    first_line.emplace(var.name, start_line);
    vars.push_back(std::move(var));
  }
  return vars;
}

}  // namespace teecloud::secrets
