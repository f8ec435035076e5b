// The simulated TEE. See sim_attester.h for the directory layout and tee/README.md for the
// design; the quote format is built by attest/dcap/quote_writer.h and the platform's TCB by
// sim_platform.h.
#include "tee/sim_attester.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <shared_mutex>

#include "attest/dcap/pck_extensions.h"
#include "base/file.h"
#include "base/json.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/x509.h"
#include "crypto/x509_builder.h"
#include "tee/sim_platform.h"

namespace teecloud::tee {

namespace dcap = attest::dcap;
namespace eventlog = attest::eventlog;
namespace fs = std::filesystem;

namespace {

constexpr UnixTime kDay = 86400;
constexpr int kMaxValidityDays = 100 * 365;

// Subject names: Intel's CNs (some verifiers, ours included, classify the PCK CA by its CN) with
// an organization that says what they are.
crypto::DistinguishedName SimName(const char* cn) {
  return {{"CN", cn}, {"O", "teecloud simulation"}, {"OU", "simulated TEE - not Intel"}};
}

Bytes RandomSerial(crypto::Random& random) {
  Bytes s = random.RandomBytes(16);
  s[0] = static_cast<uint8_t>((s[0] & 0x7f) | 0x01);  // positive, no leading zero octet
  return s;
}

std::string Join(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

std::string ErrnoText() { return std::strerror(errno); }

// Everything a sim directory holds, built in memory before anything touches the disk.
struct SimFiles {
  std::string root_pem;
  std::string collateral_json;
  std::string pck_chain_pem;
  crypto::SecretBytes attestation_key_pem;
  crypto::SecretBytes pck_key_pem;
};

crypto::SecretBytes KeyPem(const crypto::EcPrivateKey& key) {
  std::string pem = key.Pkcs8Pem();
  crypto::SecretBytes out(AsBytes(pem));
  std::fill(pem.begin(), pem.end(), '\0');
  return out;
}

Result<SimFiles> BuildSimFiles(const SimInitOptions& o) {
  if (o.validity_days < 1 || o.validity_days > kMaxValidityDays) {
    return InvalidArgument("validity days must be between 1 and " +
                           std::to_string(kMaxValidityDays));
  }
  if (o.now <= kDay) return InvalidArgument("sim init: the current time is not set");
  auto fmspc_or = FromHex(o.fmspc_hex);
  if (!fmspc_or || fmspc_or->size() != 6) {
    return InvalidArgument("FMSPC must be 6 bytes of hex, got \"" + o.fmspc_hex + "\"");
  }
  const Bytes fmspc = *fmspc_or;
  const UnixTime not_before = o.now - kDay;
  const UnixTime not_after = o.now + static_cast<UnixTime>(o.validity_days) * kDay;
  const SimPlatform& platform = DefaultSimPlatform();
  crypto::SystemRandom random;
  using crypto::Curve;
  using crypto::EcPrivateKey;

  ASSIGN_OR_RETURN(EcPrivateKey root_key, EcPrivateKey::Generate(Curve::kP256));
  ASSIGN_OR_RETURN(EcPrivateKey pck_ca_key, EcPrivateKey::Generate(Curve::kP256));
  ASSIGN_OR_RETURN(EcPrivateKey pck_key, EcPrivateKey::Generate(Curve::kP256));
  ASSIGN_OR_RETURN(EcPrivateKey tcb_key, EcPrivateKey::Generate(Curve::kP256));
  ASSIGN_OR_RETURN(EcPrivateKey attestation_key, EcPrivateKey::Generate(Curve::kP256));

  crypto::CertificateSpec ca;
  ca.not_before = not_before;
  ca.not_after = not_after;
  ca.is_ca = true;
  ca.key_cert_sign = true;
  ca.crl_sign = true;

  crypto::CertificateSpec root_spec = ca;
  root_spec.subject = SimName("Intel SGX Root CA");
  root_spec.serial = RandomSerial(random);
  root_spec.path_len = 1;
  ASSIGN_OR_RETURN(crypto::Certificate root,
                   crypto::IssueCertificate(root_spec, root_key.PublicKey(), nullptr, root_key));

  crypto::CertificateSpec pck_ca_spec = ca;
  pck_ca_spec.subject = SimName("Intel SGX PCK Platform CA");
  pck_ca_spec.serial = RandomSerial(random);
  pck_ca_spec.path_len = 0;
  ASSIGN_OR_RETURN(crypto::Certificate pck_ca,
                   crypto::IssueCertificate(pck_ca_spec, pck_ca_key.PublicKey(), &root, root_key));

  crypto::CertificateSpec leaf;
  leaf.not_before = not_before;
  leaf.not_after = not_after;
  leaf.digital_signature = true;

  crypto::CertificateSpec pck_spec = leaf;
  pck_spec.subject = SimName("Intel SGX PCK Certificate");
  pck_spec.serial = RandomSerial(random);
  pck_spec.extensions.push_back(crypto::CertificateExtension{
      std::string(dcap::kSgxExtensionsOid), false,
      SimPckSgxExtension(platform, fmspc, random.RandomBytes(16), random.RandomBytes(16))});
  ASSIGN_OR_RETURN(crypto::Certificate pck,
                   crypto::IssueCertificate(pck_spec, pck_key.PublicKey(), &pck_ca, pck_ca_key));

  crypto::CertificateSpec tcb_spec = leaf;
  tcb_spec.subject = SimName("Intel SGX TCB Signing");
  tcb_spec.serial = RandomSerial(random);
  ASSIGN_OR_RETURN(crypto::Certificate tcb_signing,
                   crypto::IssueCertificate(tcb_spec, tcb_key.PublicKey(), &root, root_key));

  crypto::CrlSpec crl;
  crl.this_update = not_before;
  crl.next_update = not_after;
  ASSIGN_OR_RETURN(crypto::Crl root_crl, crypto::IssueCrl(crl, root, root_key));
  ASSIGN_OR_RETURN(crypto::Crl pck_crl, crypto::IssueCrl(crl, pck_ca, pck_ca_key));

  const std::string root_pem = crypto::CertificateToPem(root);
  const std::string tcb_chain = crypto::CertificateToPem(tcb_signing) + root_pem;
  const std::string tcb_info = SimTcbInfoJson(platform, fmspc, not_before, not_after);
  const std::string qe_identity = SimQeIdentityJson(platform, not_before, not_after);
  ASSIGN_OR_RETURN(Bytes tcb_info_sig,
                   tcb_key.SignRaw(AsBytes(tcb_info), crypto::HashAlg::kSha256));
  ASSIGN_OR_RETURN(Bytes qe_identity_sig,
                   tcb_key.SignRaw(AsBytes(qe_identity), crypto::HashAlg::kSha256));

  // Members in the order of ../shared/vectors/README.md.
  OrderedJson collateral{
      {"pck_crl_issuer_chain", crypto::CertificateToPem(pck_ca) + root_pem},
      {"root_ca_crl", ToHex(root_crl.der())},
      {"pck_crl", ToHex(pck_crl.der())},
      {"tcb_info_issuer_chain", tcb_chain},
      {"tcb_info", tcb_info},
      {"tcb_info_signature", ToHex(tcb_info_sig)},
      {"qe_identity_issuer_chain", tcb_chain},
      {"qe_identity", qe_identity},
      {"qe_identity_signature", ToHex(qe_identity_sig)},
  };

  SimFiles files;
  files.root_pem = root_pem;
  files.collateral_json = DumpJson(collateral, 2) + "\n";
  files.pck_chain_pem = crypto::CertificateToPem(pck) + crypto::CertificateToPem(pck_ca) + root_pem;
  files.attestation_key_pem = KeyPem(attestation_key);
  files.pck_key_pem = KeyPem(pck_key);
  return files;
}

Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) {
    return Unavailable("cannot create directory " + path + ": " + ErrnoText());
  }
  // mkdir's mode is filtered by the umask; private/ must be exactly 0700.
  if (::chmod(path.c_str(), mode) != 0) {
    return Unavailable("cannot chmod " + path + ": " + ErrnoText());
  }
  return OkStatus();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Writes the files into `staging` (which must not exist): the only step that can fail halfway,
// and it only ever touches the staging directory.
Status WriteStaging(const std::string& staging, const SimFiles& f) {
  RETURN_IF_ERROR(MakeDir(staging, 0700));
  RETURN_IF_ERROR(WriteFileAtomic(Join(staging, "root.pem"), AsBytes(f.root_pem), 0644));
  RETURN_IF_ERROR(
      WriteFileAtomic(Join(staging, "collateral.json"), AsBytes(f.collateral_json), 0644));
  const std::string priv = Join(staging, "private");
  RETURN_IF_ERROR(MakeDir(priv, 0700));
  RETURN_IF_ERROR(
      WriteFileAtomic(Join(priv, "attestation_key.pem"), f.attestation_key_pem.view(), 0600));
  RETURN_IF_ERROR(WriteFileAtomic(Join(priv, "pck_key.pem"), f.pck_key_pem.view(), 0600));
  RETURN_IF_ERROR(WriteFileAtomic(Join(priv, "pck_chain.pem"), AsBytes(f.pck_chain_pem), 0600));
  return OkStatus();
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);  // best effort: a leftover staging directory is harmless
}

Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Unavailable("cannot rename " + from + " to " + to + ": " + ErrnoText());
  }
  return OkStatus();
}

Result<crypto::EcPrivateKey> ReadKey(const std::string& path) {
  auto raw = ReadFile(path, 1 << 20);
  if (!raw) return tl::unexpected(raw.error());
  crypto::SecretBytes secret(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  auto key = crypto::EcPrivateKey::FromPkcs8(secret.view());
  if (!key) return InvalidArgument(path + ": not a PKCS#8 EC private key");
  return std::move(*key);
}

// TCG PC Client PFP event types used for the simulated boot events (chosen to resemble what
// TDVF and a direct-boot kernel record).
constexpr uint32_t kEvEventTag = 0x00000006;
constexpr uint32_t kEvEfiBootServicesApplication = 0x80000003;
constexpr uint32_t kEvEfiPlatformFirmwareBlob2 = 0x8000000A;

eventlog::RuntimeEvent BootEvent(uint32_t imr, uint32_t type, std::string name,
                                 std::string_view payload) {
  eventlog::RuntimeEvent ev;
  ev.imr = imr;
  ev.event_type = type;
  const crypto::Digest384 d = crypto::Sha384(AsBytes(payload));
  ev.digest = Bytes(d.begin(), d.end());
  ev.event = std::move(name);
  ev.payload = ToBytes(payload);
  return ev;
}

Status CheckRuntimeName(const std::string& name) {
  if (name.empty()) return InvalidArgument("event name is empty");
  if (name.find(':') != std::string::npos) {
    return InvalidArgument("event name \"" + name + "\" contains ':'");
  }
  return OkStatus();
}

void Fold(crypto::Digest384& reg, ByteView digest) {
  crypto::Sha384Hasher h;
  h.Update(crypto::View(reg));
  h.Update(digest);
  reg = h.Final();
}

}  // namespace

Status InitSimDir(const std::string& dir, const SimInitOptions& options) {
  if (dir.empty()) return InvalidArgument("sim directory path is empty");
  const std::string root_pem = Join(dir, "root.pem");
  const std::string collateral = Join(dir, "collateral.json");
  const std::string priv = Join(dir, "private");
  const bool existing = Exists(root_pem) || Exists(collateral) || Exists(priv);
  if (existing && !options.force) {
    return MakeError(Code::kAlreadyExists,
                     dir +
                         " already holds a sim TEE (root.pem, collateral.json or private/); "
                         "use --force to replace it");
  }
  // Build everything first: key generation and issuing cannot leave anything on disk.
  ASSIGN_OR_RETURN(SimFiles files, BuildSimFiles(options));

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir + ": " + ec.message());
  crypto::SystemRandom random;
  const std::string staging = Join(dir, (".sim-init." + ToHex(random.RandomBytes(8))).c_str());
  if (auto s = WriteStaging(staging, files); !s) {
    RemoveTree(staging);
    return s;
  }
  // Swap in: private/ first (a directory cannot be renamed over a non-empty one, so an old one
  // is moved aside into the staging directory), then the files by atomic rename, root.pem last.
  const std::string old_priv = Join(staging, "old-private");
  if (Exists(priv)) {
    if (auto s = Rename(priv, old_priv); !s) {
      RemoveTree(staging);
      return s;
    }
  }
  if (auto s = Rename(Join(staging, "private"), priv); !s) {
    if (Exists(old_priv)) (void)Rename(old_priv, priv);
    RemoveTree(staging);
    return s;
  }
  Status s = Rename(Join(staging, "collateral.json"), collateral);
  if (s) s = Rename(Join(staging, "root.pem"), root_pem);
  RemoveTree(staging);
  return s;
}

Result<SimTrust> LoadSimTrust(const std::string& dir) {
  SimTrust t;
  const std::string root_path = Join(dir, "root.pem");
  ASSIGN_OR_RETURN(std::string root_pem, ReadTextFile(root_path));
  auto roots = crypto::ParsePemChain(root_pem);
  if (!roots || roots->size() != 1) {
    return InvalidArgument(root_path + ": expected exactly one PEM certificate");
  }
  t.trust.roots = std::move(*roots);
  t.trust.simulated = true;
  const std::string col_path = Join(dir, "collateral.json");
  ASSIGN_OR_RETURN(t.collateral_json, ReadTextFile(col_path));
  auto col = dcap::ParseCollateral(t.collateral_json);
  if (!col) return tl::unexpected(col.error().WithContext(col_path));
  t.collateral = std::move(*col);
  return t;
}

SimOsImage SimOsImage::Default() {
  SimOsImage image;
  image.mrtd = crypto::Sha384(AsBytes("teecloud-sim-os v1: TD build-time measurement"));
  image.boot_events = {
      BootEvent(0, kEvEfiPlatformFirmwareBlob2, "sim-firmware", "teecloud-sim-os v1: firmware"),
      BootEvent(1, kEvEfiBootServicesApplication, "sim-kernel", "teecloud-sim-os v1: kernel"),
      BootEvent(2, kEvEventTag, "sim-cmdline", "teecloud-sim-os v1: console=ttyS0 ro"),
      BootEvent(2, kEvEventTag, "sim-initrd", "teecloud-sim-os v1: initrd"),
  };
  return image;
}

Result<std::shared_ptr<const SimQuoteSigner>> SimQuoteSigner::Load(const std::string& sim_dir) {
  const std::string priv = Join(sim_dir, "private");
  if (!Exists(Join(sim_dir, "root.pem")) || !Exists(priv)) {
    return NotFound(sim_dir + " is not a sim TEE directory (run `teecloud sim init " + sim_dir +
                    "`)");
  }
  ASSIGN_OR_RETURN(crypto::EcPrivateKey attestation_key,
                   ReadKey(Join(priv, "attestation_key.pem")));
  ASSIGN_OR_RETURN(crypto::EcPrivateKey pck_key, ReadKey(Join(priv, "pck_key.pem")));
  ASSIGN_OR_RETURN(std::string chain, ReadTextFile(Join(priv, "pck_chain.pem")));
  auto certs = crypto::ParsePemChain(chain);
  if (!certs || certs->size() != 3) {
    return InvalidArgument(Join(priv, "pck_chain.pem") +
                           ": expected the PCK certificate, PCK CA and root");
  }
  ASSIGN_OR_RETURN(crypto::EcPublicKey leaf_pub, (*certs)[0].PublicKey());
  if (leaf_pub.RawPoint() != pck_key.PublicKey().RawPoint()) {
    return InvalidArgument(priv + ": pck_key.pem does not match the PCK certificate");
  }
  const crypto::Digest256 fp = crypto::Sha256((*certs)[2].der());
  // The QE report is the same for every quote: sign it once. The PCK key is not kept.
  const SimPlatform& platform = DefaultSimPlatform();
  ASSIGN_OR_RETURN(dcap::QeCertification qe,
                   dcap::MakeQeCertification(SimQeReport(platform), attestation_key.PublicKey(),
                                             platform.qe_auth_data, pck_key, std::move(chain)));
  return std::make_shared<const SimQuoteSigner>(std::move(attestation_key), std::move(qe),
                                                ToHex(fp));
}

Result<Bytes> SimQuoteSigner::Quote(const Measurements& m, ByteView report_data) const {
  if (report_data.size() != kReportDataSize) {
    return InvalidArgument("report data must be 64 bytes, got " +
                           std::to_string(report_data.size()));
  }
  std::array<uint8_t, 64> rd{};
  std::copy(report_data.begin(), report_data.end(), rd.begin());
  return dcap::BuildTdxV4Quote(SimTdReportBody(DefaultSimPlatform(), m.mrtd, m.rtmr, rd), qe_,
                               attestation_key_);
}

struct SimAttester::State {
  std::shared_ptr<const SimQuoteSigner> signer;
  SimOsImage image;

  // Quotes read the registers under a shared lock; extensions take it exclusively, so a quote
  // and the event log read after it agree.
  mutable std::shared_mutex mu;
  std::array<crypto::Digest384, 4> rtmr{};
  std::vector<eventlog::RuntimeEvent> runtime_events;
};

SimAttester::SimAttester(std::unique_ptr<State> state) : state_(std::move(state)) {}
SimAttester::~SimAttester() = default;

Result<std::unique_ptr<SimAttester>> SimAttester::Open(const std::string& sim_dir,
                                                       SimOsImage image) {
  for (const auto& ev : image.boot_events) {
    if (ev.imr > 2 || ev.digest.size() != 48) {
      return InvalidArgument("sim OS image: boot event \"" + ev.event +
                             "\" must have imr 0..2 and a 48-byte digest");
    }
  }
  auto state = std::make_unique<State>();
  ASSIGN_OR_RETURN(state->signer, SimQuoteSigner::Load(sim_dir));
  const auto boot = eventlog::ReplayRuntimeLog(image.boot_events);
  for (size_t i = 0; i < 3; ++i) state->rtmr[i] = boot[i];
  state->image = std::move(image);
  return std::unique_ptr<SimAttester>(new SimAttester(std::move(state)));
}

PlatformInfo SimAttester::Platform() const {
  PlatformInfo info;
  info.tee = "sim";
  info.simulated = true;
  info.description =
      "simulated TDX (sim root sha256:" + state_->signer->root_fingerprint().substr(0, 16) + "...)";
  return info;
}

Result<Bytes> SimAttester::GetQuote(ByteView report_data) {
  Measurements m;
  {
    std::shared_lock lock(state_->mu);
    m.mrtd = state_->image.mrtd;
    m.rtmr = state_->rtmr;
  }
  return state_->signer->Quote(m, report_data);
}

Result<Measurements> SimAttester::ReadMeasurements() {
  std::shared_lock lock(state_->mu);
  Measurements m;
  m.mrtd = state_->image.mrtd;
  m.rtmr = state_->rtmr;
  return m;
}

Result<eventlog::RuntimeEvent> SimAttester::ExtendRuntimeEvent(uint32_t imr, std::string name,
                                                               ByteView payload) {
  if (imr != 2 && imr != 3) {
    return InvalidArgument("only RTMR2 and RTMR3 can be extended at run time, not RTMR" +
                           std::to_string(imr));
  }
  RETURN_IF_ERROR(CheckRuntimeName(name));
  eventlog::RuntimeEvent ev = eventlog::MakeRuntimeEvent(std::move(name), payload);
  ev.imr = imr;
  std::unique_lock lock(state_->mu);
  Fold(state_->rtmr[imr], ev.digest);
  state_->runtime_events.push_back(ev);
  return ev;
}

Result<std::vector<eventlog::RuntimeEvent>> SimAttester::ReadEventLog() {
  std::shared_lock lock(state_->mu);
  std::vector<eventlog::RuntimeEvent> log = state_->image.boot_events;
  log.insert(log.end(), state_->runtime_events.begin(), state_->runtime_events.end());
  return log;
}

}  // namespace teecloud::tee
