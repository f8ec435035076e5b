// DCAP collateral parsing.
//
// References (cited as [PCS]): Intel SGX and Intel TDX Provisioning Certification Service API
// v4 — "TCB Info V2/V3" (GET /sgx/certification/v4/tcb, /tdx/certification/v4/tcb) and
// "Enclave Identity V2" (GET .../qe/identity) data models. The container format is dcap-qvl's
// QuoteCollateralV3 JSON (../shared/vectors/README.md).
//
// Two strictness levels, on purpose:
//  * The container is ours to define: every member is required and unknown members are
//    errors, so a verifier never silently drops a field it was handed.
//  * The signed PCS documents are Intel's: unknown members are ignored (Intel adds fields over
//    time, e.g. "category"/"type" on TCB components), but every member we rely on must be
//    present with the right type, and errors name the JSON path.
#include "attest/dcap/collateral.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "base/json.h"

namespace teecloud::attest::dcap {
namespace {

// Bounds on untrusted sizes. Real TCB info has a few dozen levels at most; these limits only
// stop a hostile document from making us allocate or loop without bound.
constexpr size_t kMaxLevels = 1024;
constexpr size_t kMaxModuleIdentities = 1024;
constexpr size_t kMaxAdvisories = 1024;
// [PCS] TCB Info: exactly 16 SGX (and 16 TDX) TCB components per level.
constexpr size_t kComponents = 16;
// [PCS] tcb_info_signature / qe_identity_signature: ECDSA P-256 r||s, 32 bytes each.
constexpr size_t kRawSignatureSize = 64;

constexpr std::string_view kCollateralKeys[] = {
    "pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
    "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
    "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature",
};

std::string Field(std::string_view ctx, std::string_view key) {
  return std::string(ctx) + "." + std::string(key);
}

std::string Index(std::string_view ctx, size_t i) {
  return std::string(ctx) + "[" + std::to_string(i) + "]";
}

// An unsigned integer member no larger than `max` (SVNs are u8/u16 in the quote and the PCK
// certificate, so a larger value in a document can never be matched and signals corruption).
Result<uint64_t> UintAtMost(const Json& obj, std::string_view key, std::string_view ctx,
                            uint64_t max) {
  ASSIGN_OR_RETURN(uint64_t v, JsonUint(obj, key, ctx));
  if (v > max) {
    return OutOfRange(Field(ctx, key) + ": " + std::to_string(v) + " exceeds " +
                      std::to_string(max));
  }
  return v;
}

// A hex string member of exactly `size` bytes. Case-insensitive: PCS uses upper case, but
// some collateral sources (tdx/t3-near-v4) carry lower-case FMSPCs; we store bytes, so case
// never matters after parsing.
Result<Bytes> HexOfSize(const Json& obj, std::string_view key, std::string_view ctx, size_t size) {
  ASSIGN_OR_RETURN(Bytes b, JsonHex(obj, key, ctx));
  if (b.size() != size) {
    return InvalidArgument(Field(ctx, key) + ": expected " + std::to_string(size) + " bytes, got " +
                           std::to_string(b.size()));
  }
  return b;
}

template <size_t N>
Result<std::array<uint8_t, N>> HexArray(const Json& obj, std::string_view key,
                                        std::string_view ctx) {
  ASSIGN_OR_RETURN(Bytes b, HexOfSize(obj, key, ctx, N));
  std::array<uint8_t, N> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

Result<UnixTime> Rfc3339Member(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(std::string s, JsonString(obj, key, ctx));
  auto t = ParseRfc3339(s);
  if (!t) return InvalidArgument(Field(ctx, key) + ": " + t.error().message);
  return *t;
}

// A tcbStatus inside a signed document: one of the seven PCS values. "TcbLevelNotFound" is
// our verdict name, never something Intel signs, so it is rejected here.
Result<TcbStatus> StatusMember(const Json& obj, std::string_view key, std::string_view ctx) {
  ASSIGN_OR_RETURN(std::string s, JsonString(obj, key, ctx));
  auto status = ParseTcbStatus(s);
  if (!status || *status == TcbStatus::kTcbLevelNotFound) {
    return InvalidArgument(Field(ctx, key) + ": unknown TCB status \"" + s + "\"");
  }
  return *status;
}

// [PCS] advisoryIDs is optional on every kind of TCB level.
Result<std::vector<std::string>> AdvisoryIds(const Json& level, std::string_view ctx) {
  std::vector<std::string> ids;
  if (!level.contains("advisoryIDs")) return ids;
  ASSIGN_OR_RETURN(const Json* arr, JsonArray(level, "advisoryIDs", ctx));
  const std::string path = Field(ctx, "advisoryIDs");
  if (arr->size() > kMaxAdvisories) return OutOfRange(path + ": too many entries");
  ids.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    const Json& id = (*arr)[i];
    if (!id.is_string()) return InvalidArgument(Index(path, i) + ": expected a string");
    ids.push_back(id.get<std::string>());
  }
  return ids;
}

// The array member `key`, bounded to `max` entries.
Result<const Json*> BoundedArray(const Json& obj, std::string_view key, std::string_view ctx,
                                 size_t max) {
  ASSIGN_OR_RETURN(const Json* arr, JsonArray(obj, key, ctx));
  if (arr->size() > max) {
    return OutOfRange(Field(ctx, key) + ": " + std::to_string(arr->size()) +
                      " entries exceed the limit of " + std::to_string(max));
  }
  return arr;
}

// [PCS] Enclave Identity V2 tcbLevels and TDX module identity tcbLevels:
// {"tcb": {"isvsvn": n}, "tcbDate": ..., "tcbStatus": ..., "advisoryIDs": [...]?}.
Result<std::vector<SvnTcbLevel>> SvnTcbLevels(const Json& obj, std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* arr, BoundedArray(obj, "tcbLevels", ctx, kMaxLevels));
  const std::string path = Field(ctx, "tcbLevels");
  std::vector<SvnTcbLevel> levels;
  levels.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    const Json& level = (*arr)[i];
    const std::string lctx = Index(path, i);
    if (!level.is_object()) return InvalidArgument(lctx + ": expected an object");
    SvnTcbLevel out;
    ASSIGN_OR_RETURN(const Json* tcb, JsonObject(level, "tcb", lctx));
    ASSIGN_OR_RETURN(uint64_t isv_svn, UintAtMost(*tcb, "isvsvn", Field(lctx, "tcb"), 0xffff));
    out.isv_svn = static_cast<uint16_t>(isv_svn);
    ASSIGN_OR_RETURN(out.tcb_date, Rfc3339Member(level, "tcbDate", lctx));
    ASSIGN_OR_RETURN(out.status, StatusMember(level, "tcbStatus", lctx));
    ASSIGN_OR_RETURN(out.advisory_ids, AdvisoryIds(level, lctx));
    levels.push_back(std::move(out));
  }
  return levels;
}

// [PCS] TCB Info V3 "tdxModule" {mrsigner, attributes, attributesMask} and each entry of
// "tdxModuleIdentities", which adds "id" and "tcbLevels".
Result<TdxModuleIdentity> TdxModule(const Json& obj, std::string_view ctx, bool identity) {
  if (!obj.is_object()) return InvalidArgument(std::string(ctx) + ": expected an object");
  TdxModuleIdentity m;
  if (identity) {
    ASSIGN_OR_RETURN(m.id, JsonString(obj, "id", ctx));
  }
  ASSIGN_OR_RETURN(m.mr_signer, HexOfSize(obj, "mrsigner", ctx, 48));
  ASSIGN_OR_RETURN(m.attributes, HexOfSize(obj, "attributes", ctx, 8));
  ASSIGN_OR_RETURN(m.attributes_mask, HexOfSize(obj, "attributesMask", ctx, 8));
  if (identity) {
    ASSIGN_OR_RETURN(m.tcb_levels, SvnTcbLevels(obj, ctx));
  }
  return m;
}

// [PCS] TCB Info V3: "sgxtcbcomponents" / "tdxtcbcomponents" are arrays of 16 objects whose
// "svn" is the component SVN; "category" and "type" are descriptive and ignored.
Result<std::array<uint8_t, kComponents>> ComponentArray(const Json& tcb, std::string_view key,
                                                        std::string_view ctx) {
  ASSIGN_OR_RETURN(const Json* arr, JsonArray(tcb, key, ctx));
  const std::string path = Field(ctx, key);
  if (arr->size() != kComponents) {
    return InvalidArgument(path + ": expected " + std::to_string(kComponents) +
                           " components, got " + std::to_string(arr->size()));
  }
  std::array<uint8_t, kComponents> out{};
  for (size_t i = 0; i < kComponents; ++i) {
    const Json& c = (*arr)[i];
    const std::string cctx = Index(path, i);
    if (!c.is_object()) return InvalidArgument(cctx + ": expected an object");
    ASSIGN_OR_RETURN(uint64_t svn, UintAtMost(c, "svn", cctx, 0xff));
    out[i] = static_cast<uint8_t>(svn);
  }
  return out;
}

// [PCS] TCB Info V2: the components are flat members "sgxtcbcomp01svn" .. "sgxtcbcomp16svn".
Result<std::array<uint8_t, kComponents>> FlatComponents(const Json& tcb, std::string_view ctx) {
  std::array<uint8_t, kComponents> out{};
  for (size_t i = 0; i < kComponents; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "sgxtcbcomp%02zusvn", i + 1);
    ASSIGN_OR_RETURN(uint64_t svn, UintAtMost(tcb, key, ctx, 0xff));
    out[i] = static_cast<uint8_t>(svn);
  }
  return out;
}

Result<TcbLevel> ParseTcbLevel(const Json& level, std::string_view ctx, int version, bool tdx) {
  if (!level.is_object()) return InvalidArgument(std::string(ctx) + ": expected an object");
  TcbLevel out;
  ASSIGN_OR_RETURN(const Json* tcb, JsonObject(level, "tcb", ctx));
  const std::string tctx = Field(ctx, "tcb");
  if (version == 2) {
    ASSIGN_OR_RETURN(out.sgx_components, FlatComponents(*tcb, tctx));
  } else {
    ASSIGN_OR_RETURN(out.sgx_components, ComponentArray(*tcb, "sgxtcbcomponents", tctx));
    // Only TDX TCB info carries TDX components; an SGX document is judged on SGX ones alone.
    if (tdx) {
      ASSIGN_OR_RETURN(out.tdx_components, ComponentArray(*tcb, "tdxtcbcomponents", tctx));
    }
  }
  ASSIGN_OR_RETURN(uint64_t pce_svn, UintAtMost(*tcb, "pcesvn", tctx, 0xffff));
  out.pce_svn = static_cast<uint16_t>(pce_svn);
  ASSIGN_OR_RETURN(out.tcb_date, Rfc3339Member(level, "tcbDate", ctx));
  ASSIGN_OR_RETURN(out.status, StatusMember(level, "tcbStatus", ctx));
  ASSIGN_OR_RETURN(out.advisory_ids, AdvisoryIds(level, ctx));
  return out;
}

}  // namespace

const char* TcbStatusName(TcbStatus s) {
  switch (s) {
    case TcbStatus::kUpToDate:
      return "UpToDate";
    case TcbStatus::kSWHardeningNeeded:
      return "SWHardeningNeeded";
    case TcbStatus::kConfigurationNeeded:
      return "ConfigurationNeeded";
    case TcbStatus::kConfigurationAndSWHardeningNeeded:
      return "ConfigurationAndSWHardeningNeeded";
    case TcbStatus::kOutOfDate:
      return "OutOfDate";
    case TcbStatus::kOutOfDateConfigurationNeeded:
      return "OutOfDateConfigurationNeeded";
    case TcbStatus::kRevoked:
      return "Revoked";
    case TcbStatus::kTcbLevelNotFound:
      return "TcbLevelNotFound";
  }
  return "Unknown";
}

Result<TcbStatus> ParseTcbStatus(std::string_view s) {
  static constexpr TcbStatus kAll[] = {
      TcbStatus::kUpToDate,
      TcbStatus::kSWHardeningNeeded,
      TcbStatus::kConfigurationNeeded,
      TcbStatus::kConfigurationAndSWHardeningNeeded,
      TcbStatus::kOutOfDate,
      TcbStatus::kOutOfDateConfigurationNeeded,
      TcbStatus::kRevoked,
      TcbStatus::kTcbLevelNotFound,
  };
  for (TcbStatus status : kAll) {
    if (s == TcbStatusName(status)) return status;
  }
  return InvalidArgument("unknown TCB status \"" + std::string(s) + "\"");
}

Result<Collateral> ParseCollateral(std::string_view json) {
  constexpr std::string_view kCtx = "collateral";
  ASSIGN_OR_RETURN(Json doc, ParseJson(json));
  if (!doc.is_object()) return InvalidArgument("collateral: expected a JSON object");
  for (const auto& item : doc.items()) {
    bool known = false;
    for (std::string_view k : kCollateralKeys) known = known || item.key() == k;
    if (!known) return InvalidArgument("collateral: unknown member \"" + item.key() + "\"");
  }

  auto der_hex = [&](std::string_view key) -> Result<Bytes> {
    ASSIGN_OR_RETURN(Bytes b, JsonHex(doc, key, kCtx));
    if (b.empty()) return InvalidArgument(Field(kCtx, key) + ": empty");
    return b;
  };

  Collateral c;
  ASSIGN_OR_RETURN(c.pck_crl_issuer_chain, JsonString(doc, "pck_crl_issuer_chain", kCtx));
  ASSIGN_OR_RETURN(c.root_ca_crl, der_hex("root_ca_crl"));
  ASSIGN_OR_RETURN(c.pck_crl, der_hex("pck_crl"));
  ASSIGN_OR_RETURN(c.tcb_info_issuer_chain, JsonString(doc, "tcb_info_issuer_chain", kCtx));
  // The signed documents stay as the exact decoded string: the signatures cover those bytes,
  // and re-serializing would change whitespace or member order.
  ASSIGN_OR_RETURN(c.tcb_info, JsonString(doc, "tcb_info", kCtx));
  ASSIGN_OR_RETURN(c.tcb_info_signature,
                   HexOfSize(doc, "tcb_info_signature", kCtx, kRawSignatureSize));
  ASSIGN_OR_RETURN(c.qe_identity_issuer_chain, JsonString(doc, "qe_identity_issuer_chain", kCtx));
  ASSIGN_OR_RETURN(c.qe_identity, JsonString(doc, "qe_identity", kCtx));
  ASSIGN_OR_RETURN(c.qe_identity_signature,
                   HexOfSize(doc, "qe_identity_signature", kCtx, kRawSignatureSize));
  return c;
}

Result<TcbInfo> ParseTcbInfo(std::string_view signed_json) {
  constexpr std::string_view kCtx = "tcbInfo";
  ASSIGN_OR_RETURN(Json doc, ParseJson(signed_json));
  if (!doc.is_object()) return InvalidArgument("tcbInfo: expected a JSON object");

  TcbInfo info;
  ASSIGN_OR_RETURN(int64_t version, JsonInt(doc, "version", kCtx));
  // [PCS] API v3 serves TCB Info V2 (SGX only, no "id"); API v4 serves V3 with "id".
  if (version != 2 && version != 3) {
    return InvalidArgument("tcbInfo.version: unsupported " + std::to_string(version) +
                           " (expected 2 or 3)");
  }
  info.version = static_cast<int>(version);
  bool tdx = false;
  if (info.version == 3) {
    ASSIGN_OR_RETURN(info.id, JsonString(doc, "id", kCtx));
    if (info.id != "SGX" && info.id != "TDX") {
      return InvalidArgument("tcbInfo.id: expected \"SGX\" or \"TDX\", got \"" + info.id + "\"");
    }
    tdx = info.id == "TDX";
  }
  ASSIGN_OR_RETURN(info.issue_date, Rfc3339Member(doc, "issueDate", kCtx));
  ASSIGN_OR_RETURN(info.next_update, Rfc3339Member(doc, "nextUpdate", kCtx));
  ASSIGN_OR_RETURN(info.fmspc, HexOfSize(doc, "fmspc", kCtx, 6));
  ASSIGN_OR_RETURN(info.pce_id, HexOfSize(doc, "pceId", kCtx, 2));
  // [PCS] tcbType 0 is the only defined type: it means "compare each component SVN". Any
  // other value would give the levels a meaning the verifier does not implement.
  ASSIGN_OR_RETURN(int64_t tcb_type, JsonInt(doc, "tcbType", kCtx));
  if (tcb_type != 0) {
    return InvalidArgument("tcbInfo.tcbType: unsupported " + std::to_string(tcb_type) +
                           " (only 0 is defined)");
  }
  info.tcb_type = 0;
  ASSIGN_OR_RETURN(uint64_t eval_number,
                   UintAtMost(doc, "tcbEvaluationDataNumber", kCtx, INT64_MAX));
  info.tcb_evaluation_data_number = static_cast<int64_t>(eval_number);

  // [PCS] tdxModule and tdxModuleIdentities are optional and only meaningful for TDX. Older
  // TDX TCB info (tdx/t5-spr-v4-nolevel) has tdxModule but no identities.
  if (tdx && doc.contains("tdxModule")) {
    ASSIGN_OR_RETURN(const Json* m, JsonObject(doc, "tdxModule", kCtx));
    ASSIGN_OR_RETURN(info.tdx_module, TdxModule(*m, "tcbInfo.tdxModule", /*identity=*/false));
  }
  if (tdx && doc.contains("tdxModuleIdentities")) {
    ASSIGN_OR_RETURN(const Json* ids,
                     BoundedArray(doc, "tdxModuleIdentities", kCtx, kMaxModuleIdentities));
    info.tdx_module_identities.reserve(ids->size());
    for (size_t i = 0; i < ids->size(); ++i) {
      ASSIGN_OR_RETURN(TdxModuleIdentity m,
                       TdxModule((*ids)[i], Index("tcbInfo.tdxModuleIdentities", i),
                                 /*identity=*/true));
      info.tdx_module_identities.push_back(std::move(m));
    }
  }

  ASSIGN_OR_RETURN(const Json* levels, BoundedArray(doc, "tcbLevels", kCtx, kMaxLevels));
  info.tcb_levels.reserve(levels->size());
  for (size_t i = 0; i < levels->size(); ++i) {
    ASSIGN_OR_RETURN(TcbLevel level,
                     ParseTcbLevel((*levels)[i], Index("tcbInfo.tcbLevels", i), info.version, tdx));
    info.tcb_levels.push_back(std::move(level));
  }
  return info;
}

Result<EnclaveIdentity> ParseEnclaveIdentity(std::string_view signed_json) {
  constexpr std::string_view kCtx = "enclaveIdentity";
  ASSIGN_OR_RETURN(Json doc, ParseJson(signed_json));
  if (!doc.is_object()) return InvalidArgument("enclaveIdentity: expected a JSON object");

  EnclaveIdentity id;
  ASSIGN_OR_RETURN(int64_t version, JsonInt(doc, "version", kCtx));
  // [PCS] API v3/v4 serve Enclave Identity V2 only (V1 had no tcbLevels).
  if (version != 2) {
    return InvalidArgument("enclaveIdentity.version: unsupported " + std::to_string(version) +
                           " (expected 2)");
  }
  id.version = 2;
  ASSIGN_OR_RETURN(id.id, JsonString(doc, "id", kCtx));
  ASSIGN_OR_RETURN(id.issue_date, Rfc3339Member(doc, "issueDate", kCtx));
  ASSIGN_OR_RETURN(id.next_update, Rfc3339Member(doc, "nextUpdate", kCtx));
  ASSIGN_OR_RETURN(uint64_t eval_number,
                   UintAtMost(doc, "tcbEvaluationDataNumber", kCtx, INT64_MAX));
  id.tcb_evaluation_data_number = static_cast<int64_t>(eval_number);
  // [PCS] miscselect / miscselectMask are the u32 written as 8 hex digits, most significant
  // first ("0000000F" is bit 0..3 set), unlike the little-endian MISCSELECT in the report.
  ASSIGN_OR_RETURN(auto misc, HexArray<4>(doc, "miscselect", kCtx));
  ASSIGN_OR_RETURN(auto misc_mask, HexArray<4>(doc, "miscselectMask", kCtx));
  auto be32 = [](const std::array<uint8_t, 4>& b) {
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  };
  id.misc_select = be32(misc);
  id.misc_select_mask = be32(misc_mask);
  // attributes / mrsigner are raw report bytes, compared byte by byte.
  ASSIGN_OR_RETURN(id.attributes, HexArray<16>(doc, "attributes", kCtx));
  ASSIGN_OR_RETURN(id.attributes_mask, HexArray<16>(doc, "attributesMask", kCtx));
  ASSIGN_OR_RETURN(id.mr_signer, HexArray<32>(doc, "mrsigner", kCtx));
  ASSIGN_OR_RETURN(uint64_t prod_id, UintAtMost(doc, "isvprodid", kCtx, 0xffff));
  id.isv_prod_id = static_cast<uint16_t>(prod_id);
  ASSIGN_OR_RETURN(id.tcb_levels, SvnTcbLevels(doc, kCtx));
  return id;
}

}  // namespace teecloud::attest::dcap
