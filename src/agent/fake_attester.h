// Test-only Attester: keeps RTMR3 with attest/eventlog's RuntimeMeasurement and "signs" quotes
// as plain bytes (no cryptography), so agent tests run without a sim PKI.
//
// Fake quote layout: "TEECLOUD-FAKE-QT" (16 bytes) || report_data (64) || MRTD (48) ||
// RTMR0..3 (4 × 48). Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <vector>

#include "attest/eventlog/runtime_log.h"
#include "tee/attester.h"

namespace teecloud::agent::testing {

// A valid manifest (manifest/manifest.h) for tests, deliberately not in canonical form.
inline constexpr char kTestManifest[] = R"({
  "name": "hello", "manifest_version": 1, "version": 3, "runner": "docker-compose",
  "docker_compose_file": "services:\n  web:\n    image: nginx:1.27\n",
  "allowed_envs": ["API_KEY"], "ports": [{"port": 80, "protocol": "http"}],
  "key_provider": "local", "gateway": false, "public_logs": false
})";

struct FakeQuote {
  Bytes report_data;
  tee::Measurements measurements;
};

class FakeAttester final : public tee::Attester {
 public:
  FakeAttester();

  tee::PlatformInfo Platform() const override;
  Result<Bytes> GetQuote(ByteView report_data) override;
  Result<tee::Measurements> ReadMeasurements() override;
  Result<attest::eventlog::RuntimeEvent> ExtendRuntimeEvent(uint32_t imr, std::string name,
                                                            ByteView payload) override;
  Result<std::vector<attest::eventlog::RuntimeEvent>> ReadEventLog() override;

  static Result<FakeQuote> ParseQuote(ByteView quote);
  // Makes the next ExtendRuntimeEvent fail with kInternal (without extending).
  void FailNextExtend();
  size_t quote_count() const;

 private:
  mutable std::mutex mu_;
  tee::Measurements boot_;  // MRTD and RTMR0..2 from boot_events_
  std::vector<attest::eventlog::RuntimeEvent> boot_events_;
  attest::eventlog::RuntimeMeasurement rtmr3_;
  bool fail_next_extend_ = false;
  size_t quotes_ = 0;
};

}  // namespace teecloud::agent::testing
