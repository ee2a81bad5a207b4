// SPDX-License-Identifier: Apache-2.0
// File: tests/control/kea_feeds_fuzz.cc
//
// libFuzzer target for everything lqd parses from a Kea primary: the HA
// JSON commands (body of a POST to the backup-peer endpoint) and the
// memfile CSV. Byte 0 picks the parser. Whatever parses is applied to a
// Replica, so the conflict rule and the store's input checks see it too.
// ParseKeaCommand's fast path is checked against the DOM parse, and the
// CSV's start-up path (ParseKeaCsvLeases) against ParseKeaCsv + FoldKeaCsv.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "control/kea_csv.h"
#include "control/kea_ha_command.h"
#include "control/replica.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // Static objects (destroyed at exit, before LeakSanitizer looks: it cannot
  // follow the store index's tagged pointers).
  static lqd::LeaseStore store_obj;
  static lqd::control::Replica replica_obj(store_obj);
  lqd::LeaseStore* store = &store_obj;
  lqd::control::Replica* replica = &replica_obj;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    auto cmd = lqd::control::ParseKeaCommand(text);
    // The fast scanner and the DOM parse must agree (kea_ha_command.cc).
    auto dom = lqd::control::ParseKeaCommandDom(text);
    if (cmd.ok() != dom.ok() || (!cmd.ok() && cmd.status() != dom.status())) std::abort();
    if (cmd.ok() && cmd->is_lease_change) {
      const lqd::Lease &a = cmd->update.lease, &b = dom->update.lease;
      if (cmd->update.kind != dom->update.kind || a.ip != b.ip || !(a.hw == b.hw) || a.client_id != b.client_id ||
          a.state != b.state || a.cltt != b.cltt || a.expire != b.expire || a.subnet_id != b.subnet_id ||
          a.relay_agent_info != b.relay_agent_info)
        std::abort();
      replica->Apply(cmd->update, 1000);
    }
  } else {
    auto csv = lqd::control::ParseKeaCsv(text);
    if (csv.ok()) {
      for (const auto& e : csv->errors)
        if (e.line == 0 || e.reason.empty()) std::abort();  // every error says where and why
      const std::vector<lqd::Lease> folded = lqd::control::FoldKeaCsv(csv->records);
      // lqd's start-up path (packed, folded by pointer) keeps exactly the
      // same leases and reports exactly the same bad lines.
      auto set = lqd::control::ParseKeaCsvLeases(text);
      if (!set.ok() || set->size() != folded.size() || set->records() != csv->records.size() ||
          set->errors().size() != csv->errors.size())
        std::abort();
      for (size_t i = 0; i < csv->errors.size(); ++i)
        if (set->errors()[i].line != csv->errors[i].line || set->errors()[i].reason != csv->errors[i].reason)
          std::abort();
      for (size_t i = 0; i < folded.size(); ++i) {
        const lqd::Lease a = set->at(i);
        const lqd::Lease& b = folded[i];
        if (a.ip != b.ip || !(a.hw == b.hw) || a.client_id != b.client_id || a.state != b.state ||
            a.cltt != b.cltt || a.expire != b.expire || a.subnet_id != b.subnet_id ||
            a.relay_agent_info != b.relay_agent_info)
          std::abort();
      }
      for (const auto& r : folded) {
        lqd::control::LeaseUpdate u;
        u.lease = r;
        replica->Apply(u, 1000);
      }
    } else if (lqd::control::ParseKeaCsvLeases(text).ok()) {
      std::abort();
    }
  }
  store->Reclaim();
  return 0;
}
