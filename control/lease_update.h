// SPDX-License-Identifier: Apache-2.0
// File: control/lease_update.h
//
// One change to the replica, whatever feed it came from (Kea HA push, Kea
// pull, Kea CSV, dhcpd.leases). The Replica applies these in one thread.
#pragma once

#include <cstdint>

#include "lease-store/lease.h"

namespace lqd::control {

enum class FeedSource : uint8_t { kKeaHaPush = 0, kKeaPull = 1, kKeaCsv = 2, kDhcpdLeases = 3, kCount };
const char* FeedSourceName(FeedSource s);

struct LeaseUpdate {
  enum class Kind : uint8_t { kUpsert, kDelete };
  Kind kind = Kind::kUpsert;
  // For a delete only ip, vpn, cltt and expire matter (Kea's lease4-del
  // carries the whole old lease; its expire orders it against updates).
  Lease lease;
  FeedSource source = FeedSource::kKeaHaPush;
};

}  // namespace lqd::control
