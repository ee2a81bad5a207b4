// SPDX-License-Identifier: Apache-2.0
// File: client/subscribers.cc
#include "client/subscribers.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace lqd::client {
namespace {

std::string_view S(absl::string_view v) { return std::string_view(v.data(), v.size()); }

}  // namespace

absl::StatusOr<std::vector<Subscriber>> ReadKeaLeases(const std::string& path, int64_t now) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open lease file ", path));
  std::string line;
  if (!std::getline(in, line)) return absl::InvalidArgumentError(absl::StrCat(path, ": empty"));
  int c_addr = -1, c_hw = -1, c_cid = -1, c_expire = -1, c_state = -1;
  {
    int i = 0;
    for (absl::string_view col : absl::StrSplit(line, ',')) {
      if (col == "address") c_addr = i;
      if (col == "hwaddr") c_hw = i;
      if (col == "client_id") c_cid = i;
      if (col == "expire") c_expire = i;
      if (col == "state") c_state = i;
      ++i;
    }
  }
  if (c_addr < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": header has no 'address' column (expected a Kea lease4 CSV)"));
  }
  const int max_col = std::max({c_addr, c_hw, c_cid, c_expire, c_state});
  std::vector<Subscriber> out;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    // user_context (last) may hold commas; the columns read come before it.
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::MaxSplits(',', max_col + 1));
    if (static_cast<int>(f.size()) <= std::max(c_addr, 0)) continue;
    auto ip = ParseIpv4(S(f[c_addr]));
    if (!ip.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", lineno, ": ", ip.status().message()));
    }
    Subscriber s;
    s.ip = *ip;
    if (c_hw >= 0 && c_hw < static_cast<int>(f.size()) && !f[c_hw].empty()) {
      if (auto m = ParseMac(S(f[c_hw])); m.ok()) s.mac = *m;
    }
    if (c_cid >= 0 && c_cid < static_cast<int>(f.size()) && !f[c_cid].empty()) {
      if (auto c = ParseMac(S(f[c_cid])); c.ok()) s.client_id = *c;  // same hex form
    }
    int64_t expire = INT64_MAX;
    int state = 0;
    if (c_expire >= 0 && c_expire < static_cast<int>(f.size())) {
      (void)absl::SimpleAtoi(f[c_expire], &expire);
    }
    if (c_state >= 0 && c_state < static_cast<int>(f.size())) {
      (void)absl::SimpleAtoi(f[c_state], &state);
    }
    s.active = state == 0 && expire > now;
    out.push_back(std::move(s));
  }
  return out;
}

bool PopulationActive(uint64_t index, double active_fraction) {
  // splitmix64 of the index, compared with the fraction of 2^64.
  uint64_t z = index + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) < active_fraction * static_cast<double>(uint64_t{1} << 53);
}

std::vector<Subscriber> GeneratePopulation(const Prefix& prefix, double active_fraction,
                                           size_t limit) {
  std::vector<Subscriber> out;
  const uint64_t size = prefix.Size();
  // /31 and /32 have no network/broadcast address to skip.
  const uint64_t first = size > 2 ? 1 : 0;
  const uint64_t hosts = size > 2 ? size - 2 : size;
  for (uint64_t i = 0; i < hosts && out.size() < limit; ++i) {
    Subscriber s;
    s.ip = static_cast<uint32_t>(prefix.network + first + i);
    s.mac = {0x02, 0x00, static_cast<uint8_t>(s.ip >> 24), static_cast<uint8_t>(s.ip >> 16),
             static_cast<uint8_t>(s.ip >> 8), static_cast<uint8_t>(s.ip)};
    s.client_id.push_back(0x01);
    s.client_id.insert(s.client_id.end(), s.mac.begin(), s.mac.end());
    s.active = PopulationActive(i, active_fraction);
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status WriteKeaCsv(const std::string& path, const std::vector<Subscriber>& subs, int64_t now,
                         uint32_t valid_lifetime) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path));
  std::fputs("address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,"
             "hostname,state,user_context\n", f);
  for (const Subscriber& s : subs) {
    if (!s.active) continue;
    std::fprintf(f, "%s,%s,%s,%u,%lld,1,0,0,,0,\n", FormatIpv4(s.ip).c_str(),
                 HexColon(s.mac).c_str(), HexColon(s.client_id).c_str(), valid_lifetime,
                 static_cast<long long>(now + valid_lifetime));
  }
  if (std::fclose(f) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace lqd::client
