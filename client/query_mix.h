// SPDX-License-Identifier: Apache-2.0
// File: client/query_mix.h
//
// lq-storm's mix of query regimes, "ip=80,mac=10,cid=10" (weights, any
// scale). Query by IP is the default and the RFC's preferred regime;
// a subscriber without a MAC or client-id is asked by IP instead.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "client/clock.h"
#include "client/query_builder.h"
#include "client/subscribers.h"

namespace lqd::client {

struct QueryMix {
  double ip = 100, mac = 0, cid = 0;
  QueryKind Pick(Random& rng) const;
  // The key for `s` in the regime picked (falling back to by-IP).
  QueryKey KeyFor(const Subscriber& s, Random& rng) const;
};

absl::StatusOr<QueryMix> ParseQueryMix(std::string_view s);

}  // namespace lqd::client
