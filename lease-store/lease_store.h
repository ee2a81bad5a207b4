// SPDX-License-Identifier: Apache-2.0
// File: lease-store/lease_store.h
//
// LeaseStore: lqd's replica of the primary's leases, indexed by IP, by
// hardware address and by client-id. One writer thread (the control
// plane), any number of reader threads (the dataplane lcores).
//
// ===========================================================================
// DESIGN ESSAY
// ===========================================================================
//
// §0 Contract. Readers never lock, block, allocate or retry; they see every
// lease either entirely before or entirely after an update, and never touch
// freed memory. One writer applies updates. Pointers a reader obtains stay
// valid until that reader's next Qsbr::Quiescent() (once per RX burst).
//
// §1 Layout.
//
//   LeaseRecord   immutable, variable length: 56 fixed bytes (chaddr
//                 zero-padded to 16) + client-id + option 82 + option 60 +
//                 extra options, packed. A realistic lease (6-byte MAC,
//                 7-byte client-id, 24-byte RAI, 12-byte vendor class) is 99
//                 bytes, 112 with tbbmalloc's size class. The record is also
//                 the key store: indexes hold only pointers to it.
//
//   Index         one per key kind (IP, HW, client-id), each split into
//                 `shards` (power of two) independent tables:
//
//     std::atomic<Table*> tables[shards];   <- readers: one acquire load
//     Table { mask; bytes; pad to 64 B;  atomic<u64> slot[mask + 1]; }
//     slot:  63........48 47.....................0
//            [ tag (16)  ][ pointer (48)           ]
//            0 = empty; 2 (tag 0) = tombstone; tags are never 0.
//
//     IP index:        pointer -> LeaseRecord.
//     HW / client-id:  pointer -> LeaseRecord (client with one address,
//                      bit 0 clear) or -> Group (bit 0 set):
//                      Group { u32 n; u32 pad; const LeaseRecord* m[n]; },
//                      immutable, sorted newest CLTT first (ties: lower IP),
//                      so m[0] is the RFC 4388 "most recent" lease and the
//                      whole array is the option 92 list: one lookup.
//
//   Open addressing with linear probing, load kept <= 3/4 (tombstones
//   included), >= 3/8 after growth; 8 slots per cache line, so a probe
//   almost always stays in one line. At 10 M leases (256 shards, load ~0.6)
//   an index costs ~13 B per key, so a realistic lease costs ~112 + 3 x 13
//   = ~151 B in total (Stats() reports it; < 200 is tested). rte_hash needs
//   32-45 B per key per index for the same job plus a separate key store.
//
// §2 Hashing. Each index hashes its key with MurmurHash3's fmix64 (IP:
// (vpn << 32 | ip) ^ seed; HW: the zero-padded 16-byte chaddr, htype, hlen,
// vpn; client-id: 8-byte words) under a per-store random seed, so crafted
// MACs/client-ids cannot aim at one probe chain. Bits: top log2(shards) ->
// shard, bits 32..47 -> tag, low bits -> home slot; fmix64 makes them
// independent. The VPN (RFC 6607) is part of every key: for the IP index it
// sits in the same 64-bit word that is hashed anyway and is confirmed by the
// same 8-byte compare (record ip and vpn are adjacent), so the default VPN
// costs nothing extra. A tag match (false positive 1 in 65 536) is confirmed
// against the record, which for a hit is the line the caller reads next.
//
// §3 Memory ordering and updates (one writer).
//  Reader: t = tables[s].load(acquire); probe slots with acquire loads;
//    a slot whose tag matches is confirmed by reading the record it points
//    to. Acquire on the slot pairs with the writer's release store that
//    published it, so every byte of the record (written before that store)
//    is visible: no half-written lease. Empty ends the probe.
//  Writer, upsert: build the new record R privately; in the IP index
//    replace the old record O's slot with R (release store, same tag) or
//    insert R into the first tombstone/empty slot of its probe run; then in
//    the HW and client-id indexes replace O by R (same client) or remove O
//    from the old client's entry and add R to the new one. A changed group
//    is rebuilt as a new array and swapped in by one release store. Every
//    unpublished object (O, old groups) goes to Qsbr::Retire.
//  Erase: the slot becomes a tombstone, so probes for other keys continue
//    past it. If the next slot is empty, no probe sequence runs through the
//    slot, so it (and the tombstones right before it) becomes empty instead;
//    each store keeps that true for the slot before it. A reader racing with
//    any of these stores sees the slot either before or after: each outcome
//    is a state the table was in, and a key present throughout stays
//    reachable because its probe run never contains an empty slot.
//  Growth, shrink, purge: when an insert would take the load over 3/4 the
//    writer copies the shard's live entries into a new table (private until
//    published), publishes it with a release store and retires the old
//    table. A reader that loaded the old table probes a frozen snapshot (the
//    writer never writes a retired table) whose records are not freed
//    either: they were unpublished after the table and so were retired
//    later. Tombstones are dropped by the copy; a shard emptied below 1/8
//    shrinks. Only one shard pauses the writer; readers never wait.
//  Between indexes there is no atomic snapshot: right after an update a
//    reader can find R by IP and still O through the old MAC's group. Each
//    answer is a lease that existed; the query engine re-checks by IP when
//    it matters.
//
// §4 Batches. FindByIpBatch works in groups of 16: hash all and prefetch the
// home slots; probe to the first tag match and prefetch the records; then
// confirm. The misses overlap, as with rte_hash_lookup_bulk_data. Callers
// that interleave other work with each lookup (the query engine) get the
// same two steps as hints, PrefetchIp/PrefetchHwAddr(kSlot, then kEntry),
// and then call Find*: the probe repeats on lines already in cache.
//
// §5 Reclamation: own QSBR (qsbr.h) rather than rte_rcu_qsbr. (a) The store
// must build and be tested without the EAL, under TSan and ASan; DPDK's
// headers are not part of lease-store/. (b) The protocol is 40 lines we can
// reason about (memory-ordering proof at the top of qsbr.cc) and written
// with seq_cst atomics instead of standalone fences, so TSan checks it;
// rte_rcu_qsbr relies on __atomic_thread_fence, which TSan does not model.
// (c) rte_hash's integrated RCU would not help: it cannot free replaced
// data in 22.11 (see dpdk-anchors §2.1), and our records, groups, tables
// and range sets need one queue anyway. Cost to a reader: one acquire load
// of the shared epoch and one store to its own cache line per Quiescent.
// The writer tags each retired object with a fresh epoch (one atomic RMW)
// and frees in FIFO order once every online reader has published an epoch
// >= the tag. Upsert/Erase reclaim by themselves beyond a small backlog;
// a reader stuck online (never quiescent) stops reclamation, never reads.
//
// §6 Allocation. Records and groups come from tbbmalloc (scalable_malloc,
// per-thread caches: BulkLoad allocates from all cores). Under ASan and TSan
// (__SANITIZE_ADDRESS__ / __SANITIZE_THREAD__) they come from plain malloc
// instead, so the sanitizers see every free and ASan flags a read of a
// reclaimed record. Under TSan BulkLoad's parallel loops also run on
// std::threads instead of TBB (libtbb is not instrumented; TSan reports its
// task hand-off as races). Tables come from aligned_alloc. The tables
// sized together (at construction for expected_leases, and by BulkLoad for
// every shard at once) share one 2 MiB-aligned block per index, advised
// MADV_HUGEPAGE when it fills a huge page: with 256 shards one table is far
// below 2 MiB (512 KiB at 10 M), and on 4 KiB pages a lookup's slot load
// also missed the TLB (measured at 10 M: 0.83-0.87x the time per query with
// the block). BulkLoad sizes the client-id and hardware tables for as many
// keys as leases, an upper bound. A table replaced later (growth, shrink,
// tombstone clean-up) is allocated on its own, 2 MiB-aligned and advised
// from 2 MiB up; a replaced block table's pages go back to the kernel at
// once (MADV_DONTNEED), which splits the huge page it shared with its
// neighbours, so the gain is the loaded tables' and fades as churn
// replaces shards; the block goes with its last table. While BulkLoad
// resizes, the old tables and the new block coexist (the old are tiny when
// the store was built for fewer leases, as lqd's is). Stats count each
// table's bytes, not a block's rounding up (under 2 MiB per index). Under
// ASan and TSan every table is its own allocation, so a reader of a freed
// table is reported.
// Out of memory: Upsert returns ResourceExhausted if the record cannot be
// allocated; a failed table or group allocation aborts with a message (the
// indexes would otherwise disagree).
//
// §7 BulkLoad (empty store, no reader online): take each lease from the
// caller's source (a LeaseRef: the snapshot decoder hands over views into
// its file buffer, no Lease copies), validate, build its record and hash
// its keys, in parallel; bucket by IP shard keeping input order (later
// duplicates win); fill the IP shards in parallel (tables pre-sized); then
// for HW and client-id bucket the surviving records by shard and, in
// parallel per shard, group them by key in a scratch table on the full
// 64-bit hash (records are read only when two hashes are equal), size the
// shard's table for the keys and emit a record or a group (newest first)
// per key. A non-empty store falls back to Upsert per lease.
//
// §8 Limits. A client's update rebuilds its group: O(addresses it holds),
// fine for the usual handful, quadratic for a relay MAC holding thousands.
// Pointers must fit 48 bits (x86-64 4-level paging; checked, abort
// otherwise). Writer-side calls (Upsert, Erase, SetRanges, BulkLoad,
// Reclaim, Stats, size, ForEach) are single-threaded.
// ===========================================================================
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "absl/functional/function_ref.h"
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

// Stages of LeaseStore::Prefetch*: the index slot, then what it points at.
enum class PrefetchStage : uint8_t { kSlot, kEntry };

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
  size_t rehashes = 0;        // shard tables rebuilt (growth, shrink, purge)
  size_t tombstones = 0;      // deleted slots not yet purged, all indexes
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

  // Prefetch hints for a burst of lookups (§4), for callers that cannot use
  // a *Batch call because each lookup is followed by other work (the query
  // engine): call Prefetch*(kSlot) for every key of the burst, then
  // Prefetch*(kEntry) for every key, then Find*(): the index-slot misses and
  // then the record misses of the whole burst overlap instead of being paid
  // one after another. Hints only: no result changes, any key is safe.
  void PrefetchIp(PrefetchStage stage, uint32_t ip, VpnId vpn = kGlobalVpn) const;
  void PrefetchHwAddr(PrefetchStage stage, uint8_t htype, std::span<const uint8_t> chaddr,
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

  // Produces lease #i of a BulkLoad source into *out; its byte strings may
  // point into the source's own memory, which must stay put until BulkLoad
  // returns. Called from several threads at once, and more than once for
  // an i whose lease is invalid (to report it). false: lease #i cannot be
  // produced; it is skipped and counted as invalid.
  using LeaseSource = absl::FunctionRef<bool(size_t i, LeaseRef* out)>;
  // As above, for leases #0..n-1 of `source`: a decoder (the snapshot
  // reader) feeds records straight into the store, with no Lease copies.
  absl::Status BulkLoad(size_t n, LeaseSource source);

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
