// SPDX-License-Identifier: Apache-2.0
// File: control/management_api.h
//
// The management endpoints, on their own address (never the dataplane's):
//   GET /healthz   200 "ok" while the control thread runs; 503 "degraded:
//                  <why>" when persistence is failing (lqd keeps serving)
//   GET /readyz    200 once the initial load is complete; 503 before (lqd
//                  answers no leasequery until then, rather than a wrong
//                  UNASSIGNED)
//   GET /metrics   Prometheus text: store, ingest, replication lag, and
//                  whatever the dataplane adds (per-lcore counters)
//   GET /v1/leases?ip=A | ?mac=M | ?client-id=HEX   JSON of the stored leases
//   POST /v1/reload  re-read the config file, as SIGHUP does (when the
//                  daemon installed a reload handler): 200 with what changed,
//                  422 with every error (the running configuration stays)
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "control/http_server.h"
#include "control/kea_ha_ingest.h"
#include "control/replica.h"

namespace lqd::control {

struct ManagementState {
  bool ready = false;
  std::string degraded;  // empty: healthy
};

class ManagementApi {
 public:
  using Clock = std::function<uint32_t()>;
  ManagementApi(Replica& replica, const ManagementState& state, Clock clock)
      : replica_(replica), state_(state), clock_(std::move(clock)) {}

  // Extra Prometheus lines (the dataplane's counters), appended to /metrics.
  void SetExtraMetrics(std::function<std::string()> f) { extra_metrics_ = std::move(f); }
  void SetIngest(const KeaHaIngest* ingest) { ingest_ = ingest; }
  // HTTP servers whose counters /metrics exports, labelled server="<name>".
  void AddServer(std::string name, const HttpServer* s) { servers_.emplace_back(std::move(name), s); }
  // POST /v1/reload runs this (on the control thread, like every handler).
  void SetReload(std::function<HttpResponse()> f) { reload_ = std::move(f); }

  HttpResponse Handle(const HttpRequest& req);

 private:
  HttpResponse Metrics();
  HttpResponse Leases(const std::string& query);

  Replica& replica_;
  const ManagementState& state_;
  Clock clock_;
  const KeaHaIngest* ingest_ = nullptr;
  std::vector<std::pair<std::string, const HttpServer*>> servers_;
  std::function<std::string()> extra_metrics_;
  std::function<HttpResponse()> reload_;
};

// Renders a record as JSON (also used by tools and tests).
std::string LeaseToJson(const LeaseRecord& r, uint32_t now);

}  // namespace lqd::control
