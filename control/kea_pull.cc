// SPDX-License-Identifier: Apache-2.0
// File: control/kea_pull.cc
#include "control/kea_pull.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/kea_ha_command.h"
#include "control/log.h"

namespace lqd::control {

absl::StatusOr<KeaLeasePage> FetchLeasePage(const KeaPullOptions& opts, const std::string& from) {
  nlohmann::json cmd = {{"command", "lease4-get-page"},
                        {"service", {"dhcp4"}},
                        {"arguments", {{"from", from}, {"limit", opts.page_size}}}};
  auto reply = HttpPost(opts.agent, "/", "application/json", cmd.dump());
  if (!reply.ok()) return reply.status();
  if (reply->status == 401)
    return absl::PermissionDeniedError("kea-ctrl-agent refused the credentials (HTTP 401): check pull user/password");
  if (reply->status != 200)
    return absl::UnavailableError(absl::StrCat("kea-ctrl-agent answered HTTP ", reply->status));
  log::Debug("kea-pull", "page", {{"from", from}});
  return ParseLeasePage(reply->body, opts.page_size);
}

absl::StatusOr<KeaLeasePage> ParseLeasePage(const std::string& body, uint32_t page_size) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty() || !j[0].is_object() || !j[0].contains("result") ||
      !j[0]["result"].is_number_integer())
    return absl::DataLossError("lease4-get-page answer is not a JSON list holding a map with an integer result");
  const nlohmann::json& r = j[0];
  const int result = r["result"].get<int>();
  KeaLeasePage page;
  if (result == 3) {  // empty page: done
    page.last = true;
    return page;
  }
  if (result != 0)
    return absl::UnavailableError(absl::StrCat("lease4-get-page failed (result ", result, "): ",
                                               r.value("text", std::string("no text")),
                                               result == 2 ? " -- is libdhcp_lease_cmds.so loaded?" : ""));
  if (!r.contains("arguments") || !r["arguments"].is_object() || !r["arguments"].contains("leases") ||
      !r["arguments"]["leases"].is_array())
    return absl::DataLossError("lease4-get-page: arguments.leases is missing or not a list");
  const nlohmann::json& leases = r["arguments"]["leases"];
  for (size_t i = 0; i < leases.size(); ++i) {
    auto lease = LeaseFromKeaJson(leases[i], absl::StrCat("arguments.leases[", i, "]"));
    std::string ip;
    if (leases[i].is_object() && leases[i].contains("ip-address") && leases[i]["ip-address"].is_string())
      page.next_from = ip = leases[i]["ip-address"].get<std::string>();
    if (!lease.ok()) {
      if (page.bad++ == 0) page.first_error = std::string(lease.status().message());
      in_addr a{};
      if (!ip.empty() && inet_pton(AF_INET, ip.c_str(), &a) == 1) page.bad_ips.push_back(ntohl(a.s_addr));
      continue;
    }
    page.leases.push_back(*std::move(lease));
  }
  page.last = leases.size() < page_size || page.next_from.empty();
  return page;
}

KeaPullWalk::KeaPullWalk(Replica& replica, uint32_t started) : replica_(replica), started_(started) {
  replica_.WatchChanges(&changed_by_others_);
}

KeaPullWalk::~KeaPullWalk() { replica_.WatchChanges(nullptr); }

void KeaPullWalk::Apply(const KeaLeasePage& page) {
  if (page.leases.empty() && page.bad == 0) return;  // the empty closing page
  ++res_.pages;
  if (res_.bad == 0 && page.bad > 0) res_.first_error = page.first_error;
  res_.bad += page.bad;
  // The primary has a lease at each of these; lqd keeps what it holds there.
  for (uint32_t ip : page.bad_ips) seen_.insert(ip);
  for (const Lease& l : page.leases) {
    ++res_.leases;
    seen_.insert(l.ip);
    LeaseUpdate u;
    u.lease = l;
    u.source = FeedSource::kKeaPull;
    if (replica_.Apply(u, started_) == Replica::Outcome::kApplied) ++res_.applied;
  }
}

KeaPullResult KeaPullWalk::Finish() {
  // Leases the primary no longer has, and that no other feed changed since
  // the walk began, were deleted while lqd was not listening.
  replica_.WatchChanges(nullptr);
  std::vector<Lease> gone;
  replica_.store().ForEach([&](const LeaseRecord& r) {
    if (r.vpn == kGlobalVpn && !seen_.contains(r.ip) && !changed_by_others_.contains(r.ip)) {
      Lease l;
      l.ip = r.ip;
      l.cltt = r.cltt;
      l.expire = r.expire;  // same as held: the delete wins, a newer lease later still does
      gone.push_back(l);
    }
  });
  for (const Lease& l : gone) {
    LeaseUpdate del;
    del.kind = LeaseUpdate::Kind::kDelete;
    del.lease = l;
    del.source = FeedSource::kKeaPull;
    if (replica_.Apply(del, started_) == Replica::Outcome::kApplied) ++res_.removed;
  }
  replica_.MarkSynced(FeedSource::kKeaPull, started_);
  return res_;
}

absl::StatusOr<KeaPullResult> PullAllLeases(const KeaPullOptions& opts, Replica& replica, uint32_t now) {
  KeaPullWalk walk(replica, now);
  std::string from = "start";
  for (;;) {
    auto page = FetchLeasePage(opts, from);
    if (!page.ok()) return page.status();
    walk.Apply(*page);
    if (page->last) break;
    from = page->next_from;
  }
  return walk.Finish();
}

}  // namespace lqd::control
