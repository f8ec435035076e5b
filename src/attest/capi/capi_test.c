/* Plain C test of include/teecloud/attest.h: compiling this file as C proves the header is valid
 * C; running it checks the ABI on the shared vectors.
 * Usage: capi_test VECTORS_DIR   (exit 77 = skipped when the vectors are absent) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teecloud/attest.h"

static int failures = 0;

#define EXPECT(cond)                                                     \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                        \
    }                                                                    \
  } while (0)

static unsigned char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  unsigned char* buf;
  long n;
  if (f == NULL) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = (unsigned char*)malloc((size_t)n + 1);
  if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf != NULL) {
    buf[n] = 0; /* so text files are NUL-terminated strings */
    *len = (size_t)n;
  }
  return buf;
}

int main(int argc, char** argv) {
  char path[4096];
  unsigned char* quote;
  unsigned char* collateral;
  size_t quote_len = 0, collateral_len = 0;
  char* json = NULL;
  int rc;
  const int64_t at = 1751328000; /* inside the collateral window of tdx/t1-dcapqvl-v4 */

  EXPECT(teecloud_attest_version() != NULL && strlen(teecloud_attest_version()) > 0);
  EXPECT(teecloud_verify_quote(NULL, 0, NULL, 0, NULL, NULL) == TEECLOUD_VERIFY_ERROR);
  teecloud_free(NULL);

  if (argc < 2) {
    fprintf(stderr, "usage: capi_test VECTORS_DIR\n");
    return 2;
  }
  snprintf(path, sizeof path, "%s/tdx/t1-dcapqvl-v4/quote.bin", argv[1]);
  quote = read_file(path, &quote_len);
  snprintf(path, sizeof path, "%s/tdx/t1-dcapqvl-v4/collateral.json", argv[1]);
  collateral = read_file(path, &collateral_len);
  if (quote == NULL || collateral == NULL) {
    printf("SKIP: vectors not found under %s\n", argv[1]);
    return 77;
  }

  /* Valid quote with collateral: UpToDate. */
  rc = teecloud_verify_quote(quote, quote_len, (const char*)collateral, at, NULL, &json);
  EXPECT(rc == TEECLOUD_VERIFY_VALID);
  EXPECT(json != NULL && strstr(json, "\"valid\":true") != NULL);
  EXPECT(json != NULL && strstr(json, "\"tcb_status\":\"UpToDate\"") != NULL);
  EXPECT(json != NULL && strstr(json, "\"platform\":\"tdx\"") != NULL);
  teecloud_free(json);
  json = NULL;

  /* Without collateral: signatures only, tcb_status null. */
  rc = teecloud_verify_quote(quote, quote_len, NULL, at, NULL, &json);
  EXPECT(rc == TEECLOUD_VERIFY_VALID);
  EXPECT(json != NULL && strstr(json, "\"tcb_status\":null") != NULL);
  teecloud_free(json);
  json = NULL;

  /* A flipped byte in REPORTDATA breaks the quote signature. */
  quote[600] ^= 0x01;
  rc = teecloud_verify_quote(quote, quote_len, (const char*)collateral, at, NULL, &json);
  EXPECT(rc == TEECLOUD_VERIFY_INVALID);
  EXPECT(json != NULL && strstr(json, "\"valid\":false") != NULL);
  EXPECT(json != NULL && strstr(json, "\"error\"") != NULL);
  teecloud_free(json);
  json = NULL;
  quote[600] ^= 0x01;

  /* Garbage quote: invalid, not an error. */
  rc = teecloud_verify_quote(quote, 100, (const char*)collateral, at, NULL, &json);
  EXPECT(rc == TEECLOUD_VERIFY_INVALID);
  teecloud_free(json);
  json = NULL;

  /* Unparsable collateral: error, with a message. */
  rc = teecloud_verify_quote(quote, quote_len, "{not json", at, NULL, &json);
  EXPECT(rc == TEECLOUD_VERIFY_ERROR);
  EXPECT(json != NULL && strstr(json, "\"error\"") != NULL);
  teecloud_free(json);
  json = NULL;

  /* Unparsable trust root: error. */
  rc = teecloud_verify_quote(quote, quote_len, NULL, at, "not a pem", &json);
  EXPECT(rc == TEECLOUD_VERIFY_ERROR);
  teecloud_free(json);
  json = NULL;

  /* The Intel root given explicitly is not "simulated". */
  snprintf(path, sizeof path,
           "%s/trust-anchors/intel/Intel_SGX_Provisioning_Certification_RootCA.pem", argv[1]);
  {
    size_t pem_len = 0;
    unsigned char* pem = read_file(path, &pem_len);
    EXPECT(pem != NULL);
    if (pem != NULL) {
      rc = teecloud_verify_quote(quote, quote_len, (const char*)collateral, at, (const char*)pem,
                                 &json);
      EXPECT(rc == TEECLOUD_VERIFY_VALID);
      EXPECT(json != NULL && strstr(json, "\"tee\":\"hardware\"") != NULL);
      teecloud_free(json);
      json = NULL;
      free(pem);
    }
  }

  free(quote);
  free(collateral);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("capi_test: all checks passed\n");
  return 0;
}
