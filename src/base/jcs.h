// RFC 8785 JSON Canonicalization Scheme (JCS).
//
// Object members sorted by UTF-16 code units, no insignificant whitespace, strings escaped as
// ECMAScript JSON.stringify does, numbers in ECMAScript Number-to-String form. Used for the app
// manifest hash: manifest_hash = SHA-256(Canonicalize(manifest)).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace teecloud {

// Fails on NaN/Infinity and on integers that do not round-trip through an IEEE double.
Result<std::string> CanonicalizeJson(const Json& value);

// Appends `s` as a JSON string literal the way ECMAScript's JSON.stringify (QuoteJSONString)
// writes it: '"' and '\\' escaped, the short forms \b \t \n \f \r, other code units below
// 0x20 as \u00xx (lower-case hex), everything else (UTF-8 included) verbatim. `s` must be valid
// UTF-8.
void AppendJsonStringLiteral(std::string& out, std::string_view s);

// ECMAScript Number::toString for a finite double (exposed for tests).
std::string EcmaNumberToString(double v);

}  // namespace teecloud
