// SPDX-License-Identifier: Apache-2.0
// File: lease-store/qsbr.h
//
// Quiescent-state-based reclamation (QSBR) for one writer and up to
// kMaxReaders poll-mode readers. This is lqd's own small equivalent of
// DPDK's rte_rcu_qsbr, kept free of DPDK so the store builds, tests (also
// under TSan) and benchmarks without the EAL.
//
// Contract:
//  * A reader thread calls RegisterReader() once, then Online(id).
//    Between two calls of Quiescent(id) it may hold pointers it loaded from
//    the store; after Quiescent(id) it must hold none. A poll-mode lcore
//    calls Quiescent once per RX burst. Before blocking (sleep, exit) it
//    calls Offline(id): an offline reader holds no pointers and is not
//    waited for.
//  * The single writer unpublishes an object (atomic store of the new
//    pointer), then Retire()s the old one. Reclaim() frees every retired
//    object that no online reader can still see.
//
// Protocol: a global epoch counter; Retire() tags the object with the
// epoch after incrementing it; each online reader publishes the last epoch
// it observed at a quiescent point. An object tagged e is freed once every
// online reader has published an epoch >= e, i.e. has passed a quiescent
// state after the object was unpublished. The memory-ordering argument is
// at the top of qsbr.cc. Retire/Reclaim/Synchronize/pending are writer-only
// (not thread-safe among themselves); Register/Unregister may race with
// each other and with the writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>

namespace lqd {

class Qsbr {
 public:
  static constexpr int kMaxReaders = 128;
  using ReaderId = int;

  Qsbr();
  ~Qsbr();  // frees everything still retired
  Qsbr(const Qsbr&) = delete;
  Qsbr& operator=(const Qsbr&) = delete;

  // Reader side. RegisterReader returns -1 when all slots are taken; the
  // other calls need an id it returned (not -1).
  ReaderId RegisterReader();
  void UnregisterReader(ReaderId id);
  void Online(ReaderId id);
  void Offline(ReaderId id);
  // Acquire load of the epoch + release store of it: see qsbr.cc for why
  // this is enough (no fence on the reader's fast path).
  void Quiescent(ReaderId id) {
    readers_[id].seen.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
  }

  // Writer side (one thread).
  void Retire(void* p, void (*deleter)(void*));
  // Frees what is safe to free now; returns how many objects were freed.
  size_t Reclaim();
  // Blocks until every object retired so far is freed (control plane only;
  // readers must be making progress).
  void Synchronize();
  size_t pending() const { return retired_.size(); }

 private:
  struct alignas(64) ReaderSlot {
    std::atomic<uint64_t> seen{0};  // 0 = offline
    std::atomic<bool> used{false};
  };
  struct Retired {
    uint64_t epoch;
    void* p;
    void (*deleter)(void*);
  };
  uint64_t MinOnlineEpoch() const;

  alignas(64) std::atomic<uint64_t> epoch_{1};
  // 1 + the highest slot ever registered: Reclaim scans only that prefix.
  alignas(64) std::atomic<int> high_water_{0};
  ReaderSlot readers_[kMaxReaders];
  std::deque<Retired> retired_;  // writer-only, in epoch order
};

// RAII helper for tests and non-lcore readers (not the writer's thread: it
// alone frees, so it reads its own store without a slot). Aborts when all
// kMaxReaders slots are taken: a reader without a slot is not protected,
// and letting it proceed would free records under it.
class QsbrReader {
 public:
  explicit QsbrReader(Qsbr& q) : q_(q), id_(RegisterOrDie(q)) { q_.Online(id_); }
  ~QsbrReader() {
    q_.Offline(id_);
    q_.UnregisterReader(id_);
  }
  void Quiescent() { q_.Quiescent(id_); }
  Qsbr::ReaderId id() const { return id_; }

 private:
  static Qsbr::ReaderId RegisterOrDie(Qsbr& q);
  Qsbr& q_;
  Qsbr::ReaderId id_;
};

}  // namespace lqd
