#include "tee/sim_platform.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>

#include "attest/dcap/pck_extensions.h"
#include "base/json.h"
#include "crypto/der.h"
#include "crypto/hash.h"

namespace teecloud::tee {

namespace {

template <size_t N>
std::array<uint8_t, N> Prefix(ByteView digest) {
  std::array<uint8_t, N> out{};
  TEECLOUD_CHECK(digest.size() >= N);
  std::copy_n(digest.begin(), N, out.begin());
  return out;
}

std::string UpperHex(ByteView b) {
  std::string s = ToHex(b);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// PCS dates are RFC 3339 in UTC with a "Z" suffix, second precision.
std::string PcsDate(UnixTime t) { return FormatRfc3339(t); }
std::string PcsDay(UnixTime t) { return FormatRfc3339(t - ((t % 86400) + 86400) % 86400); }

SimPlatform MakeDefault() {
  SimPlatform p;
  p.tee_tcb_svn = {0x06, 0x01, 0x03};
  p.mr_seam = crypto::Sha384(AsBytes("teecloud-sim-tdx-module"));
  // td_attributes: bytes are the little-endian u64; bit 28 (SEPT_VE_DISABLE) is byte 3, 0x10.
  p.td_attributes = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00};
  // xfam 0x000602e7: x87, SSE, AVX, opmask/ZMM (AVX-512), PK, AMX tile config and data.
  p.xfam = {0xe7, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00};
  p.sgx_components = {3, 3, 2, 2, 4, 1, 0, 5};
  p.pce_svn = 11;
  p.cpu_svn = {3, 3, 2, 2, 4, 1, 0, 5};
  p.pce_id = {0x00, 0x00};
  p.qe_mr_enclave = crypto::Sha256(AsBytes("teecloud-sim-td-qe"));
  p.qe_mr_signer = crypto::Sha256(AsBytes("teecloud-sim-qe-signer"));
  p.qe_isv_prod_id = 2;
  p.qe_isv_svn = 4;
  // ATTRIBUTES.INIT | MODE64BIT; DEBUG (bit 1) clear.
  p.qe_attributes = {0x11};
  p.qe_misc_select = 0;
  for (size_t i = 0; i < p.qe_auth_data.size(); ++i) p.qe_auth_data[i] = static_cast<uint8_t>(i);
  return p;
}

OrderedJson Components(const std::array<uint8_t, 16>& svns) {
  OrderedJson arr = OrderedJson::array();
  for (uint8_t v : svns) arr.push_back(OrderedJson{{"svn", v}});
  return arr;
}

OrderedJson SvnLevel(uint16_t isv_svn, const std::string& date, const char* status) {
  return OrderedJson{{"tcb", {{"isvsvn", isv_svn}}}, {"tcbDate", date}, {"tcbStatus", status}};
}

// An older level of the same platform: every SVN one lower (floored at zero).
template <size_t N>
std::array<uint8_t, N> Older(std::array<uint8_t, N> v) {
  for (auto& x : v) x = x > 0 ? static_cast<uint8_t>(x - 1) : 0;
  return v;
}

}  // namespace

const SimPlatform& DefaultSimPlatform() {
  static const SimPlatform* p = new SimPlatform(MakeDefault());
  return *p;
}

attest::dcap::SgxReportBody SimQeReport(const SimPlatform& p) {
  attest::dcap::SgxReportBody b;
  b.cpu_svn = p.cpu_svn;
  b.misc_select = p.qe_misc_select;
  b.attributes = p.qe_attributes;
  b.mr_enclave = p.qe_mr_enclave;
  b.mr_signer = p.qe_mr_signer;
  b.isv_prod_id = p.qe_isv_prod_id;
  b.isv_svn = p.qe_isv_svn;
  return b;
}

attest::dcap::TdxReportBody SimTdReportBody(const SimPlatform& p,
                                            const std::array<uint8_t, 48>& mrtd,
                                            const std::array<std::array<uint8_t, 48>, 4>& rtmr,
                                            const std::array<uint8_t, 64>& report_data) {
  attest::dcap::TdxReportBody b;
  b.tee_tcb_svn = p.tee_tcb_svn;
  b.mr_seam = p.mr_seam;
  b.mr_signer_seam = p.mr_signer_seam;
  b.seam_attributes = p.seam_attributes;
  b.td_attributes = p.td_attributes;
  b.xfam = p.xfam;
  b.mr_td = mrtd;
  b.rtmr = rtmr;
  b.report_data = report_data;
  return b;
}

std::string SimTcbInfoJson(const SimPlatform& p, ByteView fmspc, UnixTime issue_date,
                           UnixTime next_update) {
  const std::string day = PcsDay(issue_date);
  const std::string module_id = [&] {
    char id[16];
    std::snprintf(id, sizeof(id), "TDX_%02X", p.tee_tcb_svn[1]);
    return std::string(id);
  }();
  OrderedJson module{{"mrsigner", UpperHex(p.mr_signer_seam)},
                     {"attributes", UpperHex(p.seam_attributes)},
                     {"attributesMask", "FFFFFFFFFFFFFFFF"}};
  OrderedJson identity{
      {"id", module_id},
      {"mrsigner", UpperHex(p.mr_signer_seam)},
      {"attributes", UpperHex(p.seam_attributes)},
      {"attributesMask", "FFFFFFFFFFFFFFFF"},
      {"tcbLevels", OrderedJson::array({SvnLevel(p.tee_tcb_svn[0], day, "UpToDate"),
                                        SvnLevel(Older(p.tee_tcb_svn)[0], day, "OutOfDate")})}};
  auto level = [&](const std::array<uint8_t, 16>& sgx, uint16_t pce_svn,
                   const std::array<uint8_t, 16>& tdx, const char* status) {
    return OrderedJson{{"tcb",
                        {{"sgxtcbcomponents", Components(sgx)},
                         {"pcesvn", pce_svn},
                         {"tdxtcbcomponents", Components(tdx)}}},
                       {"tcbDate", day},
                       {"tcbStatus", status}};
  };
  OrderedJson levels = OrderedJson::array();
  levels.push_back(level(p.sgx_components, p.pce_svn, p.tee_tcb_svn, "UpToDate"));
  levels.push_back(level(Older(p.sgx_components), static_cast<uint16_t>(p.pce_svn - 1),
                         Older(p.tee_tcb_svn), "OutOfDate"));
  OrderedJson doc{{"id", "TDX"},
                  {"version", 3},
                  {"issueDate", PcsDate(issue_date)},
                  {"nextUpdate", PcsDate(next_update)},
                  {"fmspc", UpperHex(fmspc)},
                  {"pceId", UpperHex(p.pce_id)},
                  {"tcbType", 0},
                  {"tcbEvaluationDataNumber", 1},
                  {"tdxModule", module},
                  {"tdxModuleIdentities", OrderedJson::array({identity})},
                  {"tcbLevels", levels}};
  return DumpJson(doc);
}

std::string SimQeIdentityJson(const SimPlatform& p, UnixTime issue_date, UnixTime next_update) {
  const std::string day = PcsDay(issue_date);
  char misc[9];
  std::snprintf(misc, sizeof(misc), "%08X", p.qe_misc_select);
  OrderedJson doc{{"id", "TD_QE"},
                  {"version", 2},
                  {"issueDate", PcsDate(issue_date)},
                  {"nextUpdate", PcsDate(next_update)},
                  {"tcbEvaluationDataNumber", 1},
                  {"miscselect", misc},
                  {"miscselectMask", "FFFFFFFF"},
                  {"attributes", UpperHex(p.qe_attributes)},
                  // DEBUG (bit 1) is compared, as in Intel's TD_QE identity.
                  {"attributesMask", "FBFFFFFFFFFFFFFF0000000000000000"},
                  {"mrsigner", UpperHex(p.qe_mr_signer)},
                  {"isvprodid", p.qe_isv_prod_id},
                  {"tcbLevels", OrderedJson::array({SvnLevel(p.qe_isv_svn, day, "UpToDate")})}};
  return DumpJson(doc);
}

Bytes SimPckSgxExtension(const SimPlatform& p, ByteView fmspc, ByteView ppid,
                         ByteView platform_instance_id) {
  TEECLOUD_CHECK(fmspc.size() == 6 && ppid.size() == 16 && platform_instance_id.size() == 16);
  const std::string base(attest::dcap::kSgxExtensionsOid);
  using crypto::DerWriter;
  auto entry = [](const std::string& oid, DerWriter value) {
    DerWriter e;
    e.Oid(oid).Raw(value.bytes());
    return DerWriter().Sequence(e);
  };
  DerWriter tcb;
  for (size_t i = 0; i < 16; ++i) {
    tcb.Raw(
        entry(base + ".2." + std::to_string(i + 1), DerWriter().Uint(p.sgx_components[i])).bytes());
  }
  tcb.Raw(entry(base + ".2.17", DerWriter().Uint(p.pce_svn)).bytes());
  tcb.Raw(entry(base + ".2.18", DerWriter().OctetString(p.cpu_svn)).bytes());

  DerWriter config;
  for (int i = 1; i <= 3; ++i) {
    config.Raw(entry(base + ".7." + std::to_string(i), DerWriter().Boolean(true)).bytes());
  }

  DerWriter all;
  all.Raw(entry(base + ".1", DerWriter().OctetString(ppid)).bytes())
      .Raw(entry(base + ".2", DerWriter().Sequence(tcb)).bytes())
      .Raw(entry(base + ".3", DerWriter().OctetString(p.pce_id)).bytes())
      .Raw(entry(base + ".4", DerWriter().OctetString(fmspc)).bytes())
      .Raw(entry(base + ".5", DerWriter().Enumerated(attest::dcap::kSgxTypeScalable)).bytes())
      .Raw(entry(base + ".6", DerWriter().OctetString(platform_instance_id)).bytes())
      .Raw(entry(base + ".7", DerWriter().Sequence(config)).bytes());
  return DerWriter().Sequence(all).Finish();
}

}  // namespace teecloud::tee
