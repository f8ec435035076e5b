// Fuzz target for the app manifest parser (src/manifest): ParseManifest reads untrusted JSON
// (a manifest file, an allowlist entry) and the compose YAML inside it. Whatever parses must
// re-serialize to a canonical form that parses back to the same manifest and hash; the compose
// inspector runs on the same bytes as YAML. Nothing may crash, hang or over-read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "manifest/compose.h"
#include "manifest/manifest.h"

namespace mf = teecloud::manifest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto m = mf::ParseManifest(text)) {
    const std::string canonical = mf::CanonicalManifestJson(*m);
    auto again = mf::ParseManifest(canonical);
    if (!again || !(*again == *m) || mf::CanonicalManifestJson(*again) != canonical) std::abort();
    (void)mf::ManifestHash(*m);
    (void)mf::InspectCompose(m->docker_compose_file);
  }
  (void)mf::InspectCompose(text);
  return 0;
}
