// SPDX-License-Identifier: Apache-2.0
// File: client/query_builder.h
//
// Builds one DHCPLEASEQUERY (RFC 4388 6.2) for each of the three regimes:
//   by IP        ciaddr = IP, htype = hlen = chaddr = 0, no option 61 
//   by MAC       ciaddr = 0, htype/hlen/chaddr = MAC, no option 61    
//   by client-id ciaddr = 0, htype = hlen = chaddr = 0, option 61     
// giaddr is always the requester's own address and the PRL lists
// the options of interest. An optional option 82 of the requester's
// own identifies the device.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dhcp/hmac_md5.h"

namespace lqd::client {

enum class QueryKind : uint8_t { kByIp, kByMac, kByClientId };
const char* QueryKindName(QueryKind k);  // "ip", "mac", "client-id"

struct QueryKey {
  QueryKind kind = QueryKind::kByIp;
  uint32_t ip = 0;  // kByIp, host order
  uint8_t htype = 0;
  uint8_t hlen = 0;
  std::array<uint8_t, 16> chaddr{};  // kByMac: hlen bytes used
  std::vector<uint8_t> client_id;    // kByClientId

  static QueryKey ByIp(uint32_t ip);
  // htype 1 (Ethernet) by default; 1..16 bytes.
  static QueryKey ByMac(std::span<const uint8_t> mac, uint8_t htype = 1);
  static QueryKey ByClientId(std::span<const uint8_t> id);

  // Human-readable: "ip 10.0.0.1", "mac 02:00:..", "client-id 01:02:..".
  std::string ToString() const;
  // Unique, compact map key.
  std::string CacheKey() const;
  bool operator==(const QueryKey& o) const { return CacheKey() == o.CacheKey(); }
};

// What RFC 4388 6.2 demands of a key: a non-zero IP, a 1..16 byte non-zero
// hardware address with a non-zero htype, or a non-empty client-id.
absl::Status ValidateKey(const QueryKey& key);

// Typical requester PRL: lease time, server-id, T1, T2, vendor class,
// client-id, RAI, client-last-transaction-time (for R-19), associated-ip.
std::vector<uint8_t> DefaultPrl();

// RFC 3118 delayed authentication of leasequery (RFC 4388 section 7): the
// requester's key as configured on both sides (lq-query --auth-key ID:SECRET).
struct AuthKeySpec {
  uint32_t id = 0;
  std::vector<uint8_t> secret;
};
// "ID:SECRET" (SECRET as text) or "ID:hex:00ff..." (SECRET in hex).
absl::StatusOr<AuthKeySpec> ParseAuthKey(std::string_view text);

// What BuildQuery signs with: the key and this query's replay counter
// (RDM 0: strictly greater than any counter sent before with this key).
struct QueryAuth {
  uint32_t key_id = 0;
  dhcp::HmacMd5Key key;
  uint64_t counter = 0;
};

struct QueryOptions {
  uint32_t giaddr = 0;                    // requester's own address, host order
  std::vector<uint8_t> prl = DefaultPrl();  // R-02; empty = no option 55
  std::vector<uint8_t> relay_agent_info;  // option 82 payload, empty = none
  const QueryAuth* auth = nullptr;        // sign the query (option 90) when set
};

// Writes the query into `out` (at least 300 bytes) and returns its length.
// InvalidArgument for a bad key, giaddr 0 or a buffer that is too small.
absl::StatusOr<size_t> BuildQuery(const QueryKey& key, const QueryOptions& options, uint32_t xid,
                                  uint16_t secs, std::span<uint8_t> out);

}  // namespace lqd::client
