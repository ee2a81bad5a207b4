// SPDX-License-Identifier: Apache-2.0
// File: engine/auth.cc
#include "engine/auth.h"

#include "absl/strings/str_format.h"

namespace lqd {

const char* AuthModeName(AuthMode m) {
  switch (m) {
    case AuthMode::kOff: return "off";
    case AuthMode::kOptional: return "optional";
    case AuthMode::kRequired: return "required";
  }
  return "unknown";
}

AuthReplayState::AuthReplayState(uint64_t reply_seed)
    : slots_(new Slot[kSlots]), reply_counter_(reply_seed) {}

AuthReplayState::Slot* AuthReplayState::Claim(uint64_t tag) {
  // Fibonacci hashing spreads neighbouring giaddrs over the table.
  size_t i = static_cast<size_t>((tag * 0x9e3779b97f4a7c15ull) >> 50) & (kSlots - 1);
  for (size_t probe = 0; probe < kMaxProbes; ++probe, i = (i + 1) & (kSlots - 1)) {
    Slot& s = slots_[i];
    uint64_t t = s.tag.load(std::memory_order_acquire);
    if (t == 0) {
      // Claim the free slot; if another lcore got it first, see whose it is.
      if (!s.tag.compare_exchange_strong(t, tag, std::memory_order_acq_rel)) {
        if (t != tag) continue;
      }
    } else if (t != tag) {
      continue;
    }
    return &s;
  }
  return nullptr;
}

AuthReplayState::Result AuthReplayState::Advance(uint32_t key_id, uint32_t giaddr,
                                                 uint64_t counter) {
  Slot* s = Claim(uint64_t{key_id} << 32 | giaddr);
  if (s == nullptr) return Result::kFull;
  uint64_t last = s->last.load(std::memory_order_acquire);
  do {
    if (counter <= last) return Result::kReplay;
  } while (!s->last.compare_exchange_weak(last, counter, std::memory_order_acq_rel));
  return Result::kFresh;
}

bool AuthReplayState::Seed(uint32_t key_id, uint32_t giaddr, uint64_t counter) {
  if (giaddr == 0) return false;  // tag 0 means a free slot; Verify never sees giaddr 0 here
  Slot* s = Claim(uint64_t{key_id} << 32 | giaddr);
  if (s == nullptr) return false;
  uint64_t last = s->last.load(std::memory_order_acquire);
  while (counter > last && !s->last.compare_exchange_weak(last, counter, std::memory_order_acq_rel)) {
  }
  return true;
}

bool AuthKeyring::Key::Serves(uint32_t giaddr) const {
  for (const auto& p : requesters)
    if (p.Contains(giaddr)) return true;
  return false;
}

absl::StatusOr<std::shared_ptr<AuthKeyring>> AuthKeyring::Create(const AuthConfig& config,
                                                                 uint64_t unix_now) {
  if (config.mode == AuthMode::kRequired && config.keys.empty())
    return absl::InvalidArgumentError("auth mode 'required' needs at least one key");
  std::shared_ptr<AuthKeyring> k(new AuthKeyring());
  k->mode_ = config.mode;
  for (size_t i = 0; i < config.keys.size(); ++i) {
    const AuthKeyConfig& c = config.keys[i];
    if (c.secret.empty()) return absl::InvalidArgumentError(absl::StrFormat("key %u has an empty secret", c.id));
    if (c.requesters.empty())
      return absl::InvalidArgumentError(absl::StrFormat("key %u lists no requesters", c.id));
    k->keys_.push_back(Key{c.id, dhcp::HmacMd5Key(c.secret), c.requesters});
  }
  k->replay_ = std::make_shared<AuthReplayState>(unix_now << 32);
  return k;
}

const AuthKeyring::Key* AuthKeyring::Find(uint32_t id, uint32_t giaddr) const {
  for (const Key& k : keys_)
    if (k.id == id && k.Serves(giaddr)) return &k;
  return nullptr;
}

const AuthKeyring::Key* AuthKeyring::FirstFor(uint32_t giaddr) const {
  for (const Key& k : keys_)
    if (k.Serves(giaddr)) return &k;
  return nullptr;
}

std::optional<EngineDrop> AuthKeyring::Verify(const dhcp::ParsedMessage& q,
                                              const Key** sign_with) const {
  *sign_with = nullptr;
  if (mode_ == AuthMode::kOff) return std::nullopt;
  const dhcp::OptionView* o = q.Find(dhcp::auth::kOptionCode);
  if (o == nullptr) {
    if (mode_ == AuthMode::kRequired) return EngineDrop::kAuthMissing;
    return std::nullopt;
  }
  const auto a = dhcp::AuthOption::Parse(o->bytes());
  if (!a) return EngineDrop::kAuthMalformed;
  if (!a->IsDelayedHmacMd5() || a->rdm != dhcp::auth::kRdmMonotonic)
    return EngineDrop::kAuthUnsupported;
  if (a->info.empty()) {  // RFC 3118 5.4: a DISCOVER asks for authentication
    if (mode_ == AuthMode::kRequired) return EngineDrop::kAuthMissing;
    *sign_with = FirstFor(q.giaddr);
    return std::nullopt;
  }
  if (!a->HasMac()) return EngineDrop::kAuthMalformed;
  const Key* key = Find(a->secret_id(), q.giaddr);
  if (key == nullptr) return EngineDrop::kAuthUnknownKey;
  // A split (RFC 3396) option 90 was copied out of the packet; its MAC
  // field has no place in the raw bytes to zero. No signer splits 31 bytes.
  const auto mac_at = dhcp::MacOffsetIn(q.raw, o->bytes());
  if (!mac_at) return EngineDrop::kAuthMalformed;
  const dhcp::Md5::Digest want = dhcp::MessageMac(key->hmac, q.raw, *mac_at);
  if (!dhcp::ConstantTimeEqual(want, a->mac())) return EngineDrop::kAuthBadMac;
  switch (replay_->Advance(key->id, q.giaddr, a->replay)) {
    case AuthReplayState::Result::kFresh: break;
    case AuthReplayState::Result::kReplay: return EngineDrop::kAuthReplay;
    case AuthReplayState::Result::kFull: return EngineDrop::kAuthReplayTableFull;
  }
  *sign_with = key;
  return std::nullopt;
}

size_t AuthKeyring::AddReplyOption(dhcp::MessageBuilder& b, const Key& key) const {
  return dhcp::AddDelayedAuthOption(b, replay_->NextReplyCounter(), key.id);
}

}  // namespace lqd
