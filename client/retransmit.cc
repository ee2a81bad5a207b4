// SPDX-License-Identifier: Apache-2.0
// File: client/retransmit.cc
#include "client/retransmit.h"

#include <algorithm>

namespace lqd::client {

absl::Status BackoffConfig::Validate() const {
  if (initial <= absl::ZeroDuration() || max < initial) {
    return absl::InvalidArgumentError("backoff needs 0 < initial <= max");
  }
  if (jitter < absl::ZeroDuration() || jitter >= initial) {
    return absl::InvalidArgumentError("backoff jitter must be in [0, initial)");
  }
  return absl::OkStatus();
}

absl::Duration Backoff::PeekBase() const {
  absl::Duration d = config_.initial;
  for (int i = 0; i < count_ && d < config_.max; ++i) d *= 2;
  return std::min(d, config_.max);
}

absl::Duration Backoff::Next(Random& rng) {
  const absl::Duration base = PeekBase();
  ++count_;
  const double j = rng.Uniform(-1.0, 1.0);
  return base + config_.jitter * j;
}

}  // namespace lqd::client
