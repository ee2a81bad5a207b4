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
#include "control/kea_user_context.h"

namespace lqd::control {
namespace {

using nlohmann::json;

std::string Path(std::string_view base, const char* key) {
  return absl::StrCat(std::string(base), ".", key);
}

// "02:00:5e:00:00:01" -> bytes (also used for client-id).
int HexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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

absl::StatusOr<uint32_t> U32Field(const json& j, std::string_view base, const char* key) {
  if (!j.contains(key)) return absl::InvalidArgumentError(absl::StrCat(Path(base, key), ": missing"));
  const json& v = j[key];
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    return absl::InvalidArgumentError(absl::StrCat(Path(base, key), ": must be a non-negative integer"));
  uint64_t x = v.get<uint64_t>();
  if (x > 0xffffffffull)
    return absl::InvalidArgumentError(absl::StrCat(Path(base, key), ": ", x, " does not fit 32 bits"));
  return static_cast<uint32_t>(x);
}

// ---- Fast path for the ingest's hot loop -------------------------------
//
// A Kea HA push is always the same small shape. nlohmann's DOM parse of one
// (~500 bytes) costs ~13 us, most of the handler's time; this scanner reads
// the few fields a lease needs straight from the text. It only accepts what
// it is sure of: strict JSON, strings without escapes or non-ASCII bytes,
// integers as plain digits, no duplicate key among the fields it reads, and
// every field valid. Anything else (any error included) returns nullopt and
// the DOM path decides, with its error messages: both paths give the same
// result for every body (tests/control/kea_ha_command_test.cc checks).
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void Ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
  }
  bool Peek(char c) {
    Ws();
    return p_ < s_.size() && s_[p_] == c;
  }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    Ws();
    return p_ == s_.size();
  }
  bool Str(std::string_view* out) {
    if (!Eat('"')) return false;
    const size_t start = p_;
    // Eight bytes at a time while none is a quote, a backslash, a control
    // character or non-ASCII (SWAR); the loop below takes the rest.
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    auto has_zero = [&](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
    while (p_ + 8 <= s_.size()) {
      uint64_t w;
      std::memcpy(&w, s_.data() + p_, 8);
      const uint64_t special = has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) |
                               ((w - kOnes * 0x20) & ~w & kHigh) | (w & kHigh);
      if (special != 0) break;
      p_ += 8;
    }
    for (; p_ < s_.size(); ++p_) {
      const auto c = static_cast<unsigned char>(s_[p_]);
      if (c == '"') {
        *out = s_.substr(start, p_ - start);
        ++p_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    }
    return false;
  }
  // A non-negative integer that fits 32 bits, written as plain digits.
  bool U32(uint32_t* out) {
    Ws();
    const size_t start = p_;
    uint64_t v = 0;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9' && p_ - start < 11) v = v * 10 + (s_[p_++] - '0');
    const size_t digits = p_ - start;
    if (digits == 0 || digits > 10 || (digits > 1 && s_[start] == '0') || v > 0xffffffffull) return false;
    if (p_ < s_.size() && (s_[p_] == '.' || s_[p_] == 'e' || s_[p_] == 'E')) return false;
    *out = static_cast<uint32_t>(v);
    return true;
  }
  // Calls on_member(key) for each member; it must consume the value.
  template <typename F>
  bool Object(F&& on_member, int depth = 0) {
    if (depth > 32 || !Eat('{')) return false;
    if (Eat('}')) return true;
    for (;;) {
      std::string_view key;
      if (!Str(&key) || !Eat(':') || !on_member(key)) return false;
      if (Eat(',')) continue;
      return Eat('}');
    }
  }
  // Any JSON value, validated and ignored.
  bool Skip(int depth = 0) {
    Ws();
    if (p_ >= s_.size() || depth > 32) return false;
    std::string_view unused;
    switch (s_[p_]) {
      case '"':
        return Str(&unused);
      case '{':
        return Object([&](std::string_view) { return Skip(depth + 1); }, depth + 1);
      case '[':
        ++p_;
        if (Eat(']')) return true;
        for (;;) {
          if (!Skip(depth + 1)) return false;
          if (Eat(',')) continue;
          return Eat(']');
        }
      case 't': return Word("true");
      case 'f': return Word("false");
      case 'n': return Word("null");
      default: return Number();
    }
  }

 private:
  bool Word(std::string_view w) {
    if (s_.substr(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }
  bool Digits() {
    const size_t start = p_;
    while (p_ < s_.size() && s_[p_] >= '0' && s_[p_] <= '9') ++p_;
    return p_ > start;
  }
  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number() {
    if (p_ < s_.size() && s_[p_] == '-') ++p_;
    const size_t start = p_;
    if (!Digits() || (p_ - start > 1 && s_[start] == '0')) return false;
    if (p_ < s_.size() && s_[p_] == '.' && (++p_, !Digits())) return false;
    if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
      if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) ++p_;
      if (!Digits()) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t p_ = 0;
};

struct FastFields {
  std::optional<std::string_view> ip, hw, cid, rai_hex;
  std::optional<uint32_t> valid, expire, cltt, state, subnet;
  bool user_context = false;
};

template <typename T, typename F>
bool Once(std::optional<T>& slot, const F& read) {
  if (slot) return false;  // a duplicate: let the DOM path decide
  T v{};
  if (!read(&v)) return false;
  slot = v;
  return true;
}

bool FastUserContext(Scanner& sc, FastFields& f) {
  bool isc = false, rai = false;
  return sc.Object([&](std::string_view k) {
    if (k != "ISC") return sc.Skip(1);
    if (isc) return false;
    isc = true;
    if (!sc.Peek('{')) return sc.Skip(1);  // not a map: no option 82 (as the DOM path)
    return sc.Object(
        [&](std::string_view k2) {
          if (k2 != "relay-agent-info") return sc.Skip(2);
          if (rai) return false;
          rai = true;
          std::string_view hex;
          if (sc.Peek('"')) {
            if (!sc.Str(&hex)) return false;
            f.rai_hex = hex;
            return true;
          }
          bool sub = false;
          const bool ok = sc.Object(
              [&](std::string_view k3) {
                if (k3 != "sub-options") return sc.Skip(3);
                if (sub || !sc.Str(&hex)) return false;
                sub = true;
                f.rai_hex = hex;
                return true;
              },
              2);
          return ok && sub;
        },
        1);
  });
}

bool FastArguments(Scanner& sc, FastFields& f) {
  const auto str = [&](std::string_view* v) { return sc.Str(v); };
  const auto u32 = [&](uint32_t* v) { return sc.U32(v); };
  return sc.Object([&](std::string_view k) {
    if (k == "ip-address") return Once(f.ip, str);
    if (k == "hw-address") return Once(f.hw, str);
    if (k == "client-id") return Once(f.cid, str);
    if (k == "valid-lft") return Once(f.valid, u32);
    if (k == "expire") return Once(f.expire, u32);
    if (k == "cltt") return Once(f.cltt, u32);
    if (k == "state") return Once(f.state, u32);
    if (k == "subnet-id") return Once(f.subnet, u32);
    if (k == "user-context") {
      if (f.user_context) return false;
      f.user_context = true;
      return sc.Peek('{') ? FastUserContext(sc, f) : sc.Skip(1);
    }
    return sc.Skip(1);
  });
}

std::optional<KeaCommand> FastParseKeaCommand(std::string_view body) {
  Scanner sc(body);
  std::optional<std::string_view> command;
  FastFields f;
  bool args = false;
  const bool ok = sc.Object([&](std::string_view k) {
    if (k == "command") return Once(command, [&](std::string_view* v) { return sc.Str(v); });
    if (k == "arguments") {
      if (args) return false;
      args = true;
      return FastArguments(sc, f);
    }
    return sc.Skip(0);
  });
  if (!ok || !sc.AtEnd() || !args || !command || (*command != "lease4-update" && *command != "lease4-del"))
    return std::nullopt;
  // LeaseFromKeaJson's rules, on the happy path only.
  if (!f.ip || !f.valid || (!f.expire && !f.cltt) || (f.state && *f.state > 3)) return std::nullopt;
  Lease l;
  in_addr a{};
  char ip[16] = {};  // no valid IPv4 text is longer than 15
  if (f.ip->size() >= sizeof(ip)) return std::nullopt;
  std::copy(f.ip->begin(), f.ip->end(), ip);
  if (inet_pton(AF_INET, ip, &a) != 1) return std::nullopt;
  l.ip = ntohl(a.s_addr);
  if (f.hw) {
    auto hw = ColonHex(std::string(*f.hw), "", 16);
    if (!hw.ok()) return std::nullopt;
    if (!hw->empty()) {
      l.hw.htype = 1;
      l.hw.hlen = static_cast<uint8_t>(hw->size());
      std::copy(hw->begin(), hw->end(), l.hw.bytes);
    }
  }
  if (f.cid) {
    auto cid = ColonHex(std::string(*f.cid), "", 255);
    if (!cid.ok()) return std::nullopt;
    l.client_id = *std::move(cid);
  }
  const uint32_t valid = *f.valid;
  if (f.expire) {
    l.expire = *f.expire;
    l.cltt = *f.expire >= valid ? *f.expire - valid : 0;
  } else {
    l.cltt = *f.cltt;
    const uint64_t e = uint64_t{*f.cltt} + valid;
    l.expire = e >= kInfiniteTime ? kInfiniteTime : static_cast<uint32_t>(e);
  }
  if (valid == kInfiniteTime) l.expire = kInfiniteTime;
  static constexpr LeaseState kStates[] = {LeaseState::kActive, LeaseState::kDeclined, LeaseState::kExpired,
                                           LeaseState::kReleased};
  l.state = kStates[f.state.value_or(0)];
  if (f.subnet) l.subnet_id = *f.subnet;
  if (f.rai_hex) {
    auto rai = RelayAgentInfoFromHex(*f.rai_hex);
    if (!rai.ok()) return std::nullopt;
    l.relay_agent_info = *std::move(rai);
  }
  KeaCommand cmd;
  cmd.name = std::string(*command);
  cmd.is_lease_change = true;
  cmd.update.kind = cmd.name == "lease4-del" ? LeaseUpdate::Kind::kDelete : LeaseUpdate::Kind::kUpsert;
  cmd.update.lease = std::move(l);
  cmd.update.source = FeedSource::kKeaHaPush;
  return cmd;
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
  if (j.contains("expire")) {
    auto e = U32Field(j, base, "expire");
    if (!e.ok()) return e.status();
    l.expire = *e;
    l.cltt = *e >= *valid ? *e - *valid : 0;
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
  if (std::optional<KeaCommand> fast = FastParseKeaCommand(body)) return *std::move(fast);
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
