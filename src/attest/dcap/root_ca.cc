// The pinned Intel SGX Root CA (trust anchor for every DCAP quote).
// SHA-256 fingerprint 44A0196B2B99F889B8E149E95B807A350E7424964399E885A7CBB8CCFAB674D3
// (checked by verify_test). Public key:
// 0ba9c4c0c0c86193a3fe23d6b02cda10a8bbd4e88e48b4458561a36e705525f5
// 67918e2edc88e40d860bd0cc4ee26aacc988e505a953558c453f6b0904ae7394
#include "attest/dcap/verify.h"

namespace teecloud::attest::dcap {

namespace {
constexpr char kIntelSgxRootCaPem[] = R"(-----BEGIN CERTIFICATE-----
MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
-----END CERTIFICATE-----
)";
}  // namespace

const crypto::Certificate& IntelSgxRootCa() {
  static const crypto::Certificate* root = [] {
    auto cert = crypto::Certificate::FromPem(kIntelSgxRootCaPem);
    TEECLOUD_CHECK(cert.has_value());  // Compiled-in constant: failure is a build bug.
    return new crypto::Certificate(std::move(*cert));
  }();
  return *root;
}

TrustSettings IntelTrust() { return TrustSettings{{IntelSgxRootCa()}, false}; }

}  // namespace teecloud::attest::dcap
