// SPDX-License-Identifier: Apache-2.0
// File: client/answer_cache.cc
#include "client/answer_cache.h"

namespace lqd::client {

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
  if (answer.state != LeaseState::kUnknown) {
    // this server manages the address (the queried one, or the lease's).
    const uint32_t ip = key.kind == QueryKind::kByIp ? key.ip : answer.ciaddr;
    if (ip != 0) managing_server_[ip] = server;
  }
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
  entries_[key.CacheKey()] = std::move(e);
}

void AnswerCache::Invalidate(const QueryKey& key) { entries_.erase(key.CacheKey()); }

std::optional<uint32_t> AnswerCache::ManagingServer(uint32_t ip) const {
  auto it = managing_server_.find(ip);
  if (it == managing_server_.end()) return std::nullopt;
  return it->second;
}

}  // namespace lqd::client
