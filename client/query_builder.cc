// SPDX-License-Identifier: Apache-2.0
// File: client/query_builder.cc
#include "client/query_builder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/text.h"
#include "dhcp/message_builder.h"
#include "dhcp/wire.h"

namespace lqd::client {

const char* QueryKindName(QueryKind k) {
  switch (k) {
    case QueryKind::kByIp: return "ip";
    case QueryKind::kByMac: return "mac";
    case QueryKind::kByClientId: return "client-id";
  }
  return "?";
}

QueryKey QueryKey::ByIp(uint32_t ip) {
  QueryKey k;
  k.kind = QueryKind::kByIp;
  k.ip = ip;
  return k;
}

QueryKey QueryKey::ByMac(std::span<const uint8_t> mac, uint8_t htype) {
  QueryKey k;
  k.kind = QueryKind::kByMac;
  k.htype = htype;
  k.hlen = static_cast<uint8_t>(std::min<size_t>(mac.size(), 16));
  std::copy_n(mac.begin(), k.hlen, k.chaddr.begin());
  // Remember an oversized input so ValidateKey() can refuse it.
  if (mac.size() > 16) k.hlen = 17;
  return k;
}

QueryKey QueryKey::ByClientId(std::span<const uint8_t> id) {
  QueryKey k;
  k.kind = QueryKind::kByClientId;
  k.client_id.assign(id.begin(), id.end());
  return k;
}

std::string QueryKey::ToString() const {
  switch (kind) {
    case QueryKind::kByIp: return absl::StrCat("ip ", FormatIpv4(ip));
    case QueryKind::kByMac:
      return absl::StrCat("mac ", HexColon({chaddr.data(), std::min<size_t>(hlen, 16)}));
    case QueryKind::kByClientId: return absl::StrCat("client-id ", HexColon(client_id));
  }
  return "?";
}

std::string QueryKey::CacheKey() const {
  std::string s(1, static_cast<char>(kind));
  switch (kind) {
    case QueryKind::kByIp:
      s.append(reinterpret_cast<const char*>(&ip), sizeof ip);
      break;
    case QueryKind::kByMac:
      s.push_back(static_cast<char>(htype));
      s.append(reinterpret_cast<const char*>(chaddr.data()), std::min<size_t>(hlen, 16));
      break;
    case QueryKind::kByClientId:
      s.append(client_id.begin(), client_id.end());
      break;
  }
  return s;
}

absl::Status ValidateKey(const QueryKey& key) {
  switch (key.kind) {
    case QueryKind::kByIp:
      if (key.ip == 0) return absl::InvalidArgumentError("query by IP needs a non-zero address");
      return absl::OkStatus();
    case QueryKind::kByMac: {
      if (key.hlen == 0 || key.hlen > 16) {
        return absl::InvalidArgumentError("hardware address must be 1..16 bytes");
      }
      if (key.htype == 0) return absl::InvalidArgumentError("query by MAC needs a non-zero htype");
      const bool all_zero = std::all_of(key.chaddr.begin(), key.chaddr.begin() + key.hlen,
                                        [](uint8_t b) { return b == 0; });
      if (all_zero) {
        return absl::InvalidArgumentError(
            "an all-zero hardware address means 'no MAC' (RFC 4388 6.2)");
      }
      return absl::OkStatus();
    }
    case QueryKind::kByClientId:
      if (key.client_id.empty() || key.client_id.size() > 255) {
        return absl::InvalidArgumentError("client-id must be 1..255 bytes");
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown query kind");
}

std::vector<uint8_t> DefaultPrl() {
  namespace opt = dhcp::opt;
  return {opt::kLeaseTime,    opt::kServerId,    opt::kRenewalTime,
          opt::kRebindingTime, opt::kVendorClass, opt::kClientId,
          opt::kRelayAgentInfo, opt::kClientLastTransactionTime, opt::kAssociatedIp};
}

absl::StatusOr<size_t> BuildQuery(const QueryKey& key, const QueryOptions& options, uint32_t xid,
                                  uint16_t secs, std::span<uint8_t> out) {
  if (absl::Status s = ValidateKey(key); !s.ok()) return s;
  if (options.giaddr == 0) {
    return absl::InvalidArgumentError(
        "giaddr must be the requester's own address (RFC 4388 6.2); 0 gets no reply");
  }
  if (options.relay_agent_info.size() == 1) {
    return absl::InvalidArgumentError("option 82 payload must be at least 2 bytes");
  }
  dhcp::BootpHeader h;
  h.op = dhcp::kOpBootRequest;
  h.xid = xid;
  h.secs = secs;
  h.giaddr = options.giaddr;
  switch (key.kind) {
    case QueryKind::kByIp:
      h.ciaddr = key.ip;
      break;
    case QueryKind::kByMac:
      h.htype = key.htype;
      h.hlen = key.hlen;
      std::copy_n(key.chaddr.begin(), key.hlen, h.chaddr);
      break;
    case QueryKind::kByClientId:
      break;
  }
  dhcp::MessageBuilder b(out);
  b.SetHeader(h);
  b.AddMessageType(dhcp::MessageType::kLeaseQuery);
  if (key.kind == QueryKind::kByClientId) b.AddOption(dhcp::opt::kClientId, key.client_id);
  if (!options.prl.empty()) b.AddOption(dhcp::opt::kParamRequestList, options.prl);
  if (!options.relay_agent_info.empty()) {
    b.AddOption(dhcp::opt::kRelayAgentInfo, options.relay_agent_info);
  }
  const size_t n = b.Finish();
  if (n == 0) return absl::InvalidArgumentError("query does not fit the buffer");
  return n;
}

}  // namespace lqd::client
