// SPDX-License-Identifier: Apache-2.0
// File: client/storm_worker.cc
//
// The open / closed / rfc loops of lq-storm over any StormIo.
#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "client/answer.h"
#include "client/query_builder.h"
#include "client/storm.h"
#include "client/text.h"

namespace lqd::client {
namespace {

constexpr uint32_t kUnknownBase = 0xc6120000;  // 198.18.0.0/15, RFC 2544 benchmarking

// rfc mode: the requester library sends through this, so its datagrams
// count against --max-queries like every other one.
class BudgetTransport final : public Transport {
 public:
  BudgetTransport(StormIo& io, size_t ci, StormConcentrator& c, StormShared& sh)
      : io_(io), ci_(ci), c_(c), sh_(sh) {}
  absl::Status Send(uint32_t, std::span<const uint8_t> m) override {
    if (!sh_.TakeBudget()) return absl::ResourceExhaustedError("--max-queries reached");
    sh_.sent.fetch_add(1, std::memory_order_relaxed);
    ++c_.sent;
    io_.Send(ci_, m);
    return absl::OkStatus();
  }

 private:
  StormIo& io_;
  size_t ci_;
  StormConcentrator& c_;
  StormShared& sh_;
};

void MarkRecovered(StormConcentrator& c, size_t sub, absl::Time now) {
  if (c.recovered[sub]) return;
  c.recovered[sub] = true;
  if (++c.recovered_count == c.subs.size()) c.recovered_at = now;
}

}  // namespace

const char* StormModeName(StormMode m) {
  switch (m) {
    case StormMode::kOpen: return "open";
    case StormMode::kClosed: return "closed";
    case StormMode::kRfc: return "rfc";
    case StormMode::kFlood: return "flood";
  }
  return "?";
}

std::vector<StormConcentrator> DealConcentrators(const std::vector<Subscriber>& subs, size_t k,
                                                 size_t per_concentrator, uint32_t giaddr_base) {
  std::vector<StormConcentrator> conc(k);
  for (size_t i = 0; i < subs.size(); ++i) {
    StormConcentrator& c = conc[i % k];
    if (per_concentrator == 0 || c.subs.size() < per_concentrator) c.subs.push_back(&subs[i]);
  }
  for (size_t i = 0; i < k; ++i) {
    conc[i].recovered.assign(conc[i].subs.size(), false);
    conc[i].giaddr = giaddr_base + static_cast<uint32_t>(i);
  }
  return conc;
}

absl::Status ValidateGiaddrRange(uint32_t giaddr_base, size_t k) {
  if (giaddr_base == 0) {
    return absl::InvalidArgumentError(
        "0.0.0.0 cannot be a concentrator's giaddr (its own address, RFC 4388 6.2)");
  }
  if (k > 0 && uint64_t{giaddr_base} + (k - 1) > UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(
        k, " concentrators from ", FormatIpv4(giaddr_base),
        " would run past 255.255.255.255 (concentrator i is base+i)"));
  }
  return absl::OkStatus();
}

void StormResult::Merge(const StormResult& r) {
  latency.Merge(r.latency);
  for (int i = 0; i < 3; ++i) by_state[i] += r.by_state[i];
  other += r.other;
  stray += r.stray;
  unexpected += r.unexpected;
  no_answer += r.no_answer;
  concentrators += r.concentrators;
  recovered += r.recovered;
  per_concentrator.insert(per_concentrator.end(), r.per_concentrator.begin(), r.per_concentrator.end());
  std::sort(per_concentrator.begin(), per_concentrator.end(),
            [](const PerConcentrator& a, const PerConcentrator& b) { return a.giaddr < b.giaddr; });
  last_recovery = std::max(last_recovery, r.last_recovery);
}

StormWorker::StormWorker(StormShared& sh, std::vector<StormConcentrator*> conc, StormIo& io,
                         uint64_t seed, absl::Time start)
    : sh_(sh), opt_(*sh.opt), conc_(std::move(conc)), io_(io), rng_(seed), start_(start) {}

void StormWorker::Run() {
  if (opt_.mode == StormMode::kRfc) {
    RunRfc();
  } else if (opt_.mode == StormMode::kFlood) {
    RunFlood();
  } else {
    RunLoop();
  }
  result_.stray += io_.stray();
  for (StormConcentrator* c : conc_) {
    ++result_.concentrators;
    result_.per_concentrator.push_back({c->giaddr, c->sent, c->answered});
    if (!c->subs.empty() && c->recovered_count == c->subs.size()) {
      ++result_.recovered;
      result_.last_recovery = std::max(result_.last_recovery, c->recovered_at);
    }
  }
}

bool StormWorker::SendOne(absl::Time now) {
  // Round-robin over the concentrators that can send, each cycling over its
  // subscribers.
  if (dead_.empty()) dead_.assign(conc_.size(), false);
  size_t skipped = 0;
  for (; dead_[rr_]; rr_ = (rr_ + 1) % conc_.size()) {
    if (++skipped == conc_.size()) return false;  // none can
  }
  if (!sh_.TakeBudget()) return false;
  StormConcentrator& c = *conc_[rr_];
  const uint32_t ci = static_cast<uint32_t>(rr_);
  rr_ = (rr_ + 1) % conc_.size();
  InFlight f;
  f.conc = ci;
  if (opt_.unknown_fraction > 0 && rng_.Uniform(0, 1) < opt_.unknown_fraction) {
    f.sub = UINT32_MAX;
    f.key = QueryKey::ByIp(kUnknownBase + (unknown_next_++ % 131072));
  } else {
    f.sub = static_cast<uint32_t>(c.cursor);
    c.cursor = (c.cursor + 1) % c.subs.size();
    f.key = opt_.mix.KeyFor(*c.subs[f.sub], rng_);
  }
  f.first_sent = f.last_sent = now;
  uint32_t xid;
  do {
    xid = rng_.NextU32();
  } while (xid == 0 || inflight_.contains(xid));
  if (!Transmit(ci, f.key, xid)) {
    // Only a giaddr of 0 (which lq-storm refuses) makes every query of a
    // concentrator unbuildable: it is left out rather than retried. Its
    // budget unit is spent; nothing was sent or is waited for.
    dead_[ci] = true;
    return true;
  }
  inflight_.emplace(xid, std::move(f));
  deadlines_.push_back({now + absl::Seconds(opt_.timeout_s), xid});
  return true;
}

bool StormWorker::Transmit(size_t ci, const QueryKey& key, uint32_t xid) {
  query_options_.giaddr = conc_[ci]->giaddr;  // one QueryOptions: no PRL copy per query
  std::array<uint8_t, 600> out;
  auto n = BuildQuery(key, query_options_, xid, 0, out);
  if (!n.ok()) return false;  // not sent, so not counted as sent
  io_.Send(ci, {out.data(), *n});
  sh_.sent.fetch_add(1, std::memory_order_relaxed);
  ++conc_[ci]->sent;
  return true;
}

void StormWorker::OnAnswer(size_t ci, std::span<const uint8_t> bytes, absl::Time now) {
  auto a = DecodeAnswer(bytes);
  if (!a.ok()) {
    ++result_.other;
    return;
  }
  auto it = inflight_.find(a->xid);
  if (it == inflight_.end() || it->second.conc != ci) {
    ++result_.stray;  // late answer to a query already counted lost, or a duplicate
    return;
  }
  const InFlight& f = it->second;
  ++result_.by_state[static_cast<int>(a->state)];
  result_.latency.Record(static_cast<uint64_t>(absl::ToInt64Microseconds(now - f.first_sent)));
  sh_.answered.fetch_add(1, std::memory_order_relaxed);
  StormConcentrator& c = *conc_[ci];
  ++c.answered;
  if (f.sub == UINT32_MAX) {
    if (a->state != LeaseState::kUnknown) ++result_.unexpected;
  } else {
    const bool expect_active = c.subs[f.sub]->active;
    if ((a->state == LeaseState::kActive) != expect_active) ++result_.unexpected;
    MarkRecovered(c, f.sub, now);
  }
  inflight_.erase(it);
}

void StormWorker::ExpireDue(absl::Time now, bool final) {
  while (!deadlines_.empty() && (final || deadlines_.front().first <= now)) {
    const uint32_t xid = deadlines_.front().second;
    deadlines_.pop_front();
    auto it = inflight_.find(xid);
    if (it == inflight_.end()) continue;
    InFlight& f = it->second;
    if (!final && f.attempts <= opt_.retries && now < End() && sh_.TakeBudget()) {
      ++f.attempts;
      f.last_sent = now;
      // Built once already, so it builds again; if not, it is lost below.
      if (Transmit(f.conc, f.key, xid)) {
        sh_.retries.fetch_add(1, std::memory_order_relaxed);
        deadlines_.push_back({now + absl::Seconds(opt_.timeout_s), xid});
        continue;
      }
    }
    sh_.lost.fetch_add(1, std::memory_order_relaxed);
    inflight_.erase(it);
  }
}

void StormWorker::RunLoop() {
  const size_t n_threads = opt_.threads;
  const double rate = opt_.rate / static_cast<double>(n_threads);
  const size_t window = std::max<size_t>(1, opt_.window / n_threads);
  const absl::Duration interval =
      opt_.mode == StormMode::kOpen ? absl::Seconds(1.0 / rate) : absl::ZeroDuration();
  absl::Time next_send = start_;
  bool budget_left = true;
  for (;;) {
    absl::Time now = absl::Now();
    const bool sending = budget_left && now < End() && !sh_.stop.load();
    if (sending) {
      if (opt_.mode == StormMode::kOpen) {
        // Catch up at most 256 sends when the loop fell behind.
        for (int k = 0; k < 256 && next_send <= now; ++k) {
          if (!(budget_left = SendOne(now))) break;
          next_send += interval;
        }
        if (next_send < now - absl::Milliseconds(100)) next_send = now;
      } else {
        while (inflight_.size() < window) {
          if (!(budget_left = SendOne(now))) break;
        }
      }
    } else if (inflight_.empty() || now >= End() + absl::Seconds(opt_.timeout_s)) {
      break;
    }
    const absl::Duration wait = opt_.mode == StormMode::kOpen && sending
                                    ? next_send - absl::Now()
                                    : absl::Milliseconds(20);
    io_.Receive(wait, [&](size_t ci, std::span<const uint8_t> b) { OnAnswer(ci, b, absl::Now()); });
    ExpireDue(absl::Now(), false);
  }
  ExpireDue(absl::Now(), true);  // still unanswered at the end: lost
}

void StormWorker::RunFlood() {
  struct Prepared {
    size_t ci;
    std::vector<uint8_t> bytes;
  };
  // flood: sent back to back; paced: the well-behaved concentrators of
  // --paced-rate (every concentrator but the first), sent on a clock. Both
  // lists take the concentrators in turn (subscriber i of each, then i+1),
  // so every paced relay sends its share all the time, not in blocks.
  std::vector<Prepared> flood, paced;
  size_t most = 0;
  for (const StormConcentrator* c : conc_) most = std::max(most, c->subs.size());
  for (size_t si = 0; si < most; ++si) {
    for (size_t ci = 0; ci < conc_.size(); ++ci) {
      if (si >= conc_[ci]->subs.size()) continue;
      query_options_.giaddr = conc_[ci]->giaddr;
      std::array<uint8_t, 600> out;
      const uint32_t xid = static_cast<uint32_t>(flood.size() + paced.size() + 1);
      auto n = BuildQuery(opt_.mix.KeyFor(*conc_[ci]->subs[si], rng_), query_options_, xid, 0, out);
      if (!n.ok()) continue;
      (opt_.paced_rate > 0 && ci > 0 ? paced : flood).push_back({ci, {out.begin(), out.begin() + *n}});
    }
  }
  if (flood.empty()) return;
  // Answers are counted by type and giaddr only: no xid matching, so no
  // latency, no recovery and no "unexpected" (an xid recurs every cycle).
  auto on_answer = [&](size_t ci, std::span<const uint8_t> bytes) {
    auto a = DecodeAnswer(bytes);
    if (!a.ok()) {
      ++result_.other;
      return;
    }
    ++result_.by_state[static_cast<int>(a->state)];
    ++conc_[ci]->answered;
    sh_.answered.fetch_add(1, std::memory_order_relaxed);
  };
  auto send = [&](std::vector<Prepared>& from, size_t& next) {
    if (!sh_.TakeBudget()) return false;
    const Prepared& q = from[next];
    next = next + 1 == from.size() ? 0 : next + 1;
    io_.Send(q.ci, q.bytes);
    ++conc_[q.ci]->sent;
    sh_.sent.fetch_add(1, std::memory_order_relaxed);
    return true;
  };
  const absl::Time paced_start = absl::Now();
  size_t next = 0, next_paced = 0;
  uint64_t paced_sent = 0, flood_sent = 0;
  // How many of a schedule's `due` sends are still to go after `done`.
  auto Due = [](double due, uint64_t done) {
    return due <= static_cast<double>(done) ? uint64_t{0} : static_cast<uint64_t>(due) - done;
  };
  bool budget_left = true;
  constexpr uint64_t kTurn = 64;  // flood queries between two looks at the clock
  for (absl::Time now = paced_start; budget_left && now < End() && !sh_.stop.load(std::memory_order_relaxed);
       now = absl::Now()) {
    const double elapsed = absl::ToDoubleSeconds(now - paced_start);
    // --rate: the flood itself on a schedule (several times a server's
    // capacity but not more than it can drop); else as fast as the I/O goes.
    const uint64_t flood_now =
        opt_.rate > 0 ? std::min(kTurn, Due(opt_.rate * elapsed, flood_sent)) : kTurn;
    // The paced queries due now (all of them after the generator was off
    // its CPU) are shuffled into this turn's flood queries, not put ahead
    // of them: a full ring takes the head of a burst and refuses its tail,
    // and on a real link a relay's query lands anywhere in the flood.
    uint64_t paced_now = paced.empty() ? 0 : Due(opt_.paced_rate * elapsed, paced_sent);
    for (uint64_t left = flood_now + paced_now; left > 0 && budget_left; --left) {
      if (paced_now > 0 && rng_.NextU32() % left < paced_now) {
        budget_left = send(paced, next_paced);
        paced_sent += budget_left;
        --paced_now;
      } else {
        budget_left = send(flood, next);
        flood_sent += budget_left;
      }
    }
    io_.Receive(absl::ZeroDuration(), on_answer);
  }
  // Answers still on their way: collected for --timeout, then the rest of
  // what was sent counts as lost.
  const absl::Time drain_end = absl::Now() + absl::Seconds(opt_.timeout_s);
  while (absl::Now() < drain_end) io_.Receive(absl::Milliseconds(20), on_answer);
  const uint64_t sent = sh_.sent.load(), answered = sh_.answered.load();
  sh_.lost.store(sent - std::min(sent, answered));
}

void StormWorker::RunRfc() {
  RequesterConfig base;
  base.servers = {opt_.server};
  base.pacer.max_outstanding = opt_.rfc_outstanding;
  for (size_t ci = 0; ci < conc_.size(); ++ci) {
    StormConcentrator& c = *conc_[ci];
    RequesterConfig rc = base;
    rc.giaddr = c.giaddr;
    c.transport = std::make_unique<BudgetTransport>(io_, ci, c, sh_);
    auto made = Requester::Create(rc, clock_, *c.transport, rng_);
    // Only a giaddr of 0 (which lq-storm refuses) fails here: that
    // concentrator sends nothing and is left out of the run.
    if (!made.ok()) continue;
    c.requester = *std::move(made);
    for (size_t si = 0; si < c.subs.size(); ++si) {
      const Subscriber& s = *c.subs[si];
      (void)c.requester->Query(opt_.mix.KeyFor(s, rng_), [this, &c, si, &s](const QueryResult& r) {
        if (r.outcome == Outcome::kNoAnswer) {
          ++result_.no_answer;
          return;
        }
        ++result_.by_state[static_cast<int>(r.answer->state)];
        ++c.answered;
        if ((r.outcome == Outcome::kActive) != s.active) ++result_.unexpected;
        result_.latency.Record(static_cast<uint64_t>(absl::ToInt64Microseconds(r.latency)));
        MarkRecovered(c, si, absl::Now());
      });
    }
  }
  auto all_recovered = [&] {
    for (StormConcentrator* c : conc_) {
      if (c->requester && c->recovered_count < c->subs.size()) return false;
    }
    return true;
  };
  absl::Time budget_gone = absl::InfiniteFuture();
  while (!all_recovered() && absl::Now() < End() && !sh_.stop.load()) {
    absl::Time wake = End();
    for (StormConcentrator* c : conc_) {
      if (c->requester) wake = std::min(wake, c->requester->NextWakeup());
    }
    io_.Receive(wake - absl::Now(), [&](size_t ci, std::span<const uint8_t> b) {
      if (!conc_[ci]->requester) return;  // nothing was asked from there
      conc_[ci]->requester->OnDatagram(opt_.server, b);
      sh_.answered.fetch_add(1, std::memory_order_relaxed);
    });
    const absl::Time now = absl::Now();
    for (StormConcentrator* c : conc_) {
      if (c->requester && c->requester->NextWakeup() <= now) c->requester->Poll();
    }
    if (sh_.budget.load() >= opt_.max_queries && budget_gone == absl::InfiniteFuture()) {
      budget_gone = now;
    }
    if (now > budget_gone + absl::Seconds(opt_.timeout_s)) break;
  }
  uint64_t retrans = 0;
  for (StormConcentrator* c : conc_) {
    if (c->requester) retrans += c->requester->stats().retransmissions;
  }
  sh_.retries.fetch_add(retrans);
}

}  // namespace lqd::client
