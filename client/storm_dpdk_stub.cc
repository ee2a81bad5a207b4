// SPDX-License-Identifier: Apache-2.0
// File: client/storm_dpdk_stub.cc
//
// lq-storm built without DPDK (libdpdk not found at configure time).
#include "absl/strings/str_split.h"
#include "client/storm_dpdk.h"

namespace lqd::client {

std::vector<std::string> SplitEalArgs(const std::string& eal_args) {
  return absl::StrSplit(eal_args, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

absl::StatusOr<StormResult> RunDpdkStorm(const DpdkStormConfig&, StormShared&,
                                         std::vector<StormConcentrator>&, absl::Time*) {
  return absl::UnimplementedError("this lq-storm was built without DPDK (libdpdk not found)");
}

}  // namespace lqd::client
