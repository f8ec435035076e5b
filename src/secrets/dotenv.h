// Deployment secrets as name/value pairs, and the `.env` file parser (`teecloud deploy
// --env-file`). Pure functions: no I/O, thread-safe, never abort on input.
//
// Secrecy: an EnvVar's value is secret. It is held in a plain std::string (it must become a
// process environment string in the end, and JSON/dotenv parsing produce strings anyway), so
// it is not zeroized: keep EnvVars short-lived. No error message of this component contains a
// value, and printing an EnvVar (operator<<, gtest) shows its name and the value's size only.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace teecloud::secrets {

struct EnvVar {
  std::string name;   // [A-Za-z_][A-Za-z0-9_]*, not secret
  std::string value;  // secret; valid UTF-8 without NUL bytes
  bool operator==(const EnvVar&) const = default;
};

// Never the value.
inline std::ostream& operator<<(std::ostream& os, const EnvVar& v) {
  return os << v.name << "=<secret " << v.value.size() << " bytes>";
}

// Limits shared by the dotenv parser and the sealed format. The name and value limits are the
// ones dstack's guest applies when it decrypts an env (dstack-util convert_env_to_str); a value
// longer than Linux's per-string execve limit (MAX_ARG_STRLEN, 128 KiB) could not reach a
// process anyway.
inline constexpr size_t kMaxEnvVars = 1000;
inline constexpr size_t kMaxEnvNameSize = 255;
inline constexpr size_t kMaxEnvValueSize = 128 * 1024;
inline constexpr size_t kMaxEnvTotalSize = 1024 * 1024;  // sum of name and value sizes
inline constexpr size_t kMaxDotenvSize = 1024 * 1024;    // the .env file itself

bool IsValidEnvName(std::string_view name);

// Checks a list against the rules above (names, duplicates, NUL bytes, UTF-8, sizes, count).
// Errors (kInvalidArgument) name the offending entry by index and, if it is valid, its name.
Status ValidateEnvVars(const std::vector<EnvVar>& vars);

// Parses a `.env` file the way docker compose reads an env_file, restricted to what can be
// parsed unambiguously (README.md "Dotenv syntax"):
//   NAME=VALUE            value trimmed; " #" (whitespace then #) starts a comment
//   export NAME=VALUE     optional `export ` prefix
//   NAME='VALUE'          literal, may span lines
//   NAME="VALUE"          escapes \n \r \t \" \\ \$ (others are an error), may span lines
//   # comment, blank lines; CRLF line ends; a leading UTF-8 BOM
// No variable interpolation: `$X` and `${X}` stay literal. Variables keep file order.
// Errors are kInvalidArgument and say the line and what is wrong ("line 3: missing '='");
// they never contain a value (nor the text of a line that did not parse).
Result<std::vector<EnvVar>> ParseDotenv(std::string_view text);

}  // namespace teecloud::secrets
