// The simulated TEE: TDX v4 quotes signed by a per-installation simulation PKI.
//
// `teecloud sim init DIR` (InitSimDir) creates the PKI and its collateral; SimAttester signs
// quotes with it. Quotes and collateral have the exact formats of real ones, so the real
// verifier (attest/dcap) runs unchanged on them; only the trust root differs, and the verifier
// labels results "simulated" when given that root. Files in DIR:
//   root.pem         the sim root CA certificate (public; give it to verifiers explicitly)
//   collateral.json  dcap-qvl QuoteCollateralV3 JSON (../shared/vectors/README.md format)
//   private/         signing keys and the PCK chain, mode 0700 (files 0600)
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attest/dcap/collateral.h"
#include "attest/dcap/quote_writer.h"
#include "attest/dcap/verify.h"
#include "attest/eventlog/runtime_log.h"
#include "base/clock.h"
#include "base/error.h"
#include "crypto/ec.h"
#include "tee/attester.h"

namespace teecloud::tee {

struct SimInitOptions {
  UnixTime now = 0;         // start of every validity period (backdated by one day)
  int validity_days = 365;  // certificates, CRLs, TCB info and QE identity
  std::string fmspc_hex = "90c06f000000";
  bool force = false;  // overwrite an existing sim directory
};

// Creates DIR (and parents) with the files above. Fails without touching DIR when it already
// holds a sim PKI and !force.
Status InitSimDir(const std::string& dir, const SimInitOptions& options);

// The trust a verifier needs for quotes of this sim directory: its root (simulated = true) and
// its collateral.
struct SimTrust {
  attest::dcap::TrustSettings trust;
  attest::dcap::Collateral collateral;
  std::string collateral_json;
};
Result<SimTrust> LoadSimTrust(const std::string& dir);

// What the simulated firmware measured before the agent runs (stands for an OS image):
// MRTD, and boot events for RTMR0..2 whose replay gives RTMR0..2.
struct SimOsImage {
  crypto::Digest384 mrtd{};
  std::vector<attest::eventlog::RuntimeEvent> boot_events;  // imr 0..2 only

  // A fixed development image ("teecloud-sim-os" firmware, kernel, initrd, cmdline events).
  static SimOsImage Default();
};

// The signing half of SimAttester: TDX v4 quotes over any measurements, with the sim PKI's
// attestation key and a QE report signed once at Load. Immutable, so thread-safe. Test fakes of
// other attesters' kernels use it as their "TDX module".
class SimQuoteSigner {
 public:
  static Result<std::shared_ptr<const SimQuoteSigner>> Load(const std::string& sim_dir);

  // A quote with the sim platform's TCB (sim_platform.h), the given MRTD/RTMRs and REPORTDATA
  // (64 bytes).
  Result<Bytes> Quote(const Measurements& measurements, ByteView report_data) const;
  // Lower-case hex SHA-256 of the sim root certificate (DER).
  const std::string& root_fingerprint() const { return root_fingerprint_; }

  SimQuoteSigner(crypto::EcPrivateKey attestation_key, attest::dcap::QeCertification qe,
                 std::string root_fingerprint)
      : attestation_key_(std::move(attestation_key)),
        qe_(std::move(qe)),
        root_fingerprint_(std::move(root_fingerprint)) {}

 private:
  crypto::EcPrivateKey attestation_key_;
  attest::dcap::QeCertification qe_;
  std::string root_fingerprint_;
};

class SimAttester final : public Attester {
 public:
  // Loads the signing material from `sim_dir` (made by InitSimDir).
  static Result<std::unique_ptr<SimAttester>> Open(const std::string& sim_dir,
                                                   SimOsImage image = SimOsImage::Default());
  ~SimAttester() override;

  PlatformInfo Platform() const override;
  Result<Bytes> GetQuote(ByteView report_data) override;
  Result<Measurements> ReadMeasurements() override;
  Result<attest::eventlog::RuntimeEvent> ExtendRuntimeEvent(uint32_t imr, std::string name,
                                                            ByteView payload) override;
  Result<std::vector<attest::eventlog::RuntimeEvent>> ReadEventLog() override;

 private:
  struct State;
  explicit SimAttester(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace teecloud::tee
