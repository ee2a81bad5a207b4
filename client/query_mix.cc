// SPDX-License-Identifier: Apache-2.0
// File: client/query_mix.cc
#include "client/query_mix.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace lqd::client {

QueryKind QueryMix::Pick(Random& rng) const {
  const double x = rng.Uniform(0, ip + mac + cid);
  if (x < ip || mac + cid == 0) return QueryKind::kByIp;
  if (x < ip + mac) return QueryKind::kByMac;
  return QueryKind::kByClientId;
}

QueryKey QueryMix::KeyFor(const Subscriber& s, Random& rng) const {
  switch (Pick(rng)) {
    case QueryKind::kByMac:
      if (!s.mac.empty()) return QueryKey::ByMac(s.mac);
      break;
    case QueryKind::kByClientId:
      if (!s.client_id.empty()) return QueryKey::ByClientId(s.client_id);
      break;
    case QueryKind::kByIp:
      break;
  }
  return QueryKey::ByIp(s.ip);
}

absl::StatusOr<QueryMix> ParseQueryMix(std::string_view s) {
  QueryMix m{0, 0, 0};
  for (absl::string_view part : absl::StrSplit(absl::string_view(s.data(), s.size()), ',')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, '=');
    double w = 0;
    if (!absl::SimpleAtod(kv.second, &w) || w < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", part, "': expected REGIME=WEIGHT, e.g. ip=80,mac=10,cid=10"));
    }
    if (kv.first == "ip") {
      m.ip = w;
    } else if (kv.first == "mac") {
      m.mac = w;
    } else if (kv.first == "cid" || kv.first == "client-id") {
      m.cid = w;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("'", kv.first, "' is not a regime (expected ip, mac or cid)"));
    }
  }
  if (m.ip + m.mac + m.cid <= 0) return absl::InvalidArgumentError("all weights are zero");
  return m;
}

}  // namespace lqd::client
