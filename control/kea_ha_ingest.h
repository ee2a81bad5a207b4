// SPDX-License-Identifier: Apache-2.0
// File: control/kea_ha_ingest.h
//
// KeaHaIngest: lqd as a `backup` peer of a Kea HA primary
// (passive-backup, hot-standby or load-balancing all send backups the same
// lease4-update / lease4-del). Turns each POST into a LeaseUpdate for the
// Replica and answers the way Kea's HA client expects: HTTP 200 with a
// JSON list of one map, result 0 on success (also when lqd already holds
// newer data: the primary has nothing to fix), 1 on a bad command, 2 for
// commands lqd does not implement.
#pragma once

#include <cstdint>
#include <functional>

#include "control/http_server.h"
#include "control/replica.h"

namespace lqd::control {

struct KeaHaIngestCounters {
  uint64_t updates = 0;
  uint64_t deletes = 0;
  uint64_t stale = 0;
  uint64_t errors = 0;
  uint64_t unsupported = 0;
};

class KeaHaIngest {
 public:
  using Clock = std::function<uint32_t()>;
  // `before_ack`, if set, runs after an update is applied and before it is
  // acknowledged (the journal hook: what lqd acknowledged, it has written).
  KeaHaIngest(Replica& replica, Clock clock,
              std::function<void(const LeaseUpdate&)> before_ack = nullptr)
      : replica_(replica), clock_(std::move(clock)), before_ack_(std::move(before_ack)) {}

  HttpResponse Handle(const HttpRequest& req);
  const KeaHaIngestCounters& counters() const { return counters_; }

 private:
  Replica& replica_;
  Clock clock_;
  std::function<void(const LeaseUpdate&)> before_ack_;
  KeaHaIngestCounters counters_;
};

}  // namespace lqd::control
