// SPDX-License-Identifier: Apache-2.0
// File: control/management_api.cc
#include "control/management_api.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "control/kea_user_context.h"

namespace lqd::control {
namespace {

std::string Ip(uint32_t ip) {
  return absl::StrFormat("%d.%d.%d.%d", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

std::string ColonHex(std::span<const uint8_t> b) {
  std::string s;
  for (size_t i = 0; i < b.size(); ++i) absl::StrAppend(&s, i ? ":" : "", absl::Hex(b[i], absl::kZeroPad2));
  return s;
}

std::string Hex(std::span<const uint8_t> b) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

// "a=b&c=d" -> value of key, "" if absent.
std::string QueryParam(const std::string& q, const std::string& key) {
  size_t pos = 0;
  while (pos < q.size()) {
    size_t amp = q.find('&', pos);
    if (amp == std::string::npos) amp = q.size();
    const std::string kv = q.substr(pos, amp - pos);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == key) return kv.substr(eq + 1);
    pos = amp + 1;
  }
  return "";
}

HttpResponse Json(int status, const nlohmann::json& j) { return {status, "application/json", j.dump(2) + "\n"}; }
HttpResponse Error(int status, const std::string& why) { return Json(status, {{"error", why}}); }

}  // namespace

std::string LeaseToJson(const LeaseRecord& r, uint32_t now) {
  nlohmann::json j;
  j["ip-address"] = Ip(r.ip);
  j["hw-address"] = ColonHex(r.hw_bytes());
  j["htype"] = r.htype;
  if (!r.client_id().empty()) j["client-id"] = ColonHex(r.client_id());
  j["state"] = LeaseStateName(r.state);
  j["active"] = r.IsActiveAt(now);
  j["cltt"] = r.cltt;
  j["expire"] = r.expire;
  if (!r.relay_agent_info().empty()) j["relay-agent-info"] = Hex(r.relay_agent_info());
  if (!r.vendor_class().empty())
    j["vendor-class"] = std::string(reinterpret_cast<const char*>(r.vendor_class().data()), r.vendor_class().size());
  j["subnet-id"] = r.subnet_id;
  return j.dump();
}

HttpResponse ManagementApi::Handle(const HttpRequest& req) {
  std::string path = req.target, query;
  if (size_t q = path.find('?'); q != std::string::npos) {
    query = path.substr(q + 1);
    path.resize(q);
  }
  if (path == "/v1/reload") {
    if (req.method != "POST") return Error(405, "POST /v1/reload re-reads the configuration file");
    if (!reload_) return Error(404, "no configuration file to reload here");
    return reload_();
  }
  if (req.method != "GET") return Error(405, "only GET is served here (and POST /v1/reload)");
  if (path == "/healthz") {
    if (!state_.degraded.empty()) return {503, "text/plain", "degraded: " + state_.degraded + "\n"};
    return {200, "text/plain", "ok\n"};
  }
  if (path == "/readyz") {
    return state_.ready ? HttpResponse{200, "text/plain", "ready\n"}
                        : HttpResponse{503, "text/plain", "initial lease load not complete\n"};
  }
  if (path == "/metrics") return Metrics();
  if (path == "/v1/leases") return Leases(query);
  return Error(404, "unknown path; try /healthz, /readyz, /metrics, /v1/leases?ip=A.B.C.D");
}

HttpResponse ManagementApi::Metrics() {
  const uint32_t now = clock_();
  const LeaseStoreStats s = replica_.store().Stats();
  const ReplicaCounters& c = replica_.counters();
  std::string m;
  auto gauge = [&](const char* name, const char* help, auto v, const std::string& labels = "") {
    absl::StrAppend(&m, "# HELP ", name, " ", help, "\n# TYPE ", name, " gauge\n", name, labels, " ", v, "\n");
  };
  auto counter = [&](const char* name, const char* help, uint64_t v) {
    absl::StrAppend(&m, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n", name, " ", v, "\n");
  };
  gauge("lqd_ready", "1 once the initial lease load completed", state_.ready ? 1 : 0);
  gauge("lqd_degraded", "1 while persistence is failing", state_.degraded.empty() ? 0 : 1);
  gauge("lqd_store_leases", "leases held in the replica", s.leases);
  gauge("lqd_store_bytes", "bytes used by records, indexes and groups",
        s.bytes_records + s.bytes_indexes + s.bytes_groups);
  gauge("lqd_store_retired_pending", "objects waiting for readers to pass a quiescent state", s.retired_pending);
  counter("lqd_replica_applied_total", "updates applied to the replica", c.applied);
  counter("lqd_replica_deleted_total", "deletes applied to the replica", c.deleted);
  counter("lqd_replica_stale_total", "updates ignored because the replica held newer data", c.stale);
  counter("lqd_replica_rejected_total", "updates refused as invalid", c.rejected);
  gauge("lqd_replica_tombstones", "recent deletes remembered against late updates", c.tombstones);
  absl::StrAppend(&m, "# HELP lqd_replica_lag_seconds seconds since a feed last delivered (absent: never)\n",
                  "# TYPE lqd_replica_lag_seconds gauge\n");
  for (int i = 0; i < static_cast<int>(FeedSource::kCount); ++i) {
    auto src = static_cast<FeedSource>(i);
    uint32_t lag = replica_.LagSeconds(src, now);
    if (lag != UINT32_MAX) absl::StrAppend(&m, "lqd_replica_lag_seconds{source=\"", FeedSourceName(src), "\"} ", lag, "\n");
  }
  if (ingest_ != nullptr) {
    const auto& k = ingest_->counters();
    absl::StrAppend(&m, "# HELP lqd_kea_ha_commands_total Kea HA commands received, by outcome\n",
                    "# TYPE lqd_kea_ha_commands_total counter\n",
                    "lqd_kea_ha_commands_total{outcome=\"update\"} ", k.updates, "\n",
                    "lqd_kea_ha_commands_total{outcome=\"delete\"} ", k.deletes, "\n",
                    "lqd_kea_ha_commands_total{outcome=\"stale\"} ", k.stale, "\n",
                    "lqd_kea_ha_commands_total{outcome=\"error\"} ", k.errors, "\n",
                    "lqd_kea_ha_commands_total{outcome=\"unsupported\"} ", k.unsupported, "\n");
  }
  if (!servers_.empty()) {
    struct Row {
      const char* name;
      const char* help;
      uint64_t HttpServerCounters::*field;
    };
    static constexpr Row kRows[] = {
        {"lqd_http_connections_accepted_total", "TCP connections accepted", &HttpServerCounters::connections_accepted},
        {"lqd_http_connections_refused_total", "connections closed at once: too many open",
         &HttpServerCounters::connections_refused},
        {"lqd_http_requests_total", "HTTP requests parsed", &HttpServerCounters::requests},
        {"lqd_http_bad_requests_total", "malformed or oversized requests", &HttpServerCounters::bad_requests},
        {"lqd_http_auth_failures_total", "requests refused for missing or wrong basic auth",
         &HttpServerCounters::auth_failures},
        {"lqd_http_tls_handshake_failures_total",
         "TLS handshakes that failed (no or untrusted client certificate, not TLS)",
         &HttpServerCounters::tls_handshake_failures},
        {"lqd_http_idle_timeouts_total", "connections closed after idle-timeout-ms without a request in progress",
         &HttpServerCounters::idle_timeouts},
        {"lqd_http_request_timeouts_total",
         "connections closed because a request or TLS handshake was not complete within request-timeout-ms",
         &HttpServerCounters::request_timeouts},
    };
    for (const Row& row : kRows) {
      absl::StrAppend(&m, "# HELP ", row.name, " ", row.help, "\n# TYPE ", row.name, " counter\n");
      for (const auto& [name, srv] : servers_)
        absl::StrAppend(&m, row.name, "{server=\"", name, "\"} ", srv->counters().*row.field, "\n");
    }
  }
  if (extra_metrics_) m += extra_metrics_();
  return {200, "text/plain; version=0.0.4", m};
}

HttpResponse ManagementApi::Leases(const std::string& query) {
  const uint32_t now = clock_();
  // No QsbrReader: handlers run on the control thread (ControlPlane::Poll),
  // the store's writer, which alone frees records. A reader slot here would
  // also take one of the lcores' (all of them with 128 lcores).
  nlohmann::json out = nlohmann::json::array();
  auto add = [&](const LeaseRecord* r) {
    if (r) out.push_back(nlohmann::json::parse(LeaseToJson(*r, now)));
  };
  if (std::string ip = QueryParam(query, "ip"); !ip.empty()) {
    in_addr a{};
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return Error(400, "ip: '" + ip + "' is not an IPv4 address");
    add(replica_.store().FindByIp(ntohl(a.s_addr)));
  } else if (std::string mac = QueryParam(query, "mac"); !mac.empty()) {
    // Six bytes of two hex digits each, separated by ':' or '-' or not at
    // all; anything else is refused rather than read as some other MAC.
    std::string hex;
    bool well_formed = mac.size() == 12 || mac.size() == 17;
    for (size_t i = 0; well_formed && i < mac.size(); ++i) {
      if (mac.size() == 17 && i % 3 == 2) well_formed = mac[i] == ':' || mac[i] == '-';
      else hex.push_back(mac[i]);
    }
    auto bytes = well_formed ? DecodeHex(hex) : absl::InvalidArgumentError("");
    if (bytes.ok() && bytes->size() != 6) bytes = absl::InvalidArgumentError("");
    if (!bytes.ok()) return Error(400, "mac: '" + mac + "' is not like 02:00:5e:00:00:01 (or 02-00-5e-00-00-01, 02005e000001)");
    for (const LeaseRecord* r : replica_.store().FindByHwAddr(1, {reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()}))
      add(r);
  } else if (std::string cid = QueryParam(query, "client-id"); !cid.empty()) {
    std::string hex;
    for (char ch : cid)
      if (ch != ':') hex.push_back(ch);
    auto bytes = DecodeHex(hex);
    if (!bytes.ok()) return Error(400, "client-id: " + std::string(bytes.status().message()));
    for (const LeaseRecord* r : replica_.store().FindByClientId({reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()}))
      add(r);
  } else {
    return Error(400, "give one of ip=, mac=, client-id=");
  }
  return Json(200, out);
}

}  // namespace lqd::control
