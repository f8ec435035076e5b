// Test helpers shared by the node's tests (header-only, test code only).
#pragma once

#include <string>

#include "base/error.h"
#include "manifest/manifest.h"

namespace teecloud::node::testing {

inline constexpr char kTestCompose[] =
    "services:\n"
    "  web:\n"
    "    image: busybox:latest\n"
    "    ports:\n"
    "      - \"80:80\"\n";

// A valid manifest document (canonical JSON) for `name`, exposing CVM port 80.
inline std::string TestManifest(
    const std::string& name, uint64_t version = 1,
    manifest::KeyProvider key_provider = manifest::KeyProvider::kLocal) {
  manifest::ManifestOptions o;
  o.name = name;
  o.version = version;
  o.key_provider = key_provider;
  auto m = manifest::ManifestFromCompose(kTestCompose, o);
  TEECLOUD_CHECK(m.has_value());
  return manifest::CanonicalManifestJson(*m);
}

}  // namespace teecloud::node::testing
