// SPDX-License-Identifier: Apache-2.0
// File: dhcp/wire.h
//
// DHCPv4 wire constants (RFC 2131, 2132, 3046, 4388, 8357) and unaligned
// big-endian load/store helpers. Header-only, no dependencies: every other
// piece of the codec, the engine and the tools share these names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lqd::dhcp {

// Fixed BOOTP header layout (RFC 2131 figure 1), byte offsets.
inline constexpr size_t kOffOp = 0;
inline constexpr size_t kOffHtype = 1;
inline constexpr size_t kOffHlen = 2;
inline constexpr size_t kOffHops = 3;
inline constexpr size_t kOffXid = 4;
inline constexpr size_t kOffSecs = 8;
inline constexpr size_t kOffFlags = 10;
inline constexpr size_t kOffCiaddr = 12;
inline constexpr size_t kOffYiaddr = 16;
inline constexpr size_t kOffSiaddr = 20;
inline constexpr size_t kOffGiaddr = 24;
inline constexpr size_t kOffChaddr = 28;
inline constexpr size_t kOffSname = 44;
inline constexpr size_t kOffFile = 108;
inline constexpr size_t kOffCookie = 236;
inline constexpr size_t kOffOptions = 240;

inline constexpr size_t kChaddrLen = 16;
inline constexpr size_t kSnameLen = 64;
inline constexpr size_t kFileLen = 128;
inline constexpr size_t kFixedHeaderLen = 236;  // up to, not including, the cookie
inline constexpr size_t kMinMessageLen = 240;   // header + magic cookie
inline constexpr size_t kBootpMinLen = 300;     // RFC 951/1542 minimum BOOTP payload
inline constexpr uint32_t kMagicCookie = 0x63825363;

inline constexpr uint8_t kOpBootRequest = 1;
inline constexpr uint8_t kOpBootReply = 2;

inline constexpr uint16_t kServerPort = 67;
inline constexpr uint16_t kClientPort = 68;

// Option 53 values (RFC 2132, 4388, 6926, 7724).
enum class MessageType : uint8_t {
  kNone = 0,
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
  kForceRenew = 9,
  kLeaseQuery = 10,
  kLeaseUnassigned = 11,
  kLeaseUnknown = 12,
  kLeaseActive = 13,
  kBulkLeaseQuery = 14,
  kLeaseQueryDone = 15,
  kActiveLeaseQuery = 16,
  kLeaseQueryStatus = 17,
  kTls = 18,
};

const char* MessageTypeName(MessageType t);

// Option codes lqd reads or writes.
namespace opt {
inline constexpr uint8_t kPad = 0;
inline constexpr uint8_t kSubnetMask = 1;
inline constexpr uint8_t kRouter = 3;
inline constexpr uint8_t kDnsServers = 6;
inline constexpr uint8_t kHostName = 12;
inline constexpr uint8_t kDomainName = 15;
inline constexpr uint8_t kRequestedIp = 50;
inline constexpr uint8_t kLeaseTime = 51;
inline constexpr uint8_t kOverload = 52;
inline constexpr uint8_t kMessageType = 53;
inline constexpr uint8_t kServerId = 54;
inline constexpr uint8_t kParamRequestList = 55;
inline constexpr uint8_t kMaxMessageSize = 57;
inline constexpr uint8_t kRenewalTime = 58;    // T1
inline constexpr uint8_t kRebindingTime = 59;  // T2
inline constexpr uint8_t kVendorClass = 60;
inline constexpr uint8_t kClientId = 61;
inline constexpr uint8_t kRelayAgentInfo = 82;
inline constexpr uint8_t kAuthentication = 90;
inline constexpr uint8_t kClientLastTransactionTime = 91;
inline constexpr uint8_t kAssociatedIp = 92;
inline constexpr uint8_t kVss = 221;
inline constexpr uint8_t kEnd = 255;
}  // namespace opt

// Option 82 sub-option codes (RFC 3046 and successors).
namespace rai {
inline constexpr uint8_t kCircuitId = 1;
inline constexpr uint8_t kRemoteId = 2;
inline constexpr uint8_t kDocsisDeviceClass = 4;
inline constexpr uint8_t kLinkSelection = 5;
inline constexpr uint8_t kSubscriberId = 6;
inline constexpr uint8_t kRadiusAttributes = 7;
inline constexpr uint8_t kAuthentication = 8;
inline constexpr uint8_t kVendorSpecific = 9;
inline constexpr uint8_t kFlags = 10;
inline constexpr uint8_t kServerIdOverride = 11;
inline constexpr uint8_t kRelayId = 12;
inline constexpr uint8_t kRelayPort = 19;
inline constexpr uint8_t kVssInfo = 151;
inline constexpr uint8_t kVssControl = 152;
}  // namespace rai

// Unaligned big-endian access. memcpy compiles to a single load/store + bswap.
inline uint16_t LoadBe16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t LoadBe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

}  // namespace lqd::dhcp
