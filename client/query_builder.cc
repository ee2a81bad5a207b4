// SPDX-License-Identifier: Apache-2.0
// File: client/query_builder.cc
#include "client/query_builder.h"

#include "dhcp/auth_option.h"

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
  const size_t mac_at =
      options.auth ? dhcp::AddDelayedAuthOption(b, options.auth->counter, options.auth->key_id) : 0;
  const size_t n = b.Finish();
  if (n == 0) return absl::InvalidArgumentError("query does not fit the buffer");
  if (options.auth) dhcp::SignMessage(options.auth->key, out.first(n), mac_at);
  return n;
}

absl::StatusOr<AuthKeySpec> ParseAuthKey(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return absl::InvalidArgumentError("expected ID:SECRET or ID:hex:HEXDIGITS (ID a number)");
  AuthKeySpec k;
  uint64_t id = 0;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9' || id > 0xffffffffull / 10)
      return absl::InvalidArgumentError("the key ID before ':' must be a number 0..4294967295");
    id = id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (id > 0xffffffffull) return absl::InvalidArgumentError("the key ID must be 0..4294967295");
  k.id = static_cast<uint32_t>(id);
  std::string_view secret = text.substr(colon + 1);
  if (secret.substr(0, 4) == "hex:") {
    secret.remove_prefix(4);
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (secret.empty() || secret.size() % 2 != 0)
      return absl::InvalidArgumentError("hex secret needs an even, non-zero number of digits");
    for (size_t i = 0; i < secret.size(); i += 2) {
      const int hi = nib(secret[i]), lo = nib(secret[i + 1]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("hex secret has a non-hex digit");
      k.secret.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
  } else {
    if (secret.empty()) return absl::InvalidArgumentError("the secret after ':' is empty");
    k.secret.assign(secret.begin(), secret.end());
  }
  return k;
}

}  // namespace lqd::client
