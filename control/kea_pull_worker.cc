// SPDX-License-Identifier: Apache-2.0
// File: control/kea_pull_worker.cc
#include "control/kea_pull_worker.h"

#include <utility>

#include "control/kea_config.h"

namespace lqd::control {

KeaPullWorker::KeaPullWorker(KeaPullOptions opts, bool learn_ranges)
    : opts_(std::move(opts)), learn_ranges_(learn_ranges), thread_([this] { Run(); }) {}

KeaPullWorker::~KeaPullWorker() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool KeaPullWorker::Begin() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (busy_) return false;
    busy_ = requested_ = true;
  }
  cv_.notify_all();
  return true;
}

bool KeaPullWorker::busy() const {
  std::lock_guard<std::mutex> l(mu_);
  return busy_;
}

KeaPullWorker::Output KeaPullWorker::Take() {
  Output o;
  {
    std::lock_guard<std::mutex> l(mu_);
    o = std::exchange(out_, Output{});
    if (o.done) busy_ = false;
  }
  cv_.notify_all();  // room for more pages
  return o;
}

bool KeaPullWorker::Publish(KeaLeasePage page) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [this] { return stop_ || out_.pages.size() < kMaxPendingPages; });
  if (stop_) return false;
  out_.pages.push_back(std::move(page));
  return true;
}

void KeaPullWorker::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || requested_; });
      if (stop_) return;
      requested_ = false;
    }
    if (learn_ranges_) {
      auto r = FetchKeaRanges(opts_.agent);
      std::lock_guard<std::mutex> l(mu_);
      out_.ranges = std::move(r);
    }
    absl::Status result;
    std::string from = "start";
    for (;;) {
      auto page = FetchLeasePage(opts_, from);
      if (!page.ok()) {
        result = page.status();
        break;
      }
      const bool last = page->last;
      from = page->next_from;
      if (!Publish(*std::move(page))) return;
      if (last) break;
    }
    std::lock_guard<std::mutex> l(mu_);
    out_.done = result;
  }
}

}  // namespace lqd::control
