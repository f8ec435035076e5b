#include "node/openapi.h"

#include <cctype>

#include "node/cvm.h"
#include "node/routes.h"

namespace teecloud::node {

namespace {

OrderedJson Ref(std::string_view schema) {
  return {{"$ref", "#/components/schemas/" + std::string(schema)}};
}

OrderedJson StringEnum(const std::vector<std::string>& values) {
  return {{"type", "string"}, {"enum", values}};
}

OrderedJson Hex(std::string_view description) {
  return {{"type", "string"}, {"pattern", "^[0-9a-f]*$"}, {"description", description}};
}

OrderedJson Object(OrderedJson properties, std::vector<std::string> required, bool closed = true) {
  OrderedJson o = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = std::move(required);
  if (closed) o["additionalProperties"] = false;
  return o;
}

OrderedJson Schemas() {
  std::vector<std::string> statuses;
  for (CvmStatus s : AllCvmStatuses()) statuses.emplace_back(CvmStatusName(s));
  OrderedJson s;
  s["Error"] = Object(
      {{"error",
        Object({{"code",
                 {{"type", "string"}, {"description", "gRPC-style code name, e.g. NOT_FOUND"}}},
                {"message", {{"type", "string"}}}},
               {"code", "message"})}},
      {"error"});
  s["Health"] = Object({{"status", StringEnum({"ok"})}}, {"status"});
  s["NodeInfo"] = Object({{"version", {{"type", "string"}}},
                          {"api_version", {{"type", "string"}}},
                          {"backend", {{"type", "string"}}},
                          {"started_at", {{"type", "string"}, {"format", "date-time"}}},
                          {"cvms",
                           {{"type", "object"},
                            {"additionalProperties", {{"type", "integer"}}},
                            {"description", "CVM count by status (tombstones excluded)"}}}},
                         {"version", "api_version", "backend", "cvms"});
  s["SimTrust"] =
      Object({{"root_pem",
               {{"type", "string"},
                {"description",
                 "The simulation root CA certificate (PEM): pass it to a verifier "
                 "explicitly; results verified with it are labelled simulated"}}},
              {"collateral",
               {{"type", "object"},
                {"description", "dcap-qvl QuoteCollateralV3 JSON for the simulated platform"}}},
              {"simulated", {{"type", "boolean"}, {"enum", {true}}}}},
             {"root_pem", "collateral", "simulated"});
  s["EnvPublicKey"] = Object(
      {{"app_id", Hex("20 bytes")},
       {"public_key", Hex("32-byte X25519 key; teecloud deploy --env-file seals to it")},
       {"key_provider", {{"type", "string"}}},
       {"key_provider_id", Hex("the key provider's root public key (33-byte secp256k1)")}},
      {"app_id", "public_key", "key_provider"});
  s["PortMapping"] = Object({{"host", {{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}},
                             {"cvm", {{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}},
                             {"protocol", StringEnum({"tcp", "udp"})}},
                            {"host", "cvm"});
  s["Cvm"] =
      Object({{"id", Hex("node-local id (16 hex digits)")},
              {"name", {{"type", "string"}}},
              {"app_id", Hex("20 bytes")},
              {"instance_id", Hex("20 bytes: SHA-256(instance_seed || app_id)[0..20]")},
              {"manifest_hash", Hex("SHA-256 of the manifest's RFC 8785 form")},
              {"status", StringEnum(statuses)},
              {"desired_state", StringEnum({"running", "stopped", "removed", "purged"})},
              {"status_detail", {{"type", "string"}}},
              {"restart_policy", StringEnum({"always", "on-failure", "no"})},
              {"restart_count", {{"type", "integer"}}},
              {"generation", {{"type", "integer"}, {"description", "1 at deploy, +1 per upgrade"}}},
              {"ports", {{"type", "array"}, {"items", Ref("PortMapping")}}},
              {"agent_pid", {{"type", "integer"}}},
              {"has_secrets",
               {{"type", "boolean"},
                {"description", "the deployment carries sealed secrets (ciphertext only)"}}},
              {"created_at", {{"type", "string"}, {"format", "date-time"}}},
              {"updated_at", {{"type", "string"}, {"format", "date-time"}}}},
             {"id", "name", "app_id", "instance_id", "manifest_hash", "status", "desired_state",
              "restart_policy", "restart_count", "generation", "ports"},
             /*closed=*/false);
  s["Event"] = Object({{"seq", {{"type", "integer"}}},
                       {"at", {{"type", "string"}, {"format", "date-time"}}},
                       {"kind", {{"type", "string"}}},
                       {"message", {{"type", "string"}}}},
                      {"seq", "at", "kind", "message"});
  s["CvmDetail"] = {
      {"allOf",
       {Ref("Cvm"),
        Object({{"manifest", {{"type", "object"}, {"description", "the manifest document"}}},
                {"events", {{"type", "array"}, {"items", Ref("Event")}}},
                {"manifest_history",
                 {{"type", "array"},
                  {"items", Object({{"generation", {{"type", "integer"}}},
                                    {"manifest_hash", Hex("")},
                                    {"at", {{"type", "string"}, {"format", "date-time"}}}},
                                   {"generation", "manifest_hash", "at"})}}}},
               {"manifest"}, /*closed=*/false)}}};
  s["CvmList"] = Object({{"cvms", {{"type", "array"}, {"items", Ref("Cvm")}}}}, {"cvms"});
  s["EventList"] = Object({{"events", {{"type", "array"}, {"items", Ref("Event")}}}}, {"events"});
  const OrderedJson manifest = {
      {"description",
       "The manifest (manifest/manifest.h): its JSON text (parsed strictly: duplicate keys are "
       "refused) or the JSON object"},
      {"oneOf", {{{"type", "string"}}, {{"type", "object"}}}}};
  s["DeployRequest"] = Object(
      {{"name", {{"type", "string"}, {"pattern", "^[a-z0-9][a-z0-9-]{0,62}$"}}},
       {"manifest", manifest},
       {"ports", {{"type", "array"}, {"items", Ref("PortMapping")}}},
       {"restart_policy", StringEnum({"always", "on-failure", "no"})},
       {"app_id", Hex("20 bytes; default: the manifest's policy-mode app id (hash[0..20])")},
       {"sealed_env", Hex("secrets sealed to the app's env key (GET /v1/apps/{app_id}/env-pubkey)")}},
      {"name", "manifest"});
  s["DeployResponse"] = Object({{"cvm", Ref("Cvm")},
                                {"resumed",
                                 {{"type", "boolean"},
                                  {"description",
                                   "a removed CVM of that name was resumed with its "
                                   "app id, instance and data"}}}},
                               {"cvm", "resumed"});
  s["RemoveResponse"] =
      Object({{"cvm", Ref("Cvm")}, {"purged", {{"type", "boolean"}}}}, {"cvm", "purged"});
  s["EmptyRequest"] = Object(OrderedJson::object(), {});
  s["UpgradeRequest"] =
      Object({{"manifest", manifest},
              {"ports",
               {{"type", "array"},
                {"items", Ref("PortMapping")},
                {"description", "replaces the port mappings; absent: keep them"}}},
              {"sealed_env", Hex("replaces the sealed secrets; absent: keep them")}},
             {"manifest"});
  s["AttestRequest"] = Object({{"nonce",
                                {{"type", "string"},
                                 {"pattern", "^[0-9a-fA-F]{16,512}$"},
                                 {"description",
                                  "8..256 bytes, hex; the quote's report_data is "
                                  "SHA-512(\"teecloud-node-attest:v1:\" || nonce)"}}}},
                              {"nonce"});
  s["AttestResponse"] =
      Object({{"cvm_id", Hex("")},
              {"name", {{"type", "string"}}},
              {"app_id", Hex("")},
              {"instance_id", Hex("")},
              {"manifest_hash", Hex("")},
              {"nonce", Hex("")},
              {"report_data", Hex("64 bytes")},
              {"quote", Hex("TDX v4 quote")},
              {"event_log", {{"type", "array"}, {"items", {{"type", "object"}}}}},
              {"tee", {{"type", "string"}}},
              {"simulated", {{"type", "boolean"}}}},
             {"report_data", "quote", "event_log", "tee", "simulated"}, /*closed=*/false);
  return s;
}

}  // namespace

OrderedJson BuildOpenApiDocument(const std::string& version) {
  OrderedJson doc;
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "teecloud-node API"},
                 {"version", version},
                 {"description",
                  "CVM lifecycle on a teecloud node. Errors are {\"error\": {\"code\", "
                  "\"message\"}} with a 4xx/5xx status. Served on loopback TCP and a unix "
                  "socket; there is no authentication, so it is never exposed beyond the host."}};
  OrderedJson paths = OrderedJson::object();
  for (const RouteSpec& r : Routes()) {
    OrderedJson op;
    op["operationId"] = r.operation_id;
    op["summary"] = r.summary;
    OrderedJson params = OrderedJson::array();
    for (const std::string& p : PathParams(r.path)) {
      params.push_back({{"name", p},
                        {"in", "path"},
                        {"required", true},
                        {"description", "CVM name, id or app id"},
                        {"schema", {{"type", "string"}}}});
    }
    for (const QueryParam& q : r.query) {
      params.push_back({{"name", q.name},
                        {"in", "query"},
                        {"required", false},
                        {"description", q.description},
                        {"schema", {{"type", q.type}}}});
    }
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!r.request_schema.empty()) {
      op["requestBody"]["required"] = r.request_body_required;
      op["requestBody"]["content"]["application/json"]["schema"] = Ref(r.request_schema);
    }
    OrderedJson body_schema;
    if (!r.response_schema.empty()) {
      body_schema = Ref(r.response_schema);
    } else if (r.response_content_type.rfind("application/json", 0) == 0) {
      body_schema = {{"type", "object"}};
    } else {
      body_schema = {{"type", "string"}};
    }
    OrderedJson ok = {{"description", "success"}};
    ok["content"][std::string(r.response_content_type)]["schema"] = std::move(body_schema);
    op["responses"] = {{std::to_string(r.success_status), ok},
                       {"default",
                        {{"description",
                          "error (400 bad request, 404 unknown CVM or route, 409 conflict, "
                          "413 body too large, 5xx node or agent failure)"},
                         {"content", {{"application/json", {{"schema", Ref("Error")}}}}}}}};
    std::string method(r.method);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[std::string(r.path)][method] = std::move(op);
  }
  doc["paths"] = std::move(paths);
  doc["components"] = {{"schemas", Schemas()}};
  return doc;
}

}  // namespace teecloud::node
