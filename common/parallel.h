// SPDX-License-Identifier: Apache-2.0
// File: common/parallel.h
//
// The loops lqd runs on every core: the store's bulk load, the snapshot
// read and the Kea CSV parse. Production builds use oneTBB. Under
// ThreadSanitizer they run on std::threads and std::sort instead: Debian's
// libtbb is not instrumented, so TSan sees no happens-before across TBB's
// task hand-off and join, and reports every byte the bodies touch as a race
// (a suppression hides those, but TSan still records each one: on a 10 MB
// CSV that took minutes per test). With std::threads the bodies still run
// concurrently, so TSan checks what is ours: two bodies writing one slot.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#if defined(__SANITIZE_THREAD__)
#define LQD_PARALLEL_STD_THREADS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LQD_PARALLEL_STD_THREADS 1
#endif
#endif

#ifndef LQD_PARALLEL_STD_THREADS
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>
#endif

namespace lqd {

// f(begin, end) over [0, n) in chunks of about `grain` indexes, on all
// cores. Returns when every chunk is done; the chunks' writes are then
// visible to the caller.
template <class F>
void ParallelForChunks(size_t n, size_t grain, F&& f) {
  grain = std::max<size_t>(1, grain);
#ifdef LQD_PARALLEL_STD_THREADS
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t b; (b = next.fetch_add(grain, std::memory_order_relaxed)) < n;) {
      f(b, std::min(n, b + grain));
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(2u, std::thread::hardware_concurrency()); ++i) {
    threads.emplace_back(work);
  }
  work();
  for (std::thread& t : threads) t.join();
#else
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, grain),
                    [&](const tbb::blocked_range<size_t>& r) { f(r.begin(), r.end()); });
#endif
}

// f(i) for every i in [0, n), on all cores; each i may be a task of its
// own (a few large items, like the CSV's 4 MB chunks, spread too).
template <class F>
void ParallelFor(size_t n, F&& f) {
#ifdef LQD_PARALLEL_STD_THREADS
  const size_t grain = n / (8 * std::max(2u, std::thread::hardware_concurrency()));
  ParallelForChunks(n, grain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) f(i);
  });
#else
  tbb::parallel_for(size_t{0}, n, f);
#endif
}

// Sorts [first, last) by operator<, on all cores.
template <class It>
void ParallelSort(It first, It last) {
#ifdef LQD_PARALLEL_STD_THREADS
  std::sort(first, last);
#else
  tbb::parallel_sort(first, last);
#endif
}

}  // namespace lqd
