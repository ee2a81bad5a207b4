// SPDX-License-Identifier: Apache-2.0
// File: control/kea_ha_command.cc
#include "control/kea_ha_command.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "control/kea_ha_command_fast.h"
#include "control/kea_times.h"
#include "control/kea_user_context.h"
#include "dhcp/text.h"

namespace lqd::control {
namespace {

using nlohmann::json;

std::string Path(std::string_view base, const char* key) {
  return absl::StrCat(std::string(base), ".", key);
}

// "02:00:5e:00:00:01" -> bytes (also used for client-id).
using dhcp::HexNibble;

// The common shape "xx:xx:...:xx" (two hex digits per byte) straight into
// `out`; false for anything else, which ColonHex then judges.
bool PlainColonHex(std::string_view s, size_t max, std::string* out) {
  if (s.size() % 3 != 2 || (s.size() + 1) / 3 > max) return false;
  out->resize((s.size() + 1) / 3);
  for (size_t i = 0, k = 0; i < s.size(); i += 3, ++k) {
    const int hi = HexNibble(s[i]), lo = HexNibble(s[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < s.size() && s[i + 2] != ':')) return false;
    (*out)[k] = static_cast<char>(hi * 16 + lo);
  }
  return true;
}

absl::StatusOr<std::string> ColonHex(const std::string& s, const std::string& where, size_t max) {
  std::string out;
  if (s.empty()) return out;
  if (PlainColonHex(s, max, &out)) return out;
  out.clear();
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(':', i);
    if (j == std::string::npos) j = s.size();
    const std::string part = s.substr(i, j - i);
    char* end = nullptr;
    unsigned long v = std::strtoul(part.c_str(), &end, 16);
    if (part.empty() || part.size() > 2 || *end != '\0' || v > 255)
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": '", s, "' is not colon-separated hex bytes"));
    out.push_back(static_cast<char>(v));
    i = j + 1;
  }
  if (out.size() > max)
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", out.size(), " bytes, at most ", max));
  return out;
}

absl::StatusOr<uint64_t> U64Field(const json& j, std::string_view base, const char* key, uint64_t max,
                                   const char* too_big) {
  if (!j.contains(key)) return absl::InvalidArgumentError(absl::StrCat(Path(base, key), ": missing"));
  const json& v = j[key];
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    return absl::InvalidArgumentError(absl::StrCat(Path(base, key), ": must be a non-negative integer"));
  uint64_t x = v.get<uint64_t>();
  if (x > max) return absl::InvalidArgumentError(absl::StrCat(Path(base, key), ": ", x, too_big));
  return x;
}

absl::StatusOr<uint32_t> U32Field(const json& j, std::string_view base, const char* key) {
  auto x = U64Field(j, base, key, 0xffffffffull, " does not fit 32 bits");
  if (!x.ok()) return x.status();
  return static_cast<uint32_t>(*x);
}

}  // namespace

absl::StatusOr<Lease> LeaseFromKeaJson(const json& j, std::string_view base) {
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(std::string(base), ": must be an object"));
  Lease l;
  if (!j.contains("ip-address") || !j["ip-address"].is_string())
    return absl::InvalidArgumentError(absl::StrCat(Path(base, "ip-address"), ": missing or not a string"));
  const std::string ip = j["ip-address"].get<std::string>();
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1)
    return absl::InvalidArgumentError(absl::StrCat(Path(base, "ip-address"), ": '", ip, "' is not an IPv4 address"));
  l.ip = ntohl(a.s_addr);

  if (j.contains("hw-address")) {
    if (!j["hw-address"].is_string())
      return absl::InvalidArgumentError(absl::StrCat(Path(base, "hw-address"), ": not a string"));
    auto hw = ColonHex(j["hw-address"].get<std::string>(), Path(base, "hw-address"), 16);
    if (!hw.ok()) return hw.status();
    if (!hw->empty()) {
      l.hw.htype = 1;  // Kea's lease JSON has no htype; its hw-address is Ethernet
      l.hw.hlen = static_cast<uint8_t>(hw->size());
      std::copy(hw->begin(), hw->end(), l.hw.bytes);
    }
  }
  if (j.contains("client-id")) {
    if (!j["client-id"].is_string())
      return absl::InvalidArgumentError(absl::StrCat(Path(base, "client-id"), ": not a string"));
    auto cid = ColonHex(j["client-id"].get<std::string>(), Path(base, "client-id"), 255);
    if (!cid.ok()) return cid.status();
    l.client_id = *std::move(cid);
  }
  auto valid = U32Field(j, base, "valid-lft");
  if (!valid.ok()) return valid.status();
  // Push carries expire (= cltt + valid-lft); pull carries cltt.
  if (j.contains("expire")) {  // cltt + valid-lft in 64 bits (control/kea_times.h)
    auto e = U64Field(j, base, "expire", kMaxKeaExpire, " is more than a 32-bit cltt plus valid-lft");
    if (!e.ok()) return e.status();
    if (!KeaTimesFromExpire(*e, *valid, &l.cltt, &l.expire))
      return absl::InvalidArgumentError(absl::StrCat(Path(base, "expire"), ": ", *e, " minus valid-lft ", *valid,
                                                     " does not fit 32 bits"));
  } else if (j.contains("cltt")) {
    auto c = U32Field(j, base, "cltt");
    if (!c.ok()) return c.status();
    l.cltt = *c;
    const uint64_t e = uint64_t{*c} + *valid;
    l.expire = e >= kInfiniteTime ? kInfiniteTime : static_cast<uint32_t>(e);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(std::string(base), ": needs 'expire' or 'cltt'"));
  }
  if (*valid == kInfiniteTime) l.expire = kInfiniteTime;

  uint32_t state = 0;
  if (j.contains("state")) {
    auto s = U32Field(j, base, "state");
    if (!s.ok()) return s.status();
    state = *s;
  }
  switch (state) {
    case 0: l.state = LeaseState::kActive; break;
    case 1: l.state = LeaseState::kDeclined; break;
    case 2: l.state = LeaseState::kExpired; break;
    case 3: l.state = LeaseState::kReleased; break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(Path(base, "state"), ": ", state, " is not a DHCPv4 lease state (0-3)"));
  }
  if (j.contains("subnet-id")) {
    auto s = U32Field(j, base, "subnet-id");
    if (!s.ok()) return s.status();
    l.subnet_id = *s;
  }
  if (j.contains("user-context") && j["user-context"].is_object()) {
    auto rai = RelayAgentInfoFromParsedUserContext(j["user-context"]);
    if (!rai.ok())
      return absl::InvalidArgumentError(
          absl::StrCat(Path(base, "user-context"), ": ", rai.status().message()));
    l.relay_agent_info = *std::move(rai);
  }
  return l;
}

absl::StatusOr<KeaCommand> ParseKeaCommand(std::string_view body) {
  // The fast path fills the result in place (no KeaCommand move per update).
  absl::StatusOr<KeaCommand> out(absl::in_place);
  if (FastParseKeaCommand(body, &*out)) return out;
  return ParseKeaCommandDom(body);
}

absl::StatusOr<KeaCommand> ParseKeaCommandDom(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("body is not valid JSON");
  if (!j.is_object() || !j.contains("command") || !j["command"].is_string())
    return absl::InvalidArgumentError("body must be an object with a string 'command'");
  KeaCommand cmd;
  cmd.name = j["command"].get<std::string>();
  if (cmd.name != "lease4-update" && cmd.name != "lease4-del") return cmd;
  if (!j.contains("arguments"))
    return absl::InvalidArgumentError(absl::StrCat(cmd.name, ": missing 'arguments'"));
  auto lease = LeaseFromKeaJson(j["arguments"], "arguments");
  if (!lease.ok()) return lease.status();
  cmd.is_lease_change = true;
  cmd.update.kind = cmd.name == "lease4-del" ? LeaseUpdate::Kind::kDelete : LeaseUpdate::Kind::kUpsert;
  cmd.update.lease = *std::move(lease);
  cmd.update.source = FeedSource::kKeaHaPush;
  return cmd;
}

std::string KeaResponse(KeaResult result, std::string_view text) {
  // Plain text (every success message) needs no escaping: the same bytes
  // as nlohmann's dump below, without building a DOM per acknowledgement.
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain)
    return absl::StrCat("[{\"result\":", static_cast<int>(result), ",\"text\":\"", absl::string_view(text.data(), text.size()), "\"}]");
  json r = json::array({json{{"result", static_cast<int>(result)}, {"text", std::string(text)}}});
  return r.dump();
}

const char* FeedSourceName(FeedSource s) {
  switch (s) {
    case FeedSource::kKeaHaPush: return "kea-ha-push";
    case FeedSource::kKeaPull: return "kea-pull";
    case FeedSource::kKeaCsv: return "kea-csv";
    case FeedSource::kDhcpdLeases: return "dhcpd-leases";
    case FeedSource::kCount: break;
  }
  return "unknown";
}

}  // namespace lqd::control
