// SPDX-License-Identifier: Apache-2.0
// File: lease-store/qsbr.cc
//
// Memory-ordering argument (see also the essay in lease_store.h).
//
// Writer, for an object O:   (W1) store of the new pointer (release)
//                            (W2) e = epoch_.fetch_add(1, seq_cst) + 1; tag O with e
//                            (W3) later, in Reclaim: load every seen (seq_cst)
//                            (W4) free O if every non-zero seen >= e
// Reader, Quiescent:          (R1) x = epoch_.load(acquire); seen.store(x, release)
//
// (a) A reader whose published seen is >= e loaded epoch_ from the release
//     sequence of W2 (every later write of epoch_ is an RMW), so W1
//     happens-before everything the reader does after R1: it can no longer
//     load a pointer to O. Everything it did before R1 (its reads of O)
//     happens-before W4, because W3 read R1's release store.
// (b) A reader whose seen is < e is waited for.
// (c) A reader going offline stores 0 with release after its last read, so
//     W3 reading that 0 also orders its reads before W4.
// (d) Online is the one Dekker-style race: the writer may read seen == 0
//     (offline) in W3 while the reader is coming online. Online stores seen
//     with seq_cst and then loads epoch_ with seq_cst. If W3 (seq_cst)
//     missed the store, W3 precedes the store in the single total order S,
//     so W2 does too, and the reader's seq_cst re-load of epoch_ reads e or
//     later: it synchronises with W2 and cannot see O (as in (a)). No
//     standalone fences, so ThreadSanitizer follows the argument.
// (e) A reader registering a slot above high_water_ while the writer
//     reclaims: the same race one step earlier (W3 may skip the slot). The
//     CAS that raises high_water_ and W3's load of it are seq_cst too: if
//     that load missed the CAS, W2 precedes the CAS in S, hence precedes the
//     reader's seq_cst epoch load in Online, which then reads e or later.
//     (x86's locked instructions already forbid the other outcome; the
//     C++ model, which TSan checks, needs the seq_cst.)
#include "lease-store/qsbr.h"

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace lqd {

Qsbr::Qsbr() = default;

Qsbr::~Qsbr() {
  for (const Retired& r : retired_) r.deleter(r.p);
  retired_.clear();
}

Qsbr::ReaderId Qsbr::RegisterReader() {
  for (int i = 0; i < kMaxReaders; ++i) {
    bool expected = false;
    if (!readers_[i].used.load(std::memory_order_relaxed) &&
        readers_[i].used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      readers_[i].seen.store(0, std::memory_order_release);
      int hw = high_water_.load(std::memory_order_relaxed);
      while (hw < i + 1 &&
             !high_water_.compare_exchange_weak(hw, i + 1, std::memory_order_seq_cst)) {  // (e)
      }
      return i;
    }
  }
  return -1;
}

void Qsbr::UnregisterReader(ReaderId id) {
  if (id < 0 || id >= kMaxReaders) return;
  readers_[id].seen.store(0, std::memory_order_release);
  readers_[id].used.store(false, std::memory_order_release);
}

void Qsbr::Online(ReaderId id) {
  // See (d) above: seq_cst store, then seq_cst re-load of the epoch.
  const uint64_t e = epoch_.load(std::memory_order_seq_cst);
  readers_[id].seen.store(e, std::memory_order_seq_cst);
  const uint64_t e2 = epoch_.load(std::memory_order_seq_cst);
  if (e2 != e) readers_[id].seen.store(e2, std::memory_order_release);
}

void Qsbr::Offline(ReaderId id) { readers_[id].seen.store(0, std::memory_order_release); }

void Qsbr::Retire(void* p, void (*deleter)(void*)) {
  if (p == nullptr) return;
  // W2: the epoch after the increment tags the object; seq_cst for (d).
  const uint64_t e = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
  retired_.push_back(Retired{e, p, deleter});
}

uint64_t Qsbr::MinOnlineEpoch() const {
  uint64_t min = UINT64_MAX;
  const int n = high_water_.load(std::memory_order_seq_cst);  // (e)
  for (int i = 0; i < n; ++i) {
    const uint64_t s = readers_[i].seen.load(std::memory_order_seq_cst);  // W3
    if (s != 0 && s < min) min = s;
  }
  return min;
}

Qsbr::ReaderId QsbrReader::RegisterOrDie(Qsbr& q) {
  const Qsbr::ReaderId id = q.RegisterReader();
  if (id < 0) {
    std::fprintf(stderr, "lqd: QsbrReader: all %d reader slots of the lease store are taken\n", Qsbr::kMaxReaders);
    std::abort();
  }
  return id;
}

size_t Qsbr::Reclaim() {
  if (retired_.empty()) return 0;
  const uint64_t min = MinOnlineEpoch();
  size_t freed = 0;
  while (!retired_.empty() && retired_.front().epoch <= min) {
    const Retired r = retired_.front();
    retired_.pop_front();
    r.deleter(r.p);
    ++freed;
  }
  return freed;
}

void Qsbr::Synchronize() {
  Reclaim();
  while (!retired_.empty()) {
    std::this_thread::yield();
    Reclaim();
  }
}

}  // namespace lqd
