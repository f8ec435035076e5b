#include "base/error.h"

#include <gtest/gtest.h>

namespace teecloud {
namespace {

Result<int> Half(int v) {
  if (v % 2) return InvalidArgument("odd: " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int h, Half(v));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int v) {
  RETURN_IF_ERROR(Half(v));
  return OkStatus();
}

TEST(Error, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_EQ(r.error().message, "odd: 3");
  EXPECT_TRUE(CheckEven(2));
  EXPECT_FALSE(CheckEven(3));
}

TEST(Error, ToStringAndContext) {
  Error e{Code::kNotFound, "x"};
  EXPECT_EQ(e.ToString(), "NOT_FOUND: x");
  EXPECT_EQ(e.WithContext("loading").message, "loading: x");
}

}  // namespace
}  // namespace teecloud

namespace teecloud {
namespace {

TEST(HttpStatusForCode, MapsTheErrorModelOntoHttp) {
  EXPECT_EQ(HttpStatusForCode(Code::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusForCode(Code::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusForCode(Code::kNotFound), 404);
  EXPECT_EQ(HttpStatusForCode(Code::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusForCode(Code::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusForCode(Code::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusForCode(Code::kUnavailable), 503);
  EXPECT_EQ(HttpStatusForCode(Code::kInternal), 500);
}

}  // namespace
}  // namespace teecloud
