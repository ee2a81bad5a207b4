// SPDX-License-Identifier: Apache-2.0
// File: lease-store/lease_store.h
//
// LeaseStore: lqd's replica of the primary's leases, indexed by IP, by
// hardware address and by client-id. One writer thread (the control
// plane), any number of reader threads (the dataplane lcores).
//
// DESIGN ESSAY: see the block comment below the API (filled in with the
// implementation).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "lease-store/authoritative_ranges.h"
#include "lease-store/lease.h"
#include "lease-store/qsbr.h"

namespace lqd {

// The addresses a client (MAC or client-id) holds, as seen by a reader.
// Valid until the reader's next quiescent state. Includes leases in any
// state; the query engine picks the active ones.
class LeaseGroupView {
 public:
  LeaseGroupView() = default;
  LeaseGroupView(const LeaseRecord* const* many, uint32_t n) : many_(many), size_(n) {}
  explicit LeaseGroupView(const LeaseRecord* single) : single_(single), size_(single ? 1 : 0) {}

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const LeaseRecord* const* begin() const { return many_ ? many_ : &single_; }
  const LeaseRecord* const* end() const { return begin() + size_; }
  const LeaseRecord* operator[](uint32_t i) const { return begin()[i]; }

 private:
  const LeaseRecord* const* many_ = nullptr;
  const LeaseRecord* single_ = nullptr;
  uint32_t size_ = 0;
};

struct LeaseStoreOptions {
  // Shards per index (power of two). More shards = smaller rehash pauses
  // and more parallelism in BulkLoad.
  uint32_t shards = 256;
  // Expected number of leases, to size tables up front.
  size_t expected_leases = 1024;
};

struct LeaseStoreStats {
  size_t leases = 0;
  size_t bytes_records = 0;   // lease records incl. allocator rounding
  size_t bytes_indexes = 0;   // the three index tables
  size_t bytes_groups = 0;    // multi-address group arrays
  size_t retired_pending = 0; // waiting for readers to pass a quiescent state
};

class LeaseStore {
 public:
  explicit LeaseStore(LeaseStoreOptions opts = {});
  ~LeaseStore();
  LeaseStore(const LeaseStore&) = delete;
  LeaseStore& operator=(const LeaseStore&) = delete;

  // ---- Reader side: any registered reader thread, lock-free, no allocation.
  // Pointers stay valid until the calling reader's next Quiescent().

  const LeaseRecord* FindByIp(uint32_t ip, VpnId vpn = kGlobalVpn) const;
  // Batched form: looks up n addresses, prefetching ahead. out[i] may be null.
  void FindByIpBatch(const uint32_t* ips, size_t n, const LeaseRecord** out,
                     VpnId vpn = kGlobalVpn) const;
  LeaseGroupView FindByHwAddr(uint8_t htype, std::span<const uint8_t> chaddr,
                              VpnId vpn = kGlobalVpn) const;
  LeaseGroupView FindByClientId(std::span<const uint8_t> client_id,
                                VpnId vpn = kGlobalVpn) const;
  // True if `ip` is inside a range the primary manages.
  bool IsAuthoritative(uint32_t ip, VpnId vpn = kGlobalVpn) const;

  Qsbr& qsbr() const { return qsbr_; }

  // ---- Writer side: one thread at a time.

  // Inserts or replaces the lease for (lease.vpn, lease.ip), keeping the
  // hardware-address and client-id indexes in step (an address that moved
  // from one client to another leaves the old client's group).
  absl::Status Upsert(const Lease& lease);
  // Removes the lease for (vpn, ip). Returns false if there was none.
  bool Erase(uint32_t ip, VpnId vpn = kGlobalVpn);
  // Replaces the authoritative ranges.
  void SetRanges(AuthoritativeRanges ranges);
  // Frees retired memory that no reader can see any more.
  size_t Reclaim() { return qsbr_.Reclaim(); }

  // Loads many leases before serving starts (no reader may be online):
  // shards are filled in parallel with TBB. Later duplicates of an address
  // replace earlier ones. Invalid leases are skipped and counted in the
  // returned Status message; valid ones are kept.
  absl::Status BulkLoad(std::span<const Lease> leases);

  size_t size() const;
  LeaseStoreStats Stats() const;

  // Visits every lease (writer thread only; for snapshots and the API).
  void ForEach(const std::function<void(const LeaseRecord&)>& f) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  mutable Qsbr qsbr_;
};

}  // namespace lqd
