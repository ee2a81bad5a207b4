// SPDX-License-Identifier: Apache-2.0
// File: client/retransmit.h
//
// RFC 2131 4.1 retransmission backoff, mandated for every DHCPLEASEQUERY by
// RFC 4388 6.6: the n-th wait is initial * 2^n, capped at max, each
// randomised by a uniform +-jitter: 4 s +-1, 8 +-1, 16 +-1, 32 +-1, 64 +-1,
// 64 +-1, ...
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/clock.h"

namespace lqd::client {

struct BackoffConfig {
  absl::Duration initial = absl::Seconds(4);
  absl::Duration max = absl::Seconds(64);
  absl::Duration jitter = absl::Seconds(1);
  absl::Status Validate() const;
};

// A value type: one per query, the randomness comes from the caller.
class Backoff {
 public:
  Backoff() = default;
  explicit Backoff(const BackoffConfig& config) : config_(config) {}

  // Wait before the next retransmission; advances the schedule.
  absl::Duration Next(Random& rng);
  // The next un-randomised wait, without advancing.
  absl::Duration PeekBase() const;
  int retransmissions() const { return count_; }
  void Reset() { count_ = 0; }

 private:
  BackoffConfig config_;
  int count_ = 0;
};

}  // namespace lqd::client
