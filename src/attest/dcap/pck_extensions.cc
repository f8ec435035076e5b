// Intel SGX PCK certificate extension parsing.
//
// [PCK profile] "Intel SGX PCK Certificate and CRL Profile Specification", SGX Extensions:
//
//   SGX Extensions (1.2.840.113741.1.13.1) ::= SEQUENCE OF SEQUENCE { OID, value }
//     …1.1 PPID           OCTET STRING (16)
//     …1.2 TCB            SEQUENCE OF SEQUENCE { OID, value }
//            …1.2.1..16   SGX TCB Comp01..16 SVN   INTEGER (0..255)
//            …1.2.17      PCESVN                   INTEGER (0..65535)
//            …1.2.18      CPUSVN                   OCTET STRING (16)
//     …1.3 PCE-ID         OCTET STRING (2)
//     …1.4 FMSPC          OCTET STRING (6)
//     …1.5 SGX Type       ENUMERATED
//     …1.6 PlatformInstanceID  OCTET STRING (16)   (Platform CA certificates only)
//     …1.7 Configuration  SEQUENCE OF SEQUENCE { OID …1.7.n, BOOLEAN }  (Platform CA only)
#include "attest/dcap/pck_extensions.h"

#include <bitset>
#include <string>
#include <utility>

#include "crypto/der.h"

namespace teecloud::attest::dcap {
namespace {

using crypto::DerElement;
using crypto::DerReader;

constexpr uint8_t kDerBoolean = 0x01;
constexpr uint8_t kDerUtf8String = 0x0c;
constexpr uint8_t kDerPrintableString = 0x13;
constexpr uint8_t kDerSet = 0x31;

constexpr std::string_view kCommonNameOid = "2.5.4.3";
constexpr std::string_view kPlatformCaName = "Intel SGX PCK Platform CA";
constexpr std::string_view kProcessorCaName = "Intel SGX PCK Processor CA";

// Number of entries in the TCB SEQUENCE: 16 components, PCESVN, CPUSVN.
constexpr int kTcbEntries = 18;

template <typename T>
Result<T> WithContext(Result<T> r, std::string_view ctx) {
  if (!r) return tl::unexpected(r.error().WithContext(ctx));
  return r;
}

// The part of `oid` after "<parent>." (e.g. "2.17" under the SGX extension), or "" when `oid`
// is not below `parent`.
std::string_view ChildArc(std::string_view oid, std::string_view parent) {
  if (oid.size() <= parent.size() + 1 || oid.substr(0, parent.size()) != parent ||
      oid[parent.size()] != '.') {
    return {};
  }
  return oid.substr(parent.size() + 1);
}

// A single decimal arc ("17") in [1, max], or 0 when `arc` is anything else (deeper OIDs like
// "2.17" included).
int SmallArc(std::string_view arc, int max) {
  if (arc.empty() || arc.size() > 2) return 0;
  int v = 0;
  for (char c : arc) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v >= 1 && v <= max ? v : 0;
}

Result<Bytes> OctetString(const DerElement& e, size_t size, std::string_view what) {
  if (e.tag != crypto::kDerOctetString) {
    return InvalidArgument(std::string(what) + ": expected an OCTET STRING");
  }
  if (e.contents.size() != size) {
    return InvalidArgument(std::string(what) + ": expected " + std::to_string(size) +
                           " bytes, got " + std::to_string(e.contents.size()));
  }
  return ToBytes(e.contents);
}

// INTEGER or ENUMERATED (same contents encoding) no larger than `max`.
Result<uint64_t> SmallUint(const DerElement& e, uint8_t tag, uint64_t max, std::string_view what) {
  if (e.tag != tag) {
    return InvalidArgument(std::string(what) + (tag == crypto::kDerEnumerated
                                                    ? ": expected an ENUMERATED"
                                                    : ": expected an INTEGER"));
  }
  ASSIGN_OR_RETURN(uint64_t v, WithContext(crypto::DecodeUint(e.contents), what));
  if (v > max) {
    return OutOfRange(std::string(what) + ": " + std::to_string(v) + " exceeds " +
                      std::to_string(max));
  }
  return v;
}

Result<bool> Boolean(const DerElement& e, std::string_view what) {
  // DER: BOOLEAN is one octet, 0x00 or 0xFF (X.690 11.1).
  if (e.tag != kDerBoolean || e.contents.size() != 1 ||
      (e.contents[0] != 0x00 && e.contents[0] != 0xff)) {
    return InvalidArgument(std::string(what) + ": expected a DER BOOLEAN");
  }
  return e.contents[0] == 0xff;
}

struct OidValue {
  std::string oid;
  DerElement value;
};

// Reads SEQUENCE OF SEQUENCE { OID, value } from `contents` (the outer SEQUENCE's contents).
// The shape every level of the SGX extension shares.
Result<std::vector<OidValue>> OidValueList(ByteView contents, std::string_view what) {
  std::vector<OidValue> out;
  DerReader reader(contents);
  while (!reader.empty()) {
    const std::string ctx = std::string(what) + "[" + std::to_string(out.size()) + "]";
    ASSIGN_OR_RETURN(DerElement entry,
                     WithContext(reader.Expect(crypto::kDerSequence, "entry"), ctx));
    DerReader fields(entry.contents);
    ASSIGN_OR_RETURN(DerElement oid, WithContext(fields.Expect(crypto::kDerOid, "OID"), ctx));
    ASSIGN_OR_RETURN(std::string oid_text, WithContext(crypto::DecodeOid(oid.contents), ctx));
    ASSIGN_OR_RETURN(DerElement value, WithContext(fields.Next(), ctx + " (" + oid_text + ")"));
    if (!fields.empty()) {
      return InvalidArgument(ctx + " (" + oid_text + "): trailing data after the value");
    }
    out.push_back(OidValue{std::move(oid_text), value});
  }
  return out;
}

Status ParseTcb(const DerElement& tcb, const std::string& tcb_oid, PckExtensions& out) {
  constexpr std::string_view kWhat = "SGX extension TCB";
  if (tcb.tag != crypto::kDerSequence) {
    return InvalidArgument(std::string(kWhat) + ": expected a SEQUENCE");
  }
  ASSIGN_OR_RETURN(std::vector<OidValue> entries, OidValueList(tcb.contents, kWhat));
  std::bitset<kTcbEntries + 1> seen;
  for (const OidValue& e : entries) {
    const int arc = SmallArc(ChildArc(e.oid, tcb_oid), kTcbEntries);
    if (arc == 0) continue;  // not ours: ignore (see header)
    const std::string what = std::string(kWhat) + " " + e.oid;
    if (seen[arc]) return InvalidArgument(what + ": duplicate");
    seen[arc] = true;
    if (arc <= 16) {
      ASSIGN_OR_RETURN(uint64_t svn, SmallUint(e.value, crypto::kDerInteger, 0xff, what));
      out.tcb_components[arc - 1] = static_cast<uint8_t>(svn);
    } else if (arc == 17) {
      ASSIGN_OR_RETURN(uint64_t svn, SmallUint(e.value, crypto::kDerInteger, 0xffff, what));
      out.pce_svn = static_cast<uint16_t>(svn);
    } else {
      ASSIGN_OR_RETURN(out.cpu_svn, OctetString(e.value, 16, what));
    }
  }
  for (int arc = 1; arc <= kTcbEntries; ++arc) {
    if (!seen[arc]) {
      return InvalidArgument(std::string(kWhat) + ": missing " + tcb_oid + "." +
                             std::to_string(arc));
    }
  }
  return OkStatus();
}

Result<PckConfiguration> ParseConfiguration(const DerElement& config,
                                            const std::string& config_oid) {
  constexpr std::string_view kWhat = "SGX extension Configuration";
  if (config.tag != crypto::kDerSequence) {
    return InvalidArgument(std::string(kWhat) + ": expected a SEQUENCE");
  }
  ASSIGN_OR_RETURN(std::vector<OidValue> entries, OidValueList(config.contents, kWhat));
  PckConfiguration out;
  for (const OidValue& e : entries) {
    const int arc = SmallArc(ChildArc(e.oid, config_oid), 3);
    if (arc == 0) continue;
    std::optional<bool>& flag =
        arc == 1 ? out.dynamic_platform : (arc == 2 ? out.cached_keys : out.smt_enabled);
    const std::string what = std::string(kWhat) + " " + e.oid;
    if (flag.has_value()) return InvalidArgument(what + ": duplicate");
    ASSIGN_OR_RETURN(flag, Boolean(e.value, what));
  }
  return out;
}

}  // namespace

Result<PckExtensions> ParsePckExtensions(ByteView ext_value) {
  constexpr std::string_view kWhat = "SGX extension";
  DerReader top(ext_value);
  ASSIGN_OR_RETURN(DerElement seq,
                   WithContext(top.Expect(crypto::kDerSequence, "SEQUENCE"), kWhat));
  if (!top.empty()) return InvalidArgument(std::string(kWhat) + ": trailing data");
  ASSIGN_OR_RETURN(std::vector<OidValue> entries, OidValueList(seq.contents, kWhat));

  // Arcs under 1.2.840.113741.1.13.1: 1 PPID, 2 TCB, 3 PCE-ID, 4 FMSPC, 5 SGX Type,
  // 6 PlatformInstanceID, 7 Configuration.
  constexpr int kPpid = 1, kTcb = 2, kPceId = 3, kFmspc = 4, kSgxType = 5, kInstanceId = 6,
                kConfiguration = 7;
  PckExtensions out;
  std::bitset<kConfiguration + 1> seen;
  for (const OidValue& e : entries) {
    const int arc = SmallArc(ChildArc(e.oid, kSgxExtensionsOid), kConfiguration);
    if (arc == 0) continue;  // unknown member: ignore (see header)
    const std::string what = std::string(kWhat) + " " + e.oid;
    if (seen[arc]) return InvalidArgument(what + ": duplicate");
    seen[arc] = true;
    switch (arc) {
      case kPpid: {
        ASSIGN_OR_RETURN(out.ppid, OctetString(e.value, 16, what + " (PPID)"));
        break;
      }
      case kTcb:
        RETURN_IF_ERROR(ParseTcb(e.value, e.oid, out));
        break;
      case kPceId: {
        ASSIGN_OR_RETURN(out.pce_id, OctetString(e.value, 2, what + " (PCE-ID)"));
        break;
      }
      case kFmspc: {
        ASSIGN_OR_RETURN(out.fmspc, OctetString(e.value, 6, what + " (FMSPC)"));
        break;
      }
      case kSgxType: {
        ASSIGN_OR_RETURN(uint64_t type,
                         SmallUint(e.value, crypto::kDerEnumerated, 0xff, what + " (SGX Type)"));
        out.sgx_type = static_cast<int>(type);
        break;
      }
      case kInstanceId: {
        ASSIGN_OR_RETURN(out.platform_instance_id,
                         OctetString(e.value, 16, what + " (PlatformInstanceID)"));
        break;
      }
      case kConfiguration: {
        ASSIGN_OR_RETURN(out.configuration, ParseConfiguration(e.value, e.oid));
        break;
      }
      default:
        break;
    }
  }
  static constexpr struct {
    int arc;
    const char* name;
  } kRequired[] = {{kPpid, "PPID"},
                   {kTcb, "TCB"},
                   {kPceId, "PCE-ID"},
                   {kFmspc, "FMSPC"},
                   {kSgxType, "SGX Type"}};
  for (const auto& r : kRequired) {
    if (!seen[r.arc]) {
      return InvalidArgument(std::string(kWhat) + ": missing " + r.name + " (" +
                             std::string(kSgxExtensionsOid) + "." + std::to_string(r.arc) + ")");
    }
  }
  return out;
}

Result<PckExtensions> PckExtensionsFromCertificate(const crypto::Certificate& pck_leaf) {
  std::optional<Bytes> value = pck_leaf.ExtensionValue(kSgxExtensionsOid);
  if (!value) {
    return NotFound("PCK certificate has no SGX extension (" + std::string(kSgxExtensionsOid) +
                    ")");
  }
  return ParsePckExtensions(*value);
}

const char* PckCaKindName(PckCaKind kind) {
  switch (kind) {
    case PckCaKind::kPlatform:
      return "platform";
    case PckCaKind::kProcessor:
      return "processor";
  }
  return "unknown";
}

Result<PckCaKind> PckCaKindFromIssuer(const crypto::Certificate& pck_leaf) {
  // Walk the issuer Name's DER rather than a formatted string, so the result does not depend
  // on how OpenSSL renders or escapes names. Name ::= SEQUENCE OF SET OF
  // AttributeTypeAndValue ::= SEQUENCE { OID, value } (RFC 5280 4.1.2.4).
  const Bytes name = pck_leaf.IssuerNameDer();
  DerReader top(name);
  ASSIGN_OR_RETURN(DerElement seq,
                   WithContext(top.Expect(crypto::kDerSequence, "Name"), "PCK issuer"));
  std::optional<std::string> cn;
  DerReader rdns(seq.contents);
  while (!rdns.empty()) {
    ASSIGN_OR_RETURN(DerElement rdn, WithContext(rdns.Expect(kDerSet, "RDN"), "PCK issuer"));
    DerReader attrs(rdn.contents);
    while (!attrs.empty()) {
      ASSIGN_OR_RETURN(DerElement attr,
                       WithContext(attrs.Expect(crypto::kDerSequence, "attribute"), "PCK issuer"));
      DerReader fields(attr.contents);
      ASSIGN_OR_RETURN(DerElement oid,
                       WithContext(fields.Expect(crypto::kDerOid, "OID"), "PCK issuer"));
      ASSIGN_OR_RETURN(std::string oid_text,
                       WithContext(crypto::DecodeOid(oid.contents), "PCK issuer"));
      ASSIGN_OR_RETURN(DerElement value, WithContext(fields.Next(), "PCK issuer"));
      if (oid_text != kCommonNameOid) continue;
      if (value.tag != kDerUtf8String && value.tag != kDerPrintableString) {
        return InvalidArgument("PCK issuer: CN is not a UTF8String or PrintableString");
      }
      if (cn) return InvalidArgument("PCK issuer: more than one CN");
      cn = std::string(AsStringView(value.contents));
    }
  }
  if (!cn) return InvalidArgument("PCK issuer: no CN");
  if (*cn == kPlatformCaName) return PckCaKind::kPlatform;
  if (*cn == kProcessorCaName) return PckCaKind::kProcessor;
  return InvalidArgument("PCK issuer: CN \"" + *cn + "\" is not an Intel SGX PCK CA");
}

}  // namespace teecloud::attest::dcap
