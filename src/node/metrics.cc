#include "node/metrics.h"

#include <cstdio>

namespace teecloud::node {

namespace {

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::RecordRequest(const std::string& method, const std::string& route, int status,
                            double seconds) {
  std::lock_guard lock(mu_);
  RequestStats& s = requests_[{method, route, status}];
  s.count += 1;
  s.seconds += seconds;
}

std::string Metrics::Render(const MetricsSnapshot& snap) const {
  std::string out;
  Header(out, "teecloud_node_info", "gauge", "Build and backend of this node.");
  out += "teecloud_node_info{version=\"" + EscapeLabel(snap.version) + "\",backend=\"" +
         EscapeLabel(snap.backend) + "\"} 1\n";

  Header(out, "teecloud_node_cvms", "gauge", "CVMs on this node by observed status.");
  for (const auto& [status, n] : snap.cvms_by_status) {
    out += "teecloud_node_cvms{status=\"" + EscapeLabel(status) + "\"} " + std::to_string(n) + "\n";
  }

  Header(out, "teecloud_node_agent_restarts_total", "counter",
         "Automatic agent restarts after an agent exited, since the node started.");
  out +=
      "teecloud_node_agent_restarts_total " + std::to_string(snap.counters.agent_restarts) + "\n";
  Header(out, "teecloud_node_agent_exits_total", "counter",
         "Unexpected agent exits observed since the node started.");
  out += "teecloud_node_agent_exits_total " + std::to_string(snap.counters.agent_exits) + "\n";
  Header(out, "teecloud_node_agents_adopted_total", "counter",
         "Running agents adopted after a node restart.");
  out += "teecloud_node_agents_adopted_total " + std::to_string(snap.counters.adopted) + "\n";
  Header(out, "teecloud_node_cvm_restarts", "gauge",
         "Automatic restarts of each CVM's agent over its lifetime (from the state store).");
  for (const auto& [name, n] : snap.restarts_by_cvm) {
    out +=
        "teecloud_node_cvm_restarts{cvm=\"" + EscapeLabel(name) + "\"} " + std::to_string(n) + "\n";
  }

  std::lock_guard lock(mu_);
  Header(out, "teecloud_node_http_requests_total", "counter",
         "HTTP requests by method, route and status code.");
  for (const auto& [key, s] : requests_) {
    const auto& [method, route, code] = key;
    out += "teecloud_node_http_requests_total{method=\"" + EscapeLabel(method) + "\",route=\"" +
           EscapeLabel(route) + "\",code=\"" + std::to_string(code) + "\"} " +
           std::to_string(s.count) + "\n";
  }
  Header(out, "teecloud_node_http_request_seconds_total", "counter",
         "Time spent answering HTTP requests, by method, route and status code.");
  for (const auto& [key, s] : requests_) {
    const auto& [method, route, code] = key;
    out += "teecloud_node_http_request_seconds_total{method=\"" + EscapeLabel(method) +
           "\",route=\"" + EscapeLabel(route) + "\",code=\"" + std::to_string(code) + "\"} " +
           FormatDouble(s.seconds) + "\n";
  }
  return out;
}

}  // namespace teecloud::node
