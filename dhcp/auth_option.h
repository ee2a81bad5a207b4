// SPDX-License-Identifier: Apache-2.0
// File: dhcp/auth_option.h
//
// The DHCP Authentication option (code 90, RFC 3118 section 2):
//
//   code | len | protocol | algorithm | RDM | replay detection (8) | authentication info
//
// and the one profile lqd speaks, delayed authentication (protocol 1,
// algorithm 1 = HMAC-MD5, RDM 0 = monotonically increasing counter), whose
// authentication information is a 4-byte secret ID and a 16-byte MAC
// (RFC 3118 section 5). A message asking for delayed authentication without
// carrying a MAC (a DHCPDISCOVER, section 5.4) has no authentication info.
//
// The MAC covers the whole DHCP message with hops, giaddr and the MAC field
// itself set to zero (section 5: relays rewrite hops and giaddr). It is
// computed in place, without copying the message.
//
// Parse() never reads outside its span; Parse() of Pack()'s output is the
// identity (tests/dhcp/auth_option_test.cc, message_fuzz).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "dhcp/hmac_md5.h"
#include "dhcp/message.h"
#include "dhcp/message_builder.h"

namespace lqd::dhcp {

namespace auth {
inline constexpr uint8_t kOptionCode = 90;
inline constexpr uint8_t kProtocolConfigToken = 0;
inline constexpr uint8_t kProtocolDelayed = 1;
inline constexpr uint8_t kAlgorithmHmacMd5 = 1;
inline constexpr uint8_t kRdmMonotonic = 0;
inline constexpr size_t kFixedLen = 11;        // protocol..replay detection
inline constexpr size_t kDelayedInfoLen = 20;  // secret ID + HMAC-MD5
inline constexpr size_t kDelayedValueLen = kFixedLen + kDelayedInfoLen;  // 31
// Where the MAC sits inside a delayed-auth option value.
inline constexpr size_t kMacOffsetInValue = kFixedLen + 4;
}  // namespace auth

struct AuthOption {
  uint8_t protocol = auth::kProtocolDelayed;
  uint8_t algorithm = auth::kAlgorithmHmacMd5;
  uint8_t rdm = auth::kRdmMonotonic;
  uint64_t replay = 0;               // network order on the wire
  std::span<const uint8_t> info;     // authentication information, may be empty

  // nullopt when the value is shorter than the 11 fixed bytes.
  static std::optional<AuthOption> Parse(std::span<const uint8_t> value);

  bool IsDelayedHmacMd5() const {
    return protocol == auth::kProtocolDelayed && algorithm == auth::kAlgorithmHmacMd5;
  }
  // Delayed authentication with a secret ID and MAC (not a DISCOVER-style request).
  bool HasMac() const { return info.size() == auth::kDelayedInfoLen; }
  uint32_t secret_id() const;                    // requires HasMac()
  std::span<const uint8_t, 16> mac() const;      // requires HasMac()
};

// The 31-byte value of a delayed-auth option with the MAC zeroed, ready to
// be added to a message and signed in place by SignMessage().
std::array<uint8_t, auth::kDelayedValueLen> PackDelayedAuth(uint64_t replay, uint32_t secret_id);

// RFC 3118 MAC of `msg` (a whole DHCP message, header to last pad byte)
// whose 16-byte MAC field starts at `mac_offset`: hops, giaddr and the MAC
// field count as zero. `mac_offset + 16 <= msg.size()` and `msg.size() >=
// 240` are the caller's to guarantee.
Md5::Digest MessageMac(const HmacMd5Key& key, std::span<const uint8_t> msg, size_t mac_offset);

// Computes the MAC and writes it at `mac_offset`.
void SignMessage(const HmacMd5Key& key, std::span<uint8_t> msg, size_t mac_offset);

// Where the MAC field of option 90 (whose value `value` points into `msg`)
// starts in `msg`, or nullopt when the value is not inside `msg` (an option
// split per RFC 3396 was concatenated into scratch space) or carries no MAC.
std::optional<size_t> MacOffsetIn(std::span<const uint8_t> msg, std::span<const uint8_t> value);

// Adds a delayed-auth option 90 (MAC zeroed) to a message under
// construction and returns where its MAC will be once Finish()ed; sign the
// finished bytes with SignMessage(key, msg, returned offset).
size_t AddDelayedAuthOption(MessageBuilder& b, uint64_t replay, uint32_t secret_id);

// Checking a received message against one known key (the requester's side;
// the server picks among many keys in engine/auth.h).
enum class MacCheck : uint8_t { kOk, kMissing, kMalformed, kUnsupported, kWrongKeyId, kBadMac };
const char* MacCheckName(MacCheck c);  // "ok", "missing", ...
// On kOk, *replay is the message's replay counter (the caller checks it
// against the last one it accepted).
MacCheck VerifyDelayedAuth(const ParsedMessage& m, uint32_t key_id, const HmacMd5Key& key,
                           uint64_t* replay);

}  // namespace lqd::dhcp
