// SPDX-License-Identifier: Apache-2.0
// File: client/answer_cache.cc
#include "client/answer_cache.h"

#include <algorithm>

namespace lqd::client {

namespace {

// At the cap, drops arbitrary entries down to 7/8 of it in one pass: the
// pass costs the table, once per max/8 inserts (erasing one entry at a
// time from begin() would rescan the emptied front of the table each time).
template <typename Map>
void ShrinkToSeveneighths(Map& m, size_t max_entries) {
  const size_t keep = max_entries - std::max<size_t>(1, max_entries / 8);
  for (auto it = m.begin(); it != m.end() && m.size() > keep;) m.erase(it++);
}

}  // namespace

std::optional<CachedAnswer> AnswerCache::Lookup(const QueryKey& key, absl::Time now) {
  auto it = entries_.find(key.CacheKey());
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void AnswerCache::Store(const QueryKey& key, const Answer& answer, uint32_t server,
                        absl::Time now) {
  // an ACTIVE or UNASSIGNED server manages the address (the queried
  // one, or the lease's); one that says UNKNOWN does not.
  const uint32_t ip = key.kind == QueryKind::kByIp ? key.ip : answer.ciaddr;
  if (ip != 0) {
    if (answer.state == LeaseState::kUnknown) {
      ForgetManagingServer(ip, server);
    } else {
      RememberManagingServer(ip, server);
    }
  }
  // A sweep costs the whole map, so it waits for as many stores as a
  // quarter of the entries: O(1) per store, amortised.
  ++stores_since_sweep_;
  if (now >= next_expiry_ && stores_since_sweep_ >= entries_.size() / 4) Sweep(now);
  CachedAnswer e;
  e.state = answer.state;
  e.stored = now;
  e.server = server;
  switch (answer.state) {
    case LeaseState::kActive:
      if (!answer.lease_time || *answer.lease_time == 0) {
        entries_.erase(key.CacheKey());  // nothing says how long it holds
        return;
      }
      e.expires = *answer.lease_time == 0xffffffffu
                      ? absl::InfiniteFuture()
                      : now + absl::Seconds(*answer.lease_time);
      break;
    case LeaseState::kUnassigned:
      e.expires = absl::InfiniteFuture();
      break;
    case LeaseState::kUnknown:
      e.expires = now + config_.unknown_ttl;
      break;
  }
  e.answer = answer;
  next_expiry_ = std::min(next_expiry_, e.expires);
  std::string k = key.CacheKey();
  if (entries_.size() >= config_.max_entries && !entries_.contains(k)) {
    Sweep(now);
    ShrinkToSeveneighths(entries_, config_.max_entries);
  }
  entries_[std::move(k)] = std::move(e);
}

void AnswerCache::Sweep(absl::Time now) {
  stores_since_sweep_ = 0;
  next_expiry_ = absl::InfiniteFuture();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now >= it->second.expires) {
      entries_.erase(it++);
    } else {
      next_expiry_ = std::min(next_expiry_, it->second.expires);
      ++it;
    }
  }
}

void AnswerCache::Invalidate(const QueryKey& key) { entries_.erase(key.CacheKey()); }

void AnswerCache::RememberManagingServer(uint32_t ip, uint32_t server) {
  if (managing_server_.size() >= config_.max_entries && !managing_server_.contains(ip)) {
    ShrinkToSeveneighths(managing_server_, config_.max_entries);  // those are asked of all servers again: R-07
  }
  managing_server_[ip] = server;
}

void AnswerCache::ForgetManagingServer(uint32_t ip, uint32_t server) {
  auto it = managing_server_.find(ip);
  if (it != managing_server_.end() && it->second == server) managing_server_.erase(it);
}

std::optional<uint32_t> AnswerCache::ManagingServer(uint32_t ip) const {
  auto it = managing_server_.find(ip);
  if (it == managing_server_.end()) return std::nullopt;
  return it->second;
}

}  // namespace lqd::client
