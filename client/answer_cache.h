// SPDX-License-Identifier: Apache-2.0
// File: client/answer_cache.h
//
// The requester's memory of answers (RFC 4388 6.5, 7):
//  * ACTIVE is kept until the lease expires, i.e. option 51 seconds after
//    the answer arrived; without option 51 it is not cached;
//  * UNASSIGNED is kept until Invalidate() says gleaning saw a new lease
//    for that key;
//  * UNKNOWN is kept for a short while, 5 minutes by default;
//  * for ACTIVE and UNASSIGNED by IP, which server manages that address
//    so later queries for it go to that server only, until
//    that server answers UNKNOWN for it.
// Caching all three answers is the negative caching of R-20. Expired
// entries are swept as stores go on (amortised), and both maps are capped:
// a scan of the access networks must not grow them without bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "client/answer.h"
#include "client/query_builder.h"

namespace lqd::client {

struct CacheConfig {
  absl::Duration unknown_ttl = absl::Minutes(5);
  // Most answers (and, separately, managing servers) kept; past it an
  // arbitrary one is dropped, which costs only a query.
  size_t max_entries = size_t{1} << 20;
};

struct CachedAnswer {
  LeaseState state = LeaseState::kUnknown;
  absl::Time stored;
  absl::Time expires;  // InfiniteFuture for UNASSIGNED
  uint32_t server = 0;
  Answer answer;
};

class AnswerCache {
 public:
  explicit AnswerCache(const CacheConfig& config = {}) : config_(config) {}

  // The live entry for `key`, if any; an expired one is erased.
  std::optional<CachedAnswer> Lookup(const QueryKey& key, absl::Time now);
  // Records `answer` from `server` received at `now`.
  void Store(const QueryKey& key, const Answer& answer, uint32_t server, absl::Time now);
  // Gleaning saw a new lease: forget what was known about `key`.
  void Invalidate(const QueryKey& key);
  // The server that said ACTIVE or UNASSIGNED for `ip` most recently.
  std::optional<uint32_t> ManagingServer(uint32_t ip) const;
  // `server` said UNKNOWN for `ip`: if it was recorded as managing `ip`, it
  // no longer is.
  void ForgetManagingServer(uint32_t ip, uint32_t server);

  size_t size() const { return entries_.size(); }
  size_t managing_servers() const { return managing_server_.size(); }

 private:
  void RememberManagingServer(uint32_t ip, uint32_t server);
  void Sweep(absl::Time now);

  CacheConfig config_;
  absl::flat_hash_map<std::string, CachedAnswer> entries_;
  absl::flat_hash_map<uint32_t, uint32_t> managing_server_;
  // No entry expires before this (InfiniteFuture: none will).
  absl::Time next_expiry_ = absl::InfiniteFuture();
  size_t stores_since_sweep_ = 0;
};

}  // namespace lqd::client
