#include "testing/testing.h"

#include <cstdlib>
#include <filesystem>

#include "base/file.h"

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

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "teecloud-test-XXXXXX").string();
  char* p = ::mkdtemp(tmpl.data());
  TEECLOUD_CHECK(p != nullptr);
  return tmpl;
}

}  // namespace teecloud::testing
