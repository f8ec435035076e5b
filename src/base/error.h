// The one error model of teecloud: Result<T> = tl::expected<T, Error>.
//
// Error carries a gRPC-style code and a human message. Messages never contain secrets.
// Untrusted input never aborts; bugs do (TEECLOUD_CHECK).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace teecloud {

enum class Code {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view CodeName(Code code);
// The HTTP status our REST/JSON APIs answer an error with (kInvalidArgument → 400,
// kNotFound → 404, kAlreadyExists/kFailedPrecondition/kAborted → 409, ...; 500 otherwise).
int HttpStatusForCode(Code code);

struct [[nodiscard]] Error {
  Code code = Code::kUnknown;
  std::string message;

  // "INVALID_ARGUMENT: message"
  std::string ToString() const;
  // Returns a copy whose message is "context: message" (same code).
  Error WithContext(std::string_view context) const;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline Status OkStatus() { return {}; }

inline tl::unexpected<Error> MakeError(Code code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
inline tl::unexpected<Error> InvalidArgument(std::string m) {
  return MakeError(Code::kInvalidArgument, std::move(m));
}
inline tl::unexpected<Error> OutOfRange(std::string m) {
  return MakeError(Code::kOutOfRange, std::move(m));
}
inline tl::unexpected<Error> NotFound(std::string m) {
  return MakeError(Code::kNotFound, std::move(m));
}
inline tl::unexpected<Error> FailedPrecondition(std::string m) {
  return MakeError(Code::kFailedPrecondition, std::move(m));
}
inline tl::unexpected<Error> PermissionDenied(std::string m) {
  return MakeError(Code::kPermissionDenied, std::move(m));
}
inline tl::unexpected<Error> Unauthenticated(std::string m) {
  return MakeError(Code::kUnauthenticated, std::move(m));
}
inline tl::unexpected<Error> Internal(std::string m) {
  return MakeError(Code::kInternal, std::move(m));
}
inline tl::unexpected<Error> Unavailable(std::string m) {
  return MakeError(Code::kUnavailable, std::move(m));
}
inline tl::unexpected<Error> Unimplemented(std::string m) {
  return MakeError(Code::kUnimplemented, std::move(m));
}
inline tl::unexpected<Error> DataLoss(std::string m) {
  return MakeError(Code::kDataLoss, std::move(m));
}

namespace internal {
[[noreturn]] void CheckFailed(const char* expr, const char* file, int line);
inline const Error& GetError(const Error& e) { return e; }
template <typename T>
const Error& GetError(const tl::expected<T, Error>& r) {
  return r.error();
}
}  // namespace internal

}  // namespace teecloud

// Aborts on a programming error. Never use on untrusted input.
#define TEECLOUD_CHECK(cond)                                                   \
  do {                                                                         \
    if (!(cond)) ::teecloud::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

#define TEECLOUD_CONCAT_INNER(a, b) a##b
#define TEECLOUD_CONCAT(a, b) TEECLOUD_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): expr is a Status or Result<T>; returns its error if it failed.
#define RETURN_IF_ERROR(expr)                                              \
  do {                                                                     \
    auto&& teecloud_status_ = (expr);                                      \
    if (!teecloud_status_) return ::tl::unexpected(teecloud_status_.error()); \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): lhs = *expr, or returns expr's error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(TEECLOUD_CONCAT(teecloud_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)              \
  auto tmp = (expr);                                       \
  if (!tmp) return ::tl::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
