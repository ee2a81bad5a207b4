// SPDX-License-Identifier: Apache-2.0
// File: control/kea_pull_worker.h
//
// KeaPullWorker: the network half of a pull, in its own thread. A walk
// talks to kea-ctrl-agent with a blocking client bounded by `timeout-ms`
// per request; done in the control thread, a primary that silently drops
// packets (a partition, not a refusal) would hold that thread -- and with
// it the management API, the Kea HA ingest and the journal commits -- for
// the whole timeout at every retry. Here the worker only fetches and
// parses (config-get, then lease4-get-page pages); the control thread stays
// the replica's single writer and applies what Take() hands it.
//
// At most kMaxPendingPages parsed pages wait for the control thread, so a
// large walk does not pile up in memory. The destructor asks the thread to
// stop and joins it: it returns once the request in flight (if any) ends,
// i.e. within the endpoint's timeout.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "control/kea_pull.h"
#include "lease-store/authoritative_ranges.h"

namespace lqd::control {

class KeaPullWorker {
 public:
  static constexpr size_t kMaxPendingPages = 4;

  // `learn_ranges`: each walk starts with config-get (kea_config.h).
  KeaPullWorker(KeaPullOptions opts, bool learn_ranges);
  ~KeaPullWorker();
  KeaPullWorker(const KeaPullWorker&) = delete;
  KeaPullWorker& operator=(const KeaPullWorker&) = delete;

  // Begins a walk unless one is running (returns false then).
  bool Begin();
  // True from Begin() until Take() has returned the walk's `done`.
  bool busy() const;

  struct Output {
    std::optional<absl::StatusOr<std::vector<AddressRange>>> ranges;  // config-get's answer
    std::vector<KeaLeasePage> pages;                                  // in walk order
    std::optional<absl::Status> done;  // the walk ended: OK (complete) or why it failed
  };
  // What the worker produced since the last call; never blocks.
  Output Take();

 private:
  void Run();
  bool Publish(KeaLeasePage page);  // false: stopping

  const KeaPullOptions opts_;
  const bool learn_ranges_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool requested_ = false;
  bool busy_ = false;
  Output out_;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace lqd::control
