// SPDX-License-Identifier: Apache-2.0
// File: control/replica.cc
#include "control/replica.h"

namespace lqd::control {

namespace {

// Transaction order of two versions of one address's lease: cltt, then expire.
bool OlderThan(uint32_t cltt, uint32_t expire, uint32_t than_cltt, uint32_t than_expire) {
  return cltt < than_cltt || (cltt == than_cltt && expire < than_expire);
}

}  // namespace

Replica::Outcome Replica::Apply(const LeaseUpdate& u, uint32_t now, absl::Status* why) {
  const Lease& in = u.lease;
  last_seen_[Index(u.source)] = now;
  seen_any_[Index(u.source)] = true;
  // The writer may read its own store: only this thread frees records.
  const LeaseRecord* cur = store_.FindByIp(in.ip, in.vpn);

  if (u.kind == LeaseUpdate::Kind::kDelete) {
    if (cur != nullptr && OlderThan(in.cltt, in.expire, cur->cltt, cur->expire)) {
      ++counters_.stale;
      return Outcome::kStale;
    }
    // Nothing held, but a newer delete's tombstone: this one must not
    // replace it (a late copy of that newer lease would then come back).
    if (auto it = tombstones_.find(Key(in.ip, in.vpn));
        cur == nullptr && it != tombstones_.end() &&
        OlderThan(in.cltt, in.expire, it->second.cltt, it->second.expire)) {
      ++counters_.stale;
      return Outcome::kStale;
    }
    if (cur != nullptr) store_.Erase(in.ip, in.vpn);
    tombstones_[Key(in.ip, in.vpn)] = {in.expire, in.cltt, now};
    counters_.tombstones = tombstones_.size();
    ++counters_.deleted;
    NoteChange(u);
    return Outcome::kApplied;
  }

  if (auto it = tombstones_.find(Key(in.ip, in.vpn)); it != tombstones_.end()) {
    // Older than the delete that made the tombstone: a late arrival.
    if (OlderThan(in.cltt, in.expire, it->second.cltt, it->second.expire) ||
        (in.cltt == it->second.cltt && in.expire == it->second.expire)) {
      ++counters_.stale;
      return Outcome::kStale;
    }
    tombstones_.erase(it);
    counters_.tombstones = tombstones_.size();
  }
  if (cur != nullptr) {
    const bool newer = !OlderThan(in.cltt, in.expire, cur->cltt, cur->expire);
    const bool state_change = in.state != cur->state && in.cltt == cur->cltt;
    if (!newer && !state_change) {
      ++counters_.stale;
      return Outcome::kStale;
    }
  }
  absl::Status st = store_.Upsert(in);
  if (!st.ok()) {
    ++counters_.rejected;
    if (why) *why = st;
    return Outcome::kRejected;
  }
  ++counters_.applied;
  NoteChange(u);
  return Outcome::kApplied;
}

void Replica::NoteChange(const LeaseUpdate& u) {
  if (watch_ != nullptr && u.source != FeedSource::kKeaPull && u.lease.vpn == kGlobalVpn)
    watch_->insert(u.lease.ip);
}

void Replica::ExpireTombstones(uint32_t now) {
  absl::erase_if(tombstones_, [&](const auto& kv) {
    return now - kv.second.created >= opts_.tombstone_seconds;
  });
  counters_.tombstones = tombstones_.size();
}

uint32_t Replica::LagSeconds(FeedSource source, uint32_t now) const {
  if (!seen_any_[Index(source)] && last_seen_[Index(source)] == 0) return UINT32_MAX;
  const uint32_t t = last_seen_[Index(source)];
  return now >= t ? now - t : 0;
}

}  // namespace lqd::control
