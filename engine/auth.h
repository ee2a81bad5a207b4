// SPDX-License-Identifier: Apache-2.0
// File: engine/auth.h
//
// RFC 3118 delayed authentication for leasequery (RFC 4388 section 7): the
// query is authenticated as a DHCPDISCOVER would be and the replies as a
// DHCPOFFER. lqd speaks protocol 1 (delayed), algorithm 1 (HMAC-MD5), RDM 0
// (monotonic replay counter), with per-requester keys from the config.
//
// What lqd does with a query, by AuthMode (config "policy.auth.mode"):
//  * off: option 90 is ignored, replies are never signed (no keyring at all).
//  * optional: a query without option 90 is answered unsigned. A query with
//    option 90 and a MAC must verify (known key for its giaddr, good MAC,
//    fresh counter) or is dropped; its reply is signed with the same key.
//    A DISCOVER-style option 90 without a MAC (RFC 3118 5.4) gets a reply
//    signed with the first key configured for its giaddr.
//  * required: every query must carry a verified MAC. This goes beyond the
//    literal DISCOVER mapping (a DISCOVER carries no MAC), because only a
//    signed query keeps location data from an unauthenticated asker.
// Every failure is one EngineDrop reason (auth-*), counted by the dataplane.
//
// Keys are chosen by (secret ID, giaddr): an entry applies to the giaddrs in
// its requester prefixes; the first matching entry wins. giaddr is outside
// the MAC (RFC 3118 zeroes it), so this match is what stops a captured
// query from being replayed with another reply address.
//
// Replay detection is per (secret ID, requester giaddr): a query's counter
// must be greater than the last one accepted from that requester with that
// key. The state lives in a fixed lock-free table (atomics, no locks, no
// allocation on the query path) that any number of lcores share; it is
// handed from keyring to keyring on reload. Across restarts it survives only
// through the state directory: the control thread copies the table to a
// file (dataplane/auth_replay_file.h: at most once a second when it changed,
// and at a clean stop) and lqd seeds the table from it before answering, so
// a counter at or below a persisted one is a replay. The lcores never do
// that I/O. What a kill -9 can still let through is said there. The MAC is
// checked before the counter is advanced, so forged packets cannot burn
// counter values.
//
// Replies carry a counter from one process-wide atomic seeded with
// (unix seconds << 32), so it keeps growing across restarts and reloads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "dhcp/auth_option.h"
#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "engine/policy.h"
#include "engine/query_engine.h"

namespace lqd {

enum class AuthMode : uint8_t { kOff = 0, kOptional, kRequired };
const char* AuthModeName(AuthMode m);

struct AuthKeyConfig {
  uint32_t id = 0;                     // RFC 3118 secret ID
  std::vector<uint8_t> secret;         // at least 1 byte
  std::vector<Ipv4Prefix> requesters;  // giaddrs that may use it; at least one
};

struct AuthConfig {
  AuthMode mode = AuthMode::kOff;
  std::vector<AuthKeyConfig> keys;
};

// Per-requester replay counters and the reply counter. Thread-safe.
class AuthReplayState {
 public:
  static constexpr size_t kSlots = 16384;  // distinct (key, requester) pairs
  static constexpr size_t kMaxProbes = 64;
  enum class Result : uint8_t { kFresh, kReplay, kFull };

  explicit AuthReplayState(uint64_t reply_seed);
  // Accepts `counter` iff it is greater than the last accepted for (id, giaddr).
  Result Advance(uint32_t key_id, uint32_t giaddr, uint64_t counter);
  // Raises the last accepted counter of (id, giaddr) to at least `counter`
  // (restoring persisted state); false if the table is full there.
  bool Seed(uint32_t key_id, uint32_t giaddr, uint64_t counter);
  // Calls fn(key_id, giaddr, last) for every requester seen. Safe while
  // lcores advance counters: each value read is one that was accepted.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (size_t i = 0; i < kSlots; ++i) {
      const uint64_t t = slots_[i].tag.load(std::memory_order_acquire);
      const uint64_t last = slots_[i].last.load(std::memory_order_acquire);
      if (t != 0 && last != 0) fn(static_cast<uint32_t>(t >> 32), static_cast<uint32_t>(t), last);
    }
  }
  uint64_t NextReplyCounter() { return reply_counter_.fetch_add(1, std::memory_order_relaxed) + 1; }

 private:
  struct Slot {
    std::atomic<uint64_t> tag{0};   // key_id << 32 | giaddr; 0 = free (giaddr is never 0 here)
    std::atomic<uint64_t> last{0};  // last accepted counter
  };
  Slot* Claim(uint64_t tag);  // the slot of `tag`, claimed if new; null: full
  std::unique_ptr<Slot[]> slots_;
  std::atomic<uint64_t> reply_counter_;
};

class AuthKeyring {
 public:
  struct Key {
    uint32_t id = 0;
    dhcp::HmacMd5Key hmac;
    std::vector<Ipv4Prefix> requesters;
    bool Serves(uint32_t giaddr) const;
  };

  // InvalidArgument for a config no keyring can come from (empty secret,
  // key without requesters, required mode without keys). `unix_now` seeds
  // the reply counter. Mode kOff yields a keyring too; the config loader
  // simply does not install it.
  static absl::StatusOr<std::shared_ptr<AuthKeyring>> Create(const AuthConfig& config,
                                                            uint64_t unix_now);

  // Reload: continue the replay counters (and reply counter) of `previous`.
  // Call before the keyring is published.
  void AdoptReplayState(const AuthKeyring& previous) { replay_ = previous.replay_; }

  AuthMode mode() const { return mode_; }
  // The replay table (shared with the keyrings before and after reloads).
  AuthReplayState& replay_state() const { return *replay_; }
  size_t num_keys() const { return keys_.size(); }

  // Checks `q` (whose raw bytes must still be intact). On success returns
  // nullopt and sets *sign_with to the key the reply must be signed with,
  // or nullptr for an unsigned reply.
  std::optional<EngineDrop> Verify(const dhcp::ParsedMessage& q, const Key** sign_with) const;

  // Adds option 90 for `key` to a reply under construction and returns
  // where its MAC will be; SignReply() fills it in after Finish().
  size_t AddReplyOption(dhcp::MessageBuilder& b, const Key& key) const;
  static void SignReply(std::span<uint8_t> reply, size_t mac_offset, const Key& key) {
    dhcp::SignMessage(key.hmac, reply, mac_offset);
  }

 private:
  AuthKeyring() = default;
  const Key* Find(uint32_t id, uint32_t giaddr) const;
  const Key* FirstFor(uint32_t giaddr) const;

  AuthMode mode_ = AuthMode::kOff;
  std::vector<Key> keys_;
  std::shared_ptr<AuthReplayState> replay_;  // shared with the previous keyring
};

}  // namespace lqd
