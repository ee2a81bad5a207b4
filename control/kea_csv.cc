// SPDX-License-Identifier: Apache-2.0
// File: control/kea_csv.cc
#include "control/kea_csv.h"

#include <arpa/inet.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/ascii.h"
#include "control/kea_user_context.h"

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

// "02:00:5e:10:00:01" -> bytes. Empty is allowed (declined leases).
bool ParseColonHex(absl::string_view s, std::string* out) {
  out->clear();
  if (s.empty()) return true;
  for (absl::string_view part : absl::StrSplit(s, ':')) {
    int v = 0;
    if (part.empty() || part.size() > 2 || !absl::SimpleHexAtoi(part, &v)) return false;
    out->push_back(static_cast<char>(v));
  }
  return true;
}

bool ParseU32(absl::string_view s, uint32_t* v) {
  uint64_t x = 0;
  if (!absl::SimpleAtoi(s, &x) || x > 0xffffffffull) return false;
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

}  // namespace

absl::StatusOr<KeaCsvResult> ParseKeaCsv(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  KeaCsvResult result;
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  size_t first = 0;
  while (first < lines.size() && absl::StripAsciiWhitespace(lines[first]).empty()) ++first;
  if (first == lines.size()) return absl::InvalidArgumentError("lease file is empty: no header line");

  std::map<std::string, size_t> col;
  std::vector<absl::string_view> header = absl::StrSplit(absl::StripTrailingAsciiWhitespace(lines[first]), ',');
  for (size_t i = 0; i < header.size(); ++i) col[std::string(header[i])] = i;
  for (const char* need : {"address", "hwaddr", "valid_lifetime", "expire", "state"}) {
    if (!col.count(need))
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", first + 1, ": header lacks column '", need,
          "'; expected a Kea memfile header like address,hwaddr,client_id,valid_lifetime,expire,..."));
  }
  auto get = [&](const std::vector<absl::string_view>& f, const char* name) -> absl::string_view {
    auto it = col.find(name);
    return it == col.end() || it->second >= f.size() ? absl::string_view() : f[it->second];
  };

  for (size_t n = first + 1; n < lines.size(); ++n) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(lines[n]);
    if (line.empty()) continue;
    const size_t lineno = n + 1;
    std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    auto bad = [&](std::string why) { result.errors.push_back({lineno, std::move(why)}); };
    if (f.size() < header.size() - (col.count("user_context") ? 1 : 0) - (col.count("pool_id") ? 1 : 0)) {
      bad(absl::StrCat("has ", f.size(), " fields, header has ", header.size(),
                       " (truncated line?)"));
      continue;
    }
    KeaCsvRecord rec;
    rec.line = lineno;
    Lease& l = rec.lease;
    in_addr a{};
    const std::string addr(get(f, "address"));
    if (inet_pton(AF_INET, addr.c_str(), &a) != 1) {
      bad(absl::StrCat("address '", addr, "' is not an IPv4 address"));
      continue;
    }
    l.ip = ntohl(a.s_addr);
    std::string hw;
    if (!ParseColonHex(get(f, "hwaddr"), &hw) || hw.size() > 16) {
      bad(absl::StrCat("hwaddr '", get(f, "hwaddr"), "' is not colon-separated hex of at most 16 bytes"));
      continue;
    }
    if (!hw.empty()) {
      l.hw.htype = 1;  // Kea's memfile does not store htype; Ethernet is what it hands out
      l.hw.hlen = static_cast<uint8_t>(hw.size());
      std::copy(hw.begin(), hw.end(), l.hw.bytes);
    }
    if (!ParseColonHex(get(f, "client_id"), &l.client_id) || l.client_id.size() > 255) {
      bad(absl::StrCat("client_id '", get(f, "client_id"), "' is not colon-separated hex (max 255 bytes)"));
      continue;
    }
    uint32_t valid = 0, state = 0, subnet = 0;
    if (!ParseU32(get(f, "valid_lifetime"), &valid) || !ParseU32(get(f, "expire"), &l.expire)) {
      bad("valid_lifetime and expire must be unsigned integers (seconds)");
      continue;
    }
    if (!ParseU32(get(f, "state"), &state) || !MapState(state, &l.state)) {
      bad(absl::StrCat("state '", get(f, "state"), "' is not a Kea lease state (0..3)"));
      continue;
    }
    if (col.count("subnet_id") && !get(f, "subnet_id").empty() &&
        !ParseU32(get(f, "subnet_id"), &subnet)) {
      bad(absl::StrCat("subnet_id '", get(f, "subnet_id"), "' is not an unsigned integer"));
      continue;
    }
    l.subnet_id = subnet;
    if (valid == 0xffffffffu) {
      l.cltt = 0;  // infinite lease: Kea writes expire = cltt + 0xffffffff clipped; keep it forever
      l.expire = kInfiniteTime;
    } else {
      l.cltt = l.expire >= valid ? l.expire - valid : 0;
    }
    rec.is_delete = valid == 0;
    // user_context is the last Kea 2.2 column but may itself contain escaped
    // commas only, so the split above kept it in one field.
    if (absl::string_view uc = get(f, "user_context"); !uc.empty()) {
      auto rai = RelayAgentInfoFromUserContext(Unescape(uc));
      if (!rai.ok()) {
        bad(absl::StrCat("user_context: ", rai.status().message()));
        continue;
      }
      l.relay_agent_info = std::move(*rai);
    }
    result.records.push_back(std::move(rec));
  }
  return result;
}

absl::StatusOr<KeaCsvResult> LoadKeaCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open lease file '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = ParseKeaCsv(ss.str());
  if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", r.status().message()));
  return r;
}

std::vector<Lease> FoldKeaCsv(const std::vector<KeaCsvRecord>& records) {
  std::map<uint32_t, const Lease*> by_ip;
  for (const auto& r : records) {
    if (r.is_delete)
      by_ip.erase(r.lease.ip);
    else
      by_ip[r.lease.ip] = &r.lease;
  }
  std::vector<Lease> out;
  out.reserve(by_ip.size());
  for (const auto& [ip, l] : by_ip) out.push_back(*l);
  return out;
}

}  // namespace lqd::control
