// SPDX-License-Identifier: Apache-2.0
// File: client/requester.h
//
// The requester side of RFC 4388 in one object, as an access concentrator
// runs it: callers ask Query(key, callback); the Requester answers from its
// cache when it can (R-09..R-12, R-20), otherwise builds the query (R-01..
// ), sends it to the server known to manage the address or to all
// configured servers, paces each server (R-13, R-14, R-16..R-18),
// retransmits with RFC 2131 backoff, and picks among several
// servers' answers by option 91.
//
// Single-threaded and event driven, with no socket or thread of its own:
// the owner calls OnDatagram() for every received datagram and Poll() no
// later than NextWakeup(). Callbacks run at the end of Query(), OnDatagram()
// and Poll(), never in the middle of them; they may call Query() again.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/answer.h"
#include "client/answer_cache.h"
#include "client/clock.h"
#include "client/query_builder.h"
#include "client/resolve.h"
#include "client/retransmit.h"
#include "client/server_pacer.h"
#include "client/text.h"
#include "client/transport.h"

namespace lqd::client {

struct RequesterConfig {
  uint32_t giaddr = 0;             // own address, host order
  std::vector<uint32_t> servers;   // all servers configured for this relay
  std::vector<uint8_t> prl = DefaultPrl();
  std::vector<uint8_t> relay_agent_info;   // R-08, optional option 82 payload
  PacerConfig pacer;
  BackoffConfig backoff;
  CacheConfig cache;
  bool cache_answers = true;  // R-09..R-12, R-20
  // Transmissions per server before giving up on it; 0 = keep polling.
  int max_transmissions = 0;
  // After the first ACTIVE or UNASSIGNED answer, how long other servers
  // still get to answer before the query is decided.
  absl::Duration multi_server_grace = absl::Seconds(2);
  // After an UNKNOWN (and no ACTIVE/UNASSIGNED yet), how long the other
  // servers get: long enough for one whose first datagram was lost to be
  // asked twice more (a server that has not answered yet gets at most one
  // datagram per 10 s, R-13), bounded so that a server that is down cannot
  // hold the answer forever.
  absl::Duration unknown_grace = absl::Seconds(25);
  // R-20 ciaddr restriction: query-by-IP only for addresses inside these
  // (the attached access networks). Empty = no restriction.
  std::vector<Prefix> access_networks;
  // RFC 3118 delayed authentication (RFC 4388 section 7): sign every query
  // with this key and accept only replies signed with it, with a replay
  // counter above the last one accepted from that server.
  std::optional<AuthKeySpec> auth;
  absl::Status Validate() const;
};

enum class Outcome : uint8_t { kActive, kUnassigned, kUnknown, kNoAnswer };
const char* OutcomeName(Outcome o);

struct QueryResult {
  QueryKey key;
  Outcome outcome = Outcome::kNoAnswer;
  bool from_cache = false;
  uint32_t server = 0;           // whose answer was chosen
  std::optional<Answer> answer;  // the chosen answer
  std::vector<ServerAnswer> answers;  // every answer received, in order
  int transmissions = 0;
  absl::Duration latency;
};
using QueryCallback = std::function<void(const QueryResult&)>;

struct RequesterStats {
  uint64_t queries = 0;          // Query() calls accepted
  uint64_t cache_hits = 0;
  uint64_t coalesced = 0;        // joined a query already in flight
  uint64_t transmissions = 0;    // datagrams sent, first + retransmissions
  uint64_t retransmissions = 0;
  uint64_t answers = 0;          // matched answers
  uint64_t stray = 0;            // unmatched xid or wrong source
  uint64_t malformed = 0;
  uint64_t dropped_by_timer = 0;  // R-17 drops (requeued, not lost)
  uint64_t gave_up = 0;           // legs that hit max_transmissions
  uint64_t send_errors = 0;
  uint64_t auth_rejected = 0;     // reply unsigned, wrong key or bad MAC (auth configured)
  uint64_t auth_replayed = 0;     // reply's counter not above the server's last one
};

class Requester {
 public:
  static absl::StatusOr<std::unique_ptr<Requester>> Create(const RequesterConfig& config,
                                                           const Clock& clock,
                                                           Transport& transport, Random& rng);
  ~Requester();

  // Asks for `key`. InvalidArgument for a bad key, FailedPrecondition for
  // an address outside the access networks. On a cache hit the
  // callback runs before Query() returns.
  absl::Status Query(const QueryKey& key, QueryCallback callback);
  // One received datagram from `from` (IPv4 host order).
  void OnDatagram(uint32_t from, std::span<const uint8_t> bytes);
  // Does whatever is due: pacer expiry, retransmissions, queued sends.
  void Poll();
  // When Poll() next has something to do (InfiniteFuture: nothing).
  absl::Time NextWakeup() const;
  // Gleaning saw a new lease for `key`: drop the cached answer, and
  // keep the answer of a query for `key` already in flight out of the cache
  // (it may predate the lease; its callers still get it).
  void Invalidate(const QueryKey& key);

  const RequesterStats& stats() const { return stats_; }
  const AnswerCache& cache() const { return cache_; }
  size_t in_flight() const { return queries_.size(); }
  size_t outstanding(uint32_t server) const;
  size_t queued(uint32_t server) const;
  const ServerPacer* pacer(uint32_t server) const;

 private:
  struct Pending;
  struct Leg;
  struct Server;

  Requester(const RequesterConfig& config, const Clock& clock, Transport& transport, Random& rng);
  Server* FindServer(uint32_t addr);
  const Server* FindServer(uint32_t addr) const;
  uint32_t NewXid();
  void Pump(absl::Time now);
  void Transmit(Leg& leg, absl::Time now);
  void Detach(Leg& leg);  // off its server's lists and the xid map
  void LegDone(Pending& q, absl::Time now);
  void Finish(Pending& q, absl::Time now);
  // Runs the callbacks of finished queries, outside any list walk.
  void Deliver();

  RequesterConfig config_;
  std::optional<QueryAuth> auth_;  // from config_.auth; counter = last one sent
  const Clock& clock_;
  Transport& transport_;
  Random& rng_;
  AnswerCache cache_;
  std::vector<std::unique_ptr<Server>> servers_;
  absl::flat_hash_map<std::string, std::unique_ptr<Pending>> queries_;
  absl::flat_hash_map<uint32_t, Leg*> xids_;
  std::multimap<absl::Time, std::string> grace_;  // deadline -> query cache key
  RequesterStats stats_;
  std::vector<std::pair<std::vector<QueryCallback>, QueryResult>> finished_;
  bool delivering_ = false;
};

}  // namespace lqd::client
