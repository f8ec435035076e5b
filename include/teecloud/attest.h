/*
 * libteecloud-attest C ABI: verify Intel DCAP quotes (TDX v4/v5, SGX v3) from other languages.
 *
 * Every function is thread-safe and keeps no state between calls. Strings are UTF-8,
 * NUL-terminated. Nothing here reads the system clock: the caller passes the verification time.
 * The result JSON has the shape of `teecloud verify quote --json` (see src/cli/README.md):
 *   {"valid", "tee", "platform", "quote_version", "tcb_status", "advisory_ids",
 *    "collateral_expired", "fmspc", "measurements", ..., "error"?}
 */
#ifndef TEECLOUD_ATTEST_H_
#define TEECLOUD_ATTEST_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define TEECLOUD_ATTEST_API
#else
#define TEECLOUD_ATTEST_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Return values of teecloud_verify_quote. */
#define TEECLOUD_VERIFY_VALID 0   /* every check passed */
#define TEECLOUD_VERIFY_INVALID 1 /* the quote (or collateral content) failed verification */
#define TEECLOUD_VERIFY_ERROR 2   /* bad arguments or unparsable collateral / trust root */

/*
 * Verifies `quote` (quote_len bytes, raw binary) at time `now_unix` (seconds since the epoch).
 *
 * collateral_json: dcap-qvl QuoteCollateralV3 JSON text, or NULL to check only the quote
 *   structure, the PCK chain carried in the quote, the QE report and the quote signature
 *   ("tcb_status" is then null).
 * trust_root_pem: PEM of the trusted root, or NULL for the pinned Intel SGX Root CA. Any other
 *   root marks the result "tee": "simulated".
 * result_json_out: receives a malloc'd JSON object (release with teecloud_free), also on
 *   TEECLOUD_VERIFY_ERROR where it is {"valid": false, "error": "..."}. If it is NULL the
 *   function returns TEECLOUD_VERIFY_ERROR and does nothing.
 */
TEECLOUD_ATTEST_API int teecloud_verify_quote(const uint8_t* quote, size_t quote_len,
                                              const char* collateral_json, int64_t now_unix,
                                              const char* trust_root_pem, char** result_json_out);

/* Frees a string returned by this library. NULL is ignored. */
TEECLOUD_ATTEST_API void teecloud_free(char* p);

/* The library version, e.g. "0.1.0" (static storage). */
TEECLOUD_ATTEST_API const char* teecloud_attest_version(void);

#ifdef __cplusplus
}
#endif

#endif /* TEECLOUD_ATTEST_H_ */
