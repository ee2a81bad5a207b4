// SPDX-License-Identifier: Apache-2.0
// File: dhcp/auth_option.cc
#include "dhcp/auth_option.h"

#include <cstring>

#include "dhcp/wire.h"

namespace lqd::dhcp {

std::optional<AuthOption> AuthOption::Parse(std::span<const uint8_t> v) {
  if (v.size() < auth::kFixedLen) return std::nullopt;
  AuthOption a;
  a.protocol = v[0];
  a.algorithm = v[1];
  a.rdm = v[2];
  a.replay = 0;
  for (int i = 0; i < 8; ++i) a.replay = a.replay << 8 | v[3 + i];
  a.info = v.subspan(auth::kFixedLen);
  return a;
}

uint32_t AuthOption::secret_id() const {
  return uint32_t{info[0]} << 24 | uint32_t{info[1]} << 16 | uint32_t{info[2]} << 8 | info[3];
}

std::span<const uint8_t, 16> AuthOption::mac() const { return info.subspan<4, 16>(); }

std::array<uint8_t, auth::kDelayedValueLen> PackDelayedAuth(uint64_t replay, uint32_t secret_id) {
  std::array<uint8_t, auth::kDelayedValueLen> v{};
  v[0] = auth::kProtocolDelayed;
  v[1] = auth::kAlgorithmHmacMd5;
  v[2] = auth::kRdmMonotonic;
  for (int i = 0; i < 8; ++i) v[3 + i] = static_cast<uint8_t>(replay >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) v[11 + i] = static_cast<uint8_t>(secret_id >> (24 - 8 * i));
  return v;  // MAC (bytes 15..30) left zero
}

Md5::Digest MessageMac(const HmacMd5Key& key, std::span<const uint8_t> msg, size_t mac_offset) {
  // Zeroed ranges in message order: hops (3), giaddr (24..27), the MAC.
  // The MAC is always in the options, after the 240-byte header.
  Md5 h = key.Begin();
  h.Update(msg.first(kOffHops));
  h.UpdateZeros(1);
  h.Update(msg.subspan(kOffHops + 1, kOffGiaddr - kOffHops - 1));
  h.UpdateZeros(4);
  h.Update(msg.subspan(kOffGiaddr + 4, mac_offset - kOffGiaddr - 4));
  h.UpdateZeros(Md5::kDigestLen);
  h.Update(msg.subspan(mac_offset + Md5::kDigestLen));
  return key.End(h);
}

void SignMessage(const HmacMd5Key& key, std::span<uint8_t> msg, size_t mac_offset) {
  const Md5::Digest d = MessageMac(key, msg, mac_offset);
  std::memcpy(msg.data() + mac_offset, d.data(), d.size());
}

std::optional<size_t> MacOffsetIn(std::span<const uint8_t> msg, std::span<const uint8_t> value) {
  if (value.size() != auth::kDelayedValueLen || msg.empty()) return std::nullopt;
  // Compare as integers: the value may point into an unrelated buffer.
  const auto m = reinterpret_cast<uintptr_t>(msg.data());
  const auto v = reinterpret_cast<uintptr_t>(value.data());
  if (v < m + kMinMessageLen || v + value.size() > m + msg.size()) return std::nullopt;
  return static_cast<size_t>(v - m) + auth::kMacOffsetInValue;
}

size_t AddDelayedAuthOption(MessageBuilder& b, uint64_t replay, uint32_t secret_id) {
  const size_t at = b.size();
  b.AddOption(auth::kOptionCode, PackDelayedAuth(replay, secret_id));
  return at + 2 + auth::kMacOffsetInValue;
}

const char* MacCheckName(MacCheck c) {
  switch (c) {
    case MacCheck::kOk: return "ok";
    case MacCheck::kMissing: return "missing";
    case MacCheck::kMalformed: return "malformed";
    case MacCheck::kUnsupported: return "unsupported";
    case MacCheck::kWrongKeyId: return "wrong-key-id";
    case MacCheck::kBadMac: return "bad-mac";
  }
  return "unknown";
}

MacCheck VerifyDelayedAuth(const ParsedMessage& m, uint32_t key_id, const HmacMd5Key& key,
                           uint64_t* replay) {
  const OptionView* o = m.Find(auth::kOptionCode);
  if (o == nullptr) return MacCheck::kMissing;
  const auto a = AuthOption::Parse(o->bytes());
  if (!a) return MacCheck::kMalformed;
  if (!a->IsDelayedHmacMd5() || a->rdm != auth::kRdmMonotonic) return MacCheck::kUnsupported;
  if (!a->HasMac()) return a->info.empty() ? MacCheck::kMissing : MacCheck::kMalformed;
  if (a->secret_id() != key_id) return MacCheck::kWrongKeyId;
  const auto at = MacOffsetIn(m.raw, o->bytes());
  if (!at) return MacCheck::kMalformed;
  if (!ConstantTimeEqual(MessageMac(key, m.raw, *at), a->mac())) return MacCheck::kBadMac;
  *replay = a->replay;
  return MacCheck::kOk;
}

}  // namespace lqd::dhcp
