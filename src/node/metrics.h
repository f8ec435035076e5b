// Prometheus text exposition (format 0.0.4) of the node's metrics. Request counters are kept
// here; CVM gauges and agent counters are passed in at scrape time. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "node/cvm.h"
#include "node/node_service.h"

namespace teecloud::node {

struct MetricsSnapshot {
  std::map<std::string, int64_t> cvms_by_status;                 // every status, zero included
  std::vector<std::pair<std::string, int64_t>> restarts_by_cvm;  // name → restart_count
  NodeCounters counters;
  std::string version;
  std::string backend;
};

class Metrics {
 public:
  // `route` is the route template ("/v1/cvms/{ref}"), or "unmatched".
  void RecordRequest(const std::string& method, const std::string& route, int status,
                     double seconds);
  std::string Render(const MetricsSnapshot& snapshot) const;

 private:
  struct RequestStats {
    int64_t count = 0;
    double seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, RequestStats> requests_;
};

// Escapes a label value (backslash, double quote, newline).
std::string EscapeLabel(const std::string& value);

}  // namespace teecloud::node
