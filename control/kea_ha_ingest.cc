// SPDX-License-Identifier: Apache-2.0
// File: control/kea_ha_ingest.cc
#include "control/kea_ha_ingest.h"

#include "absl/strings/str_cat.h"
#include "control/kea_ha_command.h"

namespace lqd::control {

HttpResponse KeaHaIngest::Handle(const HttpRequest& req) {
  if (req.method != "POST")
    return {405, "application/json", KeaResponse(KeaResult::kError, "only POST is accepted")};
  auto cmd = ParseKeaCommand(req.body);
  if (!cmd.ok()) {
    ++counters_.errors;
    return {200, "application/json", KeaResponse(KeaResult::kError, std::string(cmd.status().message()))};
  }
  if (!cmd->is_lease_change) {
    ++counters_.unsupported;
    return {200, "application/json",
            KeaResponse(KeaResult::kUnsupported,
                        absl::StrCat("'", cmd->name, "' is not supported by lqd (a leasequery backup peer)"))};
  }
  absl::Status why;
  Replica::Outcome out = replica_.Apply(cmd->update, clock_(), &why);
  if (out == Replica::Outcome::kRejected) {
    ++counters_.errors;
    return {200, "application/json", KeaResponse(KeaResult::kError, std::string(why.message()))};
  }
  if (out == Replica::Outcome::kStale) {
    ++counters_.stale;
  } else if (cmd->update.kind == LeaseUpdate::Kind::kDelete) {
    ++counters_.deletes;
  } else {
    ++counters_.updates;
  }
  if (out == Replica::Outcome::kApplied && before_ack_) before_ack_(cmd->update);
  // The two acknowledgements are constant: built once, copied per update.
  static const std::string kDeleted = KeaResponse(KeaResult::kSuccess, "IPv4 lease deleted.");
  static const std::string kUpdated = KeaResponse(KeaResult::kSuccess, "IPv4 lease updated.");
  return {200, "application/json", cmd->update.kind == LeaseUpdate::Kind::kDelete ? kDeleted : kUpdated};
}

}  // namespace lqd::control
