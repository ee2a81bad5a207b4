// SPDX-License-Identifier: Apache-2.0
// File: client/requester.cc
#include "client/requester.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "dhcp/auth_option.h"
#include "dhcp/message.h"
#include "dhcp/wire.h"

namespace lqd::client {

struct Requester::Leg {
  enum class State : uint8_t { kQueued, kOutstanding, kDone };
  Pending* query = nullptr;
  Server* server = nullptr;
  uint32_t xid = 0;
  Backoff backoff;
  int transmissions = 0;     // since the last (re)queueing
  int total_transmissions = 0;
  bool poll_mode = false;  // R-17 survivor: fixed ~64-s interval
  State state = State::kQueued;
  absl::Time first_sent = absl::InfinitePast();
  absl::Time next_tx = absl::InfiniteFuture();
  std::list<Leg*>::iterator pos;  // in server->queue or server->outstanding
};

struct Requester::Pending {
  QueryKey key;
  std::string cache_key;
  std::vector<QueryCallback> callbacks;
  std::vector<std::unique_ptr<Leg>> legs;
  std::vector<ServerAnswer> answers;
  absl::Time start;
  absl::Time grace_deadline = absl::InfiniteFuture();
  size_t open_legs = 0;
  // Invalidate() ran while this query was out: its answer may predate the
  // lease gleaning just saw, so it is delivered but not cached.
  bool stale = false;
};

struct Requester::Server {
  uint32_t addr = 0;
  ServerPacer pacer;
  std::list<Leg*> queue;        // waiting for the pacer, FIFO
  std::list<Leg*> outstanding;  // in flight, oldest first
  uint64_t last_auth_counter = 0;  // RFC 3118 RDM 0, replies from this server
  // the poller was cancelled unanswered (another server decided its
  // query, or it gave up) while the timer was expired; the next query sent
  // here polls in its place from this time on, not with a fresh backoff.
  std::optional<absl::Time> poll_next;
};

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kActive: return "ACTIVE";
    case Outcome::kUnassigned: return "UNASSIGNED";
    case Outcome::kUnknown: return "UNKNOWN";
    case Outcome::kNoAnswer: return "NO-ANSWER";
  }
  return "?";
}

namespace {
Outcome OutcomeOf(LeaseState s) {
  switch (s) {
    case LeaseState::kActive: return Outcome::kActive;
    case LeaseState::kUnassigned: return Outcome::kUnassigned;
    case LeaseState::kUnknown: return Outcome::kUnknown;
  }
  return Outcome::kNoAnswer;
}
}  // namespace

absl::Status RequesterConfig::Validate() const {
  if (giaddr == 0) {
    return absl::InvalidArgumentError("giaddr (the requester's own address) must be set");
  }
  if (servers.empty()) return absl::InvalidArgumentError("at least one server is needed");
  if (auth && auth->secret.empty()) return absl::InvalidArgumentError("auth key with an empty secret");
  for (size_t i = 0; i < servers.size(); ++i) {
    if (servers[i] == 0) return absl::InvalidArgumentError("server address 0.0.0.0");
    if (std::find(servers.begin(), servers.begin() + static_cast<ptrdiff_t>(i), servers[i]) !=
        servers.begin() + static_cast<ptrdiff_t>(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("server ", FormatIpv4(servers[i]), " listed twice"));
    }
  }
  if (max_transmissions < 0) return absl::InvalidArgumentError("max_transmissions < 0");
  if (auto s = pacer.Validate(); !s.ok()) return s;
  return backoff.Validate();
}

absl::StatusOr<std::unique_ptr<Requester>> Requester::Create(const RequesterConfig& config,
                                                             const Clock& clock,
                                                             Transport& transport, Random& rng) {
  if (auto s = config.Validate(); !s.ok()) return s;
  return std::unique_ptr<Requester>(new Requester(config, clock, transport, rng));
}

Requester::Requester(const RequesterConfig& config, const Clock& clock, Transport& transport,
                     Random& rng)
    : config_(config), clock_(clock), transport_(transport), rng_(rng), cache_(config.cache) {
  if (config_.auth) auth_ = QueryAuth{config_.auth->id, dhcp::HmacMd5Key(config_.auth->secret), 0};
  for (uint32_t addr : config_.servers) {
    auto s = std::make_unique<Server>();
    s->addr = addr;
    s->pacer = ServerPacer(config_.pacer);
    servers_.push_back(std::move(s));
  }
}

Requester::~Requester() = default;

Requester::Server* Requester::FindServer(uint32_t addr) {
  for (auto& s : servers_) {
    if (s->addr == addr) return s.get();
  }
  return nullptr;
}

const Requester::Server* Requester::FindServer(uint32_t addr) const {
  for (const auto& s : servers_) {
    if (s->addr == addr) return s.get();
  }
  return nullptr;
}

size_t Requester::outstanding(uint32_t server) const {
  const Server* s = FindServer(server);
  return s ? s->outstanding.size() : 0;
}

size_t Requester::queued(uint32_t server) const {
  const Server* s = FindServer(server);
  return s ? s->queue.size() : 0;
}

const ServerPacer* Requester::pacer(uint32_t server) const {
  const Server* s = FindServer(server);
  return s ? &s->pacer : nullptr;
}

uint32_t Requester::NewXid() {
  for (;;) {
    const uint32_t x = rng_.NextU32();
    if (x != 0 && !xids_.contains(x)) return x;
  }
}

absl::Status Requester::Query(const QueryKey& key, QueryCallback callback) {
  if (auto s = ValidateKey(key); !s.ok()) return s;
  if (key.kind == QueryKind::kByIp && !config_.access_networks.empty() &&
      std::none_of(config_.access_networks.begin(), config_.access_networks.end(),
                   [&](const Prefix& p) { return p.Contains(key.ip); })) {
    return absl::FailedPreconditionError(absl::StrCat(
        FormatIpv4(key.ip), " is outside the attached access networks; not queried (RFC 4388 7)"));
  }
  const absl::Time now = clock_.Now();
  ++stats_.queries;
  if (config_.cache_answers) {
    if (auto hit = cache_.Lookup(key, now)) {
      ++stats_.cache_hits;
      QueryResult r;
      r.key = key;
      r.outcome = OutcomeOf(hit->state);
      r.from_cache = true;
      r.server = hit->server;
      r.answer = hit->answer;
      r.answers.push_back({hit->server, hit->answer});
      callback(r);
      return absl::OkStatus();
    }
  }
  std::string ck = key.CacheKey();
  if (auto it = queries_.find(ck); it != queries_.end()) {
    ++stats_.coalesced;
    it->second->callbacks.push_back(std::move(callback));
    return absl::OkStatus();
  }
  auto q = std::make_unique<Pending>();
  q->key = key;
  q->cache_key = ck;
  q->callbacks.push_back(std::move(callback));
  q->start = now;
  // the server known to manage the address, else every server.
  std::vector<Server*> targets;
  if (key.kind == QueryKind::kByIp) {
    if (auto m = cache_.ManagingServer(key.ip)) {
      if (Server* s = FindServer(*m)) targets.push_back(s);
    }
  }
  if (targets.empty()) {
    for (auto& s : servers_) targets.push_back(s.get());
  }
  for (Server* s : targets) {
    auto leg = std::make_unique<Leg>();
    leg->query = q.get();
    leg->server = s;
    leg->xid = NewXid();
    leg->backoff = Backoff(config_.backoff);
    leg->pos = s->queue.insert(s->queue.end(), leg.get());
    xids_[leg->xid] = leg.get();
    q->legs.push_back(std::move(leg));
  }
  q->open_legs = q->legs.size();
  queries_.emplace(std::move(ck), std::move(q));
  Pump(now);
  Deliver();
  return absl::OkStatus();
}

void Requester::Transmit(Leg& leg, absl::Time now) {
  std::array<uint8_t, 576> buf;
  const uint16_t secs =
      leg.transmissions == 0
          ? 0
          : static_cast<uint16_t>(std::min<int64_t>(
                65535, absl::ToInt64Seconds(now - leg.first_sent)));
  QueryOptions opts;
  opts.giaddr = config_.giaddr;
  opts.prl = config_.prl;
  opts.relay_agent_info = config_.relay_agent_info;
  if (auth_) {
    // RDM 0: the wall clock in ns, never below the last counter + 1, so it
    // also grows across runs of a short-lived tool like lq-query.
    auth_->counter = std::max<uint64_t>(auth_->counter + 1,
                                        static_cast<uint64_t>(absl::ToUnixNanos(now)));
    opts.auth = &*auth_;
  }
  auto n = BuildQuery(leg.query->key, opts, leg.xid, secs, buf);
  if (n.ok()) {
    if (!transport_.Send(leg.server->addr, {buf.data(), *n}).ok()) ++stats_.send_errors;
  } else {
    ++stats_.send_errors;  // cannot happen for a validated key and giaddr
  }
  if (leg.transmissions == 0) {
    leg.first_sent = now;
  } else {
    ++stats_.retransmissions;
  }
  ++leg.transmissions;
  ++leg.total_transmissions;
  ++stats_.transmissions;
  leg.server->pacer.OnSend(now);
  const absl::Duration wait =
      leg.poll_mode
          ? config_.pacer.poll_interval + config_.backoff.jitter * rng_.Uniform(-1.0, 1.0)
          : leg.backoff.Next(rng_);
  leg.next_tx = now + wait;
}

void Requester::Invalidate(const QueryKey& key) {
  cache_.Invalidate(key);
  if (auto it = queries_.find(key.CacheKey()); it != queries_.end()) it->second->stale = true;
}

void Requester::Detach(Leg& leg) {
  if (leg.state == Leg::State::kQueued) leg.server->queue.erase(leg.pos);
  if (leg.state == Leg::State::kOutstanding) {
    leg.server->outstanding.erase(leg.pos);
    // An answered poller clears this again (OnDatagram).
    if (leg.poll_mode) leg.server->poll_next = leg.next_tx;
  }
  leg.state = Leg::State::kDone;
  xids_.erase(leg.xid);
}

void Requester::Pump(absl::Time now) {
  // Multi-server queries whose grace period is over are decided now.
  while (!grace_.empty() && grace_.begin()->first <= now) {
    auto node = grace_.extract(grace_.begin());
    auto it = queries_.find(node.mapped());
    if (it != queries_.end() && it->second->grace_deadline == node.key()) {
      Finish(*it->second, now);
    }
  }
  for (auto& sp : servers_) {
    Server& s = *sp;
    // the timer fired, keep only the oldest outstanding query;
    // the others go back to the head of the queue, to be resent when the
    // server answers again. The survivor polls every ~64 s.
    if (s.pacer.TakeExpiry(now) && !s.outstanding.empty()) {
      while (s.outstanding.size() > 1) {
        Leg* l = s.outstanding.back();
        s.outstanding.pop_back();
        l->state = Leg::State::kQueued;
        l->backoff.Reset();
        l->transmissions = 0;
        l->next_tx = absl::InfiniteFuture();
        l->pos = s.queue.insert(s.queue.begin(), l);
        ++stats_.dropped_by_timer;
      }
      s.outstanding.front()->poll_mode = true;
    }
    // Retransmissions, no sooner than the pacer allows.
    for (auto it = s.outstanding.begin(); it != s.outstanding.end();) {
      Leg& l = **it++;
      if (now < l.next_tx || now < s.pacer.EarliestSend()) continue;
      if (config_.max_transmissions > 0 && l.transmissions >= config_.max_transmissions) {
        Detach(l);
        ++stats_.gave_up;
        LegDone(*l.query, now);  // may finish the query and free `l`
        continue;
      }
      Transmit(l, now);
    }
    // New queries, up to the pacer's limit.
    while (!s.queue.empty() && s.pacer.CanSend(now, s.outstanding.size())) {
      Leg* l = s.queue.front();
      s.queue.pop_front();
      l->state = Leg::State::kOutstanding;
      l->pos = s.outstanding.insert(s.outstanding.end(), l);
      if (s.poll_next) {
        // Takes over the cancelled poller's schedule: otherwise every
        // query decided elsewhere would let the next one out at once.
        l->poll_mode = true;
        l->next_tx = *s.poll_next;
        s.poll_next.reset();
        if (now < l->next_tx) continue;  // sent by the retransmission loop
      }
      Transmit(*l, now);
    }
  }
}

void Requester::Poll() {
  Pump(clock_.Now());
  Deliver();
}

void Requester::OnDatagram(uint32_t from, std::span<const uint8_t> bytes) {
  const absl::Time now = clock_.Now();
  auto answer = DecodeAnswer(bytes);
  if (!answer.ok()) {
    ++stats_.malformed;
    return;
  }
  Server* server = FindServer(from);
  if (server == nullptr) {
    ++stats_.stray;  // only configured servers are listened to
    return;
  }
  if (auth_) {  // before anything trusts the reply, even the pacer
    dhcp::ParsedMessage m;
    uint64_t counter = 0;
    if (dhcp::ParseMessage(bytes, m) ||
        dhcp::VerifyDelayedAuth(m, auth_->key_id, auth_->key, &counter) != dhcp::MacCheck::kOk) {
      ++stats_.auth_rejected;
      return;
    }
    if (counter <= server->last_auth_counter) {
      ++stats_.auth_replayed;
      return;
    }
    server->last_auth_counter = counter;
  }
  auto it = xids_.find(answer->xid);
  if (it == xids_.end() || it->second->server != server) {
    // Not an answer to anything outstanding to this server (a late or
    // duplicate reply, or forged): it proves nothing about the server, so
    // neither R-13's nor R-14's limit is lifted by it.
    ++stats_.stray;
    return;
  }
  // A response to one of our queries restarts the server's timer (RFC 4388
  // 6.6) and shows that the server supports leasequery.
  server->pacer.OnResponse(now);
  Leg& leg = *it->second;
  Pending& q = *leg.query;
  ++stats_.answers;
  Detach(leg);
  server->poll_next.reset();  // it answers again: no poll to carry on
  if (answer->state == LeaseState::kUnknown) {
    // a server that does not know the address does not manage it
    // (any more); later queries for it go to every server again.
    const uint32_t ip = q.key.kind == QueryKind::kByIp ? q.key.ip : answer->ciaddr;
    if (ip != 0) cache_.ForgetManagingServer(ip, from);
  }
  const bool authoritative = answer->state != LeaseState::kUnknown;
  q.answers.push_back({from, *std::move(answer)});
  // ACTIVE and UNASSIGNED come from a server that manages the address
  // (RFC 4388 6.5), so once one is in, the others get only the grace period
  // to contradict it (6.8). UNKNOWN says the server has no definitive
  // information: the others may well have it, so they get the longer
  // unknown_grace (several retransmissions), not forever: a server that is
  // down, polled without a transmission limit, must not hold the answer.
  if (q.open_legs > 1) {
    const absl::Time deadline = now + (authoritative ? config_.multi_server_grace : config_.unknown_grace);
    if (deadline < q.grace_deadline) {
      q.grace_deadline = deadline;  // an older entry in grace_ no longer matches and is skipped
      grace_.emplace(q.grace_deadline, q.cache_key);
    }
  }
  LegDone(q, now);
  Pump(now);
  Deliver();
}

void Requester::LegDone(Pending& q, absl::Time now) {
  if (--q.open_legs == 0) Finish(q, now);
}

void Requester::Finish(Pending& q, absl::Time now) {
  for (auto& l : q.legs) {
    if (l->state != Leg::State::kDone) Detach(*l);
  }
  QueryResult r;
  r.key = q.key;
  r.latency = now - q.start;
  for (const auto& l : q.legs) r.transmissions += l->total_transmissions;
  r.answers = std::move(q.answers);
  if (auto best = ResolveAnswers(r.answers)) {
    const ServerAnswer& w = r.answers[*best];
    r.outcome = OutcomeOf(w.answer.state);
    r.server = w.server;
    r.answer = w.answer;
    if (config_.cache_answers && !q.stale) cache_.Store(q.key, w.answer, w.server, now);
  }
  finished_.emplace_back(std::move(q.callbacks), std::move(r));
  queries_.erase(q.cache_key);  // frees q and its legs
}

void Requester::Deliver() {
  if (delivering_) return;  // the outer Deliver() picks up what is added
  delivering_ = true;
  while (!finished_.empty()) {
    auto batch = std::move(finished_);
    finished_.clear();
    for (auto& [callbacks, result] : batch) {
      for (auto& cb : callbacks) cb(result);
    }
  }
  delivering_ = false;
}

absl::Time Requester::NextWakeup() const {
  absl::Time t = absl::InfiniteFuture();
  if (!grace_.empty()) t = grace_.begin()->first;
  const absl::Time now = clock_.Now();
  for (const auto& sp : servers_) {
    const Server& s = *sp;
    const absl::Time earliest = s.pacer.EarliestSend();
    if (s.pacer.TimerRunning(now)) t = std::min(t, s.pacer.TimerExpiry());
    for (const Leg* l : s.outstanding) t = std::min(t, std::max(l->next_tx, earliest));
    if (!s.queue.empty() && s.outstanding.size() < s.pacer.Limit(now)) {
      t = std::min(t, std::max(now, earliest));
    }
  }
  return t;
}

}  // namespace lqd::client
