// RFC 8785 JSON Canonicalization Scheme (JCS).
//
// Object members sorted by UTF-16 code units, no insignificant whitespace, strings escaped as
// ECMAScript JSON.stringify does, numbers in ECMAScript Number-to-String form. Used for the app
// manifest hash: manifest_hash = SHA-256(Canonicalize(manifest)).
#pragma once

#include <string>

#include "base/error.h"
#include "base/json.h"

namespace teecloud {

// Fails on NaN/Infinity and on integers that do not round-trip through an IEEE double.
Result<std::string> CanonicalizeJson(const Json& value);

// ECMAScript Number::toString for a finite double (exposed for tests).
std::string EcmaNumberToString(double v);

}  // namespace teecloud
