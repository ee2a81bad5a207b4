// SPDX-License-Identifier: Apache-2.0
// File: client/server_pacer.h
//
// The per-server timer and outstanding limit of RFC 4388 6.6:
//  * the timer starts expired; while expired only one query may be
//    outstanding to the server;
//  * every response restarts it; it expires one minute after the last
//    response;
//  * while it runs up to max_outstanding (100..200, R-16) may be in flight;
//  * when it fires the requester drops all outstanding queries but one,
//    which then polls every ~64 s (R-17) - TakeExpiry() reports that moment;
//  * toward a server that never answered a leasequery, at most one packet
//    per 10 s; the 64-s poll keeps it above one per 70 s.
// The pacer only decides; Requester owns the queries.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace lqd::client {

struct PacerConfig {
  size_t max_outstanding = 100;                                 // 100..200
  absl::Duration timer = absl::Minutes(1);
  absl::Duration poll_interval = absl::Seconds(64);
  absl::Duration unknown_server_min_interval = absl::Seconds(10);
  absl::Status Validate() const;
};

class ServerPacer {
 public:
  explicit ServerPacer(const PacerConfig& config = {}) : config_(config) {}

  const PacerConfig& config() const { return config_; }
  bool TimerRunning(absl::Time now) const;
  // When the running timer fires; InfinitePast if it never started.
  absl::Time TimerExpiry() const { return timer_expiry_; }
  // How many queries may be outstanding now: 1 while expired.
  size_t Limit(absl::Time now) const;
  // Earliest time any packet (new or retransmitted) may go to this server.
  absl::Time EarliestSend() const;
  // A new query may be sent now with `outstanding` already in flight.
  bool CanSend(absl::Time now, size_t outstanding) const;
  // True once the server has answered any leasequery.
  bool known_to_support_lq() const { return answered_; }

  void OnSend(absl::Time now) { last_send_ = now; }
  void OnResponse(absl::Time now);
  // True exactly once for each running -> expired transition, at or after
  // the expiry: the caller then drops all outstanding queries but one.
  bool TakeExpiry(absl::Time now);

 private:
  PacerConfig config_;
  bool answered_ = false;
  bool expiry_pending_ = false;
  absl::Time timer_expiry_ = absl::InfinitePast();
  absl::Time last_send_ = absl::InfinitePast();
};

}  // namespace lqd::client
