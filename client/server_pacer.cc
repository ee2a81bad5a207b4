// SPDX-License-Identifier: Apache-2.0
// File: client/server_pacer.cc
#include "client/server_pacer.h"

namespace lqd::client {

absl::Status PacerConfig::Validate() const {
  if (max_outstanding < 1 || max_outstanding > 200) {
    return absl::InvalidArgumentError(
        "max outstanding per server must be 1..200 (RFC 4388 6.6: 100 or 200)");
  }
  if (timer <= absl::ZeroDuration() || poll_interval <= absl::ZeroDuration() ||
      unknown_server_min_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("pacer durations must be positive");
  }
  return absl::OkStatus();
}

bool ServerPacer::TimerRunning(absl::Time now) const { return now < timer_expiry_; }

size_t ServerPacer::Limit(absl::Time now) const {
  return TimerRunning(now) ? config_.max_outstanding : 1;
}

absl::Time ServerPacer::EarliestSend() const {
  if (answered_) return absl::InfinitePast();
  return last_send_ + config_.unknown_server_min_interval;
}

bool ServerPacer::CanSend(absl::Time now, size_t outstanding) const {
  return outstanding < Limit(now) && now >= EarliestSend();
}

void ServerPacer::OnResponse(absl::Time now) {
  answered_ = true;
  timer_expiry_ = now + config_.timer;
  expiry_pending_ = true;
}

bool ServerPacer::TakeExpiry(absl::Time now) {
  if (!expiry_pending_ || TimerRunning(now)) return false;
  expiry_pending_ = false;
  return true;
}

}  // namespace lqd::client
