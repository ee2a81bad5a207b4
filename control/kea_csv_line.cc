// SPDX-License-Identifier: Apache-2.0
// File: control/kea_csv_line.cc
#include "control/kea_csv_line.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "control/kea_times.h"
#include "control/kea_user_context.h"
#include "dhcp/text.h"
#include "dhcp/relay_agent_info.h"

namespace lqd::control {
namespace {

// Kea's CSVRow::escapeCharacters writes "&#x" + two hex digits for ',' and
// '&' (and any other escaped byte); undo exactly that.
std::string Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&' && i + 5 <= s.size() && s.substr(i, 3) == "&#x") {
      int v = 0;
      if (absl::SimpleHexAtoi(s.substr(i + 3, 2), &v)) {
        out.push_back(static_cast<char>(v));
        i += 4;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

using dhcp::HexNibble;

// "02:00:5e:10:00:01" -> at most `cap` bytes. Empty is allowed (declined
// leases). Each part is one or two hex digits.
bool ParseColonHex(absl::string_view s, uint8_t* out, size_t cap, size_t* n) {
  *n = 0;
  if (s.empty()) return true;
  const char* p = s.data();
  const char* const end = p + s.size();
  for (;;) {
    const int hi = p < end ? HexNibble(*p) : -1;
    if (hi < 0 || *n == cap) return false;
    ++p;
    int v = hi;
    if (p < end && *p != ':') {
      const int lo = HexNibble(*p);
      if (lo < 0) return false;
      v = hi * 16 + lo;
      ++p;
    }
    out[(*n)++] = static_cast<uint8_t>(v);
    if (p == end) return true;
    if (*p != ':') return false;
    ++p;
  }
}


// The hex of Kea 2.2's usual user context, written exactly as Kea writes it:
// { "ISC": { "relay-agent-info": "0x0104..." } }. Empty for anything else,
// which then goes through the JSON parser (same result, ~20x the cost).
absl::string_view Kea22RaiHex(absl::string_view uc) {
  constexpr absl::string_view kHead = "{ \"ISC\": { \"relay-agent-info\": \"";
  constexpr absl::string_view kTail = "\" } }";
  if (uc.size() <= kHead.size() + kTail.size() || uc.substr(0, kHead.size()) != kHead ||
      uc.substr(uc.size() - kTail.size()) != kTail)
    return {};
  // Not checked here: RaiFromHexInto refuses anything but hex digits (an
  // escape too), and the line then takes the JSON path.
  return uc.substr(kHead.size(), uc.size() - kHead.size() - kTail.size());
}

bool ParseUpTo(absl::string_view s, uint64_t max, uint64_t* v) {
  if (!s.empty() && s.size() <= 11) {  // up to 11 plain digits: no strtoull
    uint64_t x = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) x = x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (i == s.size()) {
      if (x > max) return false;
      *v = x;
      return true;
    }
  }
  uint64_t x = 0;
  if (!absl::SimpleAtoi(s, &x) || x > max) return false;
  *v = x;
  return true;
}

bool ParseU32(absl::string_view s, uint32_t* v) {
  uint64_t x = 0;
  if (!ParseUpTo(s, 0xffffffffull, &x)) return false;
  *v = static_cast<uint32_t>(x);
  return true;
}

// Kea lease states (src/lib/dhcpsrv/lease.h): 0 default (assigned),
// 1 declined, 2 expired-reclaimed, 3 released (2.3+).
bool MapState(uint32_t kea, LeaseState* s) {
  switch (kea) {
    case 0: *s = LeaseState::kActive; return true;
    case 1: *s = LeaseState::kDeclined; return true;
    case 2: *s = LeaseState::kExpired; return true;
    case 3: *s = LeaseState::kReleased; return true;
  }
  return false;
}

absl::string_view Field(const std::vector<absl::string_view>& f, int i) {
  return i < 0 || static_cast<size_t>(i) >= f.size() ? absl::string_view() : f[static_cast<size_t>(i)];
}

// Splits at every comma into `f` (scratch, reused: no allocation per line).
void SplitFields(absl::string_view line, std::vector<absl::string_view>& f) {
  f.clear();
  const char* p = line.data();
  const char* const end = p + line.size();
  for (;;) {
    const char* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<size_t>(end - p)));
    if (comma == nullptr) {
      f.emplace_back(p, static_cast<size_t>(end - p));
      return;
    }
    f.emplace_back(p, static_cast<size_t>(comma - p));
    p = comma + 1;
  }
}

// The hex of option 82 (no "0x") straight into out[0, 255): true if every
// pair is a hex byte, it fits, and the sub-options parse (RFC 3046).
bool RaiFromHexInto(absl::string_view hex, uint8_t* out, size_t* n) {
  if (hex.size() % 2 != 0 || hex.size() / 2 > 255) return false;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexNibble(hex[i]), lo = HexNibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i / 2] = static_cast<uint8_t>(hi * 16 + lo);
  }
  *n = hex.size() / 2;
  return dhcp::RelayAgentInfo::Parse({out, *n}).has_value();
}

}  // namespace

void ParseKeaCsvLine(absl::string_view line, size_t lineno, const KeaCsvColumns& c,
                     std::vector<absl::string_view>& f, KeaCsvLeaseSet::Arena& arena,
                     std::vector<LineError>& errors) {
  SplitFields(line, f);
  auto fail = [&](std::string why) { errors.push_back({lineno, std::move(why)}); };
  if (f.size() < c.min_fields) {
    return fail(absl::StrCat("has ", f.size(), " fields, header has ", c.header_fields, " (truncated line?)"));
  }
  char* const rec = arena.Room();
  uint8_t* const cid = reinterpret_cast<uint8_t*>(rec + sizeof(PackedHead));
  PackedHead h{};
  h.line = static_cast<uint32_t>(lineno);
  if (const absl::string_view a = Field(f, c.address); !dhcp::ParseDottedQuad({a.data(), a.size()}, &h.ip)) {
    return fail(absl::StrCat("address '", a, "' is not an IPv4 address"));
  }
  size_t n = 0;
  if (!ParseColonHex(Field(f, c.hwaddr), h.hw, sizeof(h.hw), &n)) {
    return fail(absl::StrCat("hwaddr '", Field(f, c.hwaddr), "' is not colon-separated hex of at most 16 bytes"));
  }
  h.hlen = static_cast<uint8_t>(n);
  if (!ParseColonHex(Field(f, c.client_id), cid, 255, &n)) {
    return fail(absl::StrCat("client_id '", Field(f, c.client_id), "' is not colon-separated hex (max 255 bytes)"));
  }
  h.cid_len = static_cast<uint8_t>(n);
  uint32_t valid = 0, kea_state = 0;
  uint64_t expire = 0;  // cltt + valid in 64 bits (control/kea_times.h)
  if (!ParseU32(Field(f, c.valid), &valid) || !ParseUpTo(Field(f, c.expire), kMaxKeaExpire, &expire)) {
    return fail("valid_lifetime and expire must be unsigned integers (seconds)");
  }
  if (!KeaTimesFromExpire(expire, valid, &h.cltt, &h.expire)) {
    return fail(absl::StrCat("expire ", expire, " minus valid_lifetime ", valid, " does not fit 32 bits"));
  }
  LeaseState state;
  if (!ParseU32(Field(f, c.state), &kea_state) || !MapState(kea_state, &state)) {
    return fail(absl::StrCat("state '", Field(f, c.state), "' is not a Kea lease state (0..3)"));
  }
  h.state = static_cast<uint8_t>(state);
  if (c.subnet >= 0 && !Field(f, c.subnet).empty() && !ParseU32(Field(f, c.subnet), &h.subnet_id)) {
    return fail(absl::StrCat("subnet_id '", Field(f, c.subnet), "' is not an unsigned integer"));
  }
  h.is_delete = valid == 0;
  // user_context is the last Kea 2.2 column but may itself contain escaped
  // commas only, so the split above kept it in one field.
  if (absl::string_view uc = Field(f, c.user_context); !uc.empty()) {
    uint8_t* const rai = cid + h.cid_len;
    absl::string_view hex = Kea22RaiHex(uc);
    if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
    if (hex.empty() || !RaiFromHexInto(hex, rai, &n)) {
      // Kea 2.4's map, anything unusual, and every error: the JSON path.
      absl::StatusOr<std::string> r = RelayAgentInfoFromUserContext(Unescape(uc));
      if (!r.ok()) return fail(absl::StrCat("user_context: ", r.status().message()));
      if (r->size() > 255) return fail("user_context: option 82 is longer than 255 bytes");
      n = r->size();
      std::memcpy(rai, r->data(), n);
    }
    h.rai_len = static_cast<uint8_t>(n);
  }
  std::memcpy(rec, &h, sizeof(h));
  arena.Commit(sizeof(h) + h.cid_len + h.rai_len);
}

LeaseRef RefOf(const char* rec) {
  const PackedHead h = HeadAt(rec);
  LeaseRef r;
  r.ip = h.ip;
  if (h.hlen != 0) {
    r.hw.htype = 1;  // Kea's memfile does not store htype; Ethernet is what it hands out
    r.hw.hlen = h.hlen;
    std::memcpy(r.hw.bytes, h.hw, h.hlen);
  }
  r.state = static_cast<LeaseState>(h.state);
  r.cltt = h.cltt;
  r.expire = h.expire;
  r.subnet_id = h.subnet_id;
  r.client_id = std::string_view(rec + sizeof(h), h.cid_len);
  r.relay_agent_info = std::string_view(rec + sizeof(h) + h.cid_len, h.rai_len);
  return r;
}

char* KeaCsvLeaseSet::Arena::Room() {
  if (size + kMaxPacked > cap) {
    const size_t bigger = std::max(2 * cap, size + kMaxPacked);
    std::unique_ptr<char[]> b(new char[bigger]);
    if (size != 0) std::memcpy(b.get(), bytes.get(), size);
    bytes = std::move(b);
    cap = bigger;
  }
  return bytes.get() + size;
}

}  // namespace lqd::control
