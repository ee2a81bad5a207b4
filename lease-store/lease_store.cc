// SPDX-License-Identifier: Apache-2.0
// File: lease-store/lease_store.cc
//
// Implementation of the sharded, lock-free lease indexes. The design and the
// safety argument are in the essay at the top of lease_store.h; comments here
// point back to its sections (§n).
#include "lease-store/lease_store.h"

#include <malloc.h>
#include <sys/mman.h>
#include <tbb/scalable_allocator.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/parallel.h"

// §6: under AddressSanitizer and ThreadSanitizer records and groups come
// from plain malloc, which the sanitizers intercept: ASan then reports a
// reader touching a reclaimed record, and TSan sees every free. tbbmalloc
// recycles memory behind their back. Production builds use tbbmalloc.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LQD_STORE_PLAIN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LQD_STORE_PLAIN_MALLOC 1
#endif
#endif

namespace lqd {
namespace {

// ---------------------------------------------------------------------------
// Memory

void* AllocBytes(size_t n) {
#ifdef LQD_STORE_PLAIN_MALLOC
  return std::malloc(n);
#else
  return scalable_malloc(n);
#endif
}
void FreeBytes(void* p) {
#ifdef LQD_STORE_PLAIN_MALLOC
  std::free(p);
#else
  scalable_free(p);
#endif
}
size_t UsableBytes(const void* p) {
#ifdef LQD_STORE_PLAIN_MALLOC
  return malloc_usable_size(const_cast<void*>(p));
#else
  return scalable_msize(const_cast<void*>(p));
#endif
}
void FreeBytesDeleter(void* p) { FreeBytes(p); }

[[noreturn]] void OutOfMemory(const char* what, size_t bytes) {
  std::fprintf(stderr, "lqd lease store: cannot allocate %zu bytes for %s\n", bytes, what);
  std::abort();
}

// ---------------------------------------------------------------------------
// Hashing (§2). fmix64 from MurmurHash3: every output bit depends on every
// input bit, so the shard (top bits), tag (bits 32..47) and home slot (low
// bits) are independent. The per-store seed keeps crafted MACs/client-ids
// from building long probe chains.

inline uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

inline uint64_t HashIp(uint64_t seed, VpnId vpn, uint32_t ip) {
  return Fmix((uint64_t{vpn} << 32 | ip) ^ seed);
}

inline uint64_t HashCid(uint64_t seed, VpnId vpn, const uint8_t* p, size_t n) {
  uint64_t h = seed ^ (uint64_t{vpn} << 32) ^ (n * 0x9e3779b97f4a7c15ULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ Fmix(w)) * 0x9e3779b97f4a7c15ULL;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  return Fmix(h ^ w ^ (uint64_t{n} << 59));
}

// ---------------------------------------------------------------------------
// Slots and tables (§1)

constexpr int kTagShift = 48;
constexpr uint64_t kPtrMask = (uint64_t{1} << kTagShift) - 1;
constexpr uint64_t kTombstone = 2;  // tag 0: never equals a real (non-zero) tag
constexpr uint64_t kGroupBit = 1;
constexpr uint64_t kMinCapacity = 16;

inline uint64_t TagOf(uint64_t h) {
  const uint64_t t = (h >> 32) & 0xffff;
  return (t | static_cast<uint64_t>(t == 0)) << kTagShift;
}
inline bool IsLive(uint64_t v) { return v != 0 && v != kTombstone; }

inline uint64_t Bits(const void* p) {
  const auto x = reinterpret_cast<uintptr_t>(p);
  if (x >> kTagShift) OutOfMemory("a pointer above 2^48 (5-level paging?)", 0);
  return x;
}
inline const LeaseRecord* Rec(uint64_t v) {
  return reinterpret_cast<const LeaseRecord*>(v & kPtrMask);
}

// Multi-address group: immutable array, newest CLTT first (ties: lower IP).
struct Group {
  uint32_t n;
  uint32_t reserved;
  const LeaseRecord** members() { return reinterpret_cast<const LeaseRecord**>(this + 1); }
  const LeaseRecord* const* members() const {
    return reinterpret_cast<const LeaseRecord* const*>(this + 1);
  }
};
static_assert(sizeof(Group) == 8);

inline bool IsGroup(uint64_t v) { return (v & kGroupBit) != 0; }
inline const Group* GroupOf(uint64_t v) {
  return reinterpret_cast<const Group*>(v & kPtrMask & ~kGroupBit);
}
// The record whose key a HW/client-id slot stands for.
inline const LeaseRecord* Representative(uint64_t v) {
  return IsGroup(v) ? GroupOf(v)->members()[0] : Rec(v);
}
inline LeaseGroupView ViewOf(uint64_t v) {
  if (v == 0) return {};
  if (IsGroup(v)) {
    const Group* g = GroupOf(v);
    return LeaseGroupView(g->members(), g->n);
  }
  return LeaseGroupView(Rec(v));
}

inline bool NewestFirst(const LeaseRecord* a, const LeaseRecord* b) {
  return a->cltt != b->cltt ? a->cltt > b->cltt : a->ip < b->ip;
}

Group* AllocGroup(uint32_t n) {
  const size_t bytes = sizeof(Group) + size_t{n} * sizeof(LeaseRecord*);
  auto* g = static_cast<Group*>(AllocBytes(bytes));
  if (g == nullptr) OutOfMemory("a lease group", bytes);
  g->n = n;
  g->reserved = 0;
  return g;
}

struct TableBlock;

struct alignas(64) Table {
  uint64_t mask;
  size_t bytes;  // allocation size (Stats)
  TableBlock* block;  // the shared allocation it lives in, or null (its own)
  std::atomic<uint64_t>* slots() { return reinterpret_cast<std::atomic<uint64_t>*>(this + 1); }
  const std::atomic<uint64_t>* slots() const {
    return reinterpret_cast<const std::atomic<uint64_t>*>(this + 1);
  }
  uint64_t capacity() const { return mask + 1; }
};
static_assert(sizeof(Table) == 64);

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kPage = 4096;

inline size_t TableBytes(uint64_t capacity) { return sizeof(Table) + capacity * sizeof(uint64_t); }

// Tables of 2 MiB and more are 2 MiB-aligned and advised for transparent
// huge pages: at 10 M leases a lookup otherwise pays a TLB miss as well.
// Smaller ones (a shard's table is 512 KiB at 10 M leases and 256 shards)
// get huge pages only through a TableBlock.
Table* NewTable(uint64_t capacity) {
  size_t bytes = TableBytes(capacity);
  size_t align = 64;
  if (bytes >= kHugePage) {
    align = kHugePage;
    bytes = (bytes + kHugePage - 1) & ~(kHugePage - 1);
  }
  void* mem = std::aligned_alloc(align, bytes);
  if (mem == nullptr) OutOfMemory("an index table", bytes);
  if (align == kHugePage) (void)madvise(mem, bytes, MADV_HUGEPAGE);
  std::memset(mem, 0, bytes);  // all slots empty; published by a release store
  Table* t = new (mem) Table;
  t->mask = capacity - 1;
  t->bytes = bytes;
  t->block = nullptr;
  return t;
}

// §6: the tables of every shard of an index, sized together (Init, BulkLoad),
// in one 2 MiB-aligned allocation advised for transparent huge pages, so a
// lookup's slot load does not also pay a TLB miss (measured: 10 M leases,
// by IP and by MAC, one query at a time, 0.83-0.87x the time per query on
// 4 KiB pages).
// A table replaced later (growth, shrink, tombstone clean-up) is allocated
// on its own. A replaced block table's pages go back to the kernel at once,
// so memory stays what the live tables need; the price is that the huge
// page(s) it shared with neighbours are split, and the gain fades as churn
// replaces shards. The block goes with its last table.
// Under ASan and TSan every table is its own allocation, as records are
// (§6 of the header), so a late reader of a freed table is still reported.
struct TableBlock {
  std::atomic<uint32_t> live;  // tables of the block not yet freed
};

// One table per capacity, in a block when together they fill at least a
// huge page, each on its own otherwise.
std::vector<Table*> NewTables(std::span<const uint64_t> capacities) {
  std::vector<Table*> out;
  out.reserve(capacities.size());
#ifndef LQD_STORE_PLAIN_MALLOC  // under the sanitizers never a block: see above
  size_t total = sizeof(Table);  // the block header, in a 64-byte slot of its own
  for (uint64_t c : capacities) total += TableBytes(c);
  if (total >= kHugePage && capacities.size() >= 2) {
    const size_t bytes = (total + kHugePage - 1) & ~(kHugePage - 1);
    char* mem = static_cast<char*>(std::aligned_alloc(kHugePage, bytes));
    if (mem == nullptr) OutOfMemory("index tables", bytes);
    (void)madvise(mem, bytes, MADV_HUGEPAGE);
    std::memset(mem, 0, bytes);  // all slots empty; published by a release store
    auto* block = new (mem) TableBlock;
    block->live.store(static_cast<uint32_t>(capacities.size()), std::memory_order_relaxed);
    char* p = mem + sizeof(Table);
    for (uint64_t c : capacities) {
      Table* t = new (p) Table;
      t->mask = c - 1;
      t->bytes = TableBytes(c);
      t->block = block;
      out.push_back(t);
      p += t->bytes;
    }
    return out;
  }
#endif
  for (uint64_t c : capacities) out.push_back(NewTable(c));
  return out;
}

void FreeTable(void* p) {
  Table* t = static_cast<Table*>(p);
  TableBlock* block = t->block;
  if (block == nullptr) {
    std::free(p);
    return;
  }
  // The pages wholly inside this table: nobody reads them any more (the
  // caller waited for readers), neighbours' pages are left alone. Released
  // before the count drops: once it does, another FreeTable may free the
  // block. NOHUGEPAGE first, or khugepaged could collapse the range into a
  // huge page again and bring the released memory back.
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(t) + kPage - 1) & ~(kPage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(t) + t->bytes) & ~(kPage - 1);
  if (end > begin) {
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_NOHUGEPAGE);
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
  if (block->live.fetch_sub(1, std::memory_order_acq_rel) == 1) std::free(block);
}

// Capacity that holds n entries below the 3/4 load limit.
inline uint64_t CapacityFor(uint64_t n) {
  return std::max(kMinCapacity, std::bit_ceil(n + n / 3 + 1));
}
// Capacity after growth: at most half full.
inline uint64_t GrownCapacity(uint64_t n) { return std::max(kMinCapacity, std::bit_ceil(2 * n)); }

// ---------------------------------------------------------------------------
// Key traits: how each index hashes and confirms a key.

struct IpTraits {
  struct Key {
    uint32_t ip;
    VpnId vpn;
  };
  static bool Match(uint64_t v, const Key& k) {
    const LeaseRecord* r = Rec(v);
    return r->ip == k.ip && r->vpn == k.vpn;
  }
  static uint64_t EntryHash(uint64_t seed, uint64_t v) {
    const LeaseRecord* r = Rec(v);
    return HashIp(seed, r->vpn, r->ip);
  }
};

struct HwTraits {
  struct Key {
    uint64_t w[2];  // chaddr, zero-padded to 16 bytes
    VpnId vpn;
    uint8_t htype;
    uint8_t hlen;
  };
  static bool Has(const LeaseRecord& r) { return r.hlen != 0; }
  static Key KeyOf(const LeaseRecord& r) {
    Key k{{0, 0}, r.vpn, r.htype, r.hlen};
    std::memcpy(k.w, r.chaddr, 16);  // record chaddr is zero-padded
    return k;
  }
  static Key MakeKey(VpnId vpn, uint8_t htype, std::span<const uint8_t> chaddr) {
    Key k{{0, 0}, vpn, htype, static_cast<uint8_t>(chaddr.size())};
    std::memcpy(k.w, chaddr.data(), chaddr.size());
    return k;
  }
  static uint64_t Hash(uint64_t seed, const Key& k) {
    const uint64_t meta = uint64_t{k.vpn} << 16 | uint64_t{k.htype} << 8 | k.hlen;
    return Fmix(Fmix(k.w[0] ^ seed) ^ k.w[1] ^ (meta * 0x9e3779b97f4a7c15ULL));
  }
  static bool Match(uint64_t v, const Key& k) {
    const LeaseRecord* r = Representative(v);
    uint64_t w[2];
    std::memcpy(w, r->chaddr, 16);
    return r->vpn == k.vpn && r->htype == k.htype && r->hlen == k.hlen && w[0] == k.w[0] &&
           w[1] == k.w[1];
  }
  static uint64_t EntryHash(uint64_t seed, uint64_t v) {
    return Hash(seed, KeyOf(*Representative(v)));
  }
  static int Compare(const LeaseRecord& a, const LeaseRecord& b) {
    if (a.vpn != b.vpn) return a.vpn < b.vpn ? -1 : 1;
    if (a.htype != b.htype) return a.htype < b.htype ? -1 : 1;
    if (a.hlen != b.hlen) return a.hlen < b.hlen ? -1 : 1;
    return std::memcmp(a.chaddr, b.chaddr, 16);
  }
};

struct CidTraits {
  struct Key {
    const uint8_t* p;
    uint32_t len;
    VpnId vpn;
  };
  static bool Has(const LeaseRecord& r) { return r.client_id_len != 0; }
  static Key KeyOf(const LeaseRecord& r) { return Key{r.data, r.client_id_len, r.vpn}; }
  static uint64_t Hash(uint64_t seed, const Key& k) { return HashCid(seed, k.vpn, k.p, k.len); }
  static bool Match(uint64_t v, const Key& k) {
    const LeaseRecord* r = Representative(v);
    return r->vpn == k.vpn && r->client_id_len == k.len &&
           std::memcmp(r->data, k.p, k.len) == 0;
  }
  static uint64_t EntryHash(uint64_t seed, uint64_t v) {
    return Hash(seed, KeyOf(*Representative(v)));
  }
  static int Compare(const LeaseRecord& a, const LeaseRecord& b) {
    if (a.vpn != b.vpn) return a.vpn < b.vpn ? -1 : 1;
    if (a.client_id_len != b.client_id_len) return a.client_id_len < b.client_id_len ? -1 : 1;
    return std::memcmp(a.data, b.data, a.client_id_len);
  }
};

// ---------------------------------------------------------------------------
// One sharded index (§1, §3).

struct alignas(64) ShardMeta {  // writer-only bookkeeping, one line per shard
  uint64_t live = 0;             // entries
  uint64_t used = 0;             // entries + tombstones
  uint64_t rehashes = 0;
  size_t bytes_table = 0;
  size_t bytes_payload = 0;      // records (IP index) or groups (HW, client-id)
};

template <class Traits>
class Index {
 public:
  using Key = typename Traits::Key;
  struct Pos {
    uint32_t shard;
    uint64_t idx;
    uint64_t v;  // 0: not found
  };

  Index() = default;
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  void Init(int shard_bits, uint64_t capacity, uint64_t seed) {
    seed_ = seed;
    nshards_ = uint32_t{1} << shard_bits;
    shard_mask_ = nshards_ - 1;
    shard_shift_ = 64 - std::max(shard_bits, 1);
    tables_.reset(new std::atomic<Table*>[nshards_]);
    meta_.reset(new ShardMeta[nshards_]);
    const std::vector<uint64_t> caps(nshards_, capacity);
    const std::vector<Table*> tables = NewTables(caps);
    for (uint32_t s = 0; s < nshards_; ++s) {
      meta_[s].bytes_table = tables[s]->bytes;
      tables_[s].store(tables[s], std::memory_order_relaxed);
    }
  }
  // Frees the tables (not what they point at). No reader may be online.
  void Destroy() {
    for (uint32_t s = 0; s < nshards_; ++s) FreeTable(tables_[s].load(std::memory_order_relaxed));
    nshards_ = 0;
  }

  uint32_t nshards() const { return nshards_; }
  uint32_t ShardOf(uint64_t h) const { return static_cast<uint32_t>(h >> shard_shift_) & shard_mask_; }
  uint64_t seed() const { return seed_; }
  ShardMeta& meta(uint32_t s) { return meta_[s]; }
  const ShardMeta& meta(uint32_t s) const { return meta_[s]; }
  const Table* TableFor(uint64_t h) const {
    return tables_[ShardOf(h)].load(std::memory_order_acquire);
  }

  // ---- Reader: the slot value for `k`, 0 if absent (§3).
  uint64_t Find(const Key& k, uint64_t h) const {
    const Table* t = TableFor(h);  // acquire: the table's slots are initialised
    const std::atomic<uint64_t>* slots = t->slots();
    const uint64_t tag = TagOf(h);
    uint64_t i = h & t->mask;
    for (;;) {
      // acquire: the record/group behind the pointer is fully written.
      const uint64_t v = slots[i].load(std::memory_order_acquire);
      if ((v & ~kPtrMask) == tag) {
        if (Traits::Match(v, k)) return v;
      } else if (v == 0) {
        return 0;
      }
      i = (i + 1) & t->mask;
    }
  }

  // ---- Reader prefetch hints (§4): the first touches the home slot; the
  // second (once that line has arrived) probes to the first slot with the
  // key's tag and touches what it points at. Neither changes anything.
  void PrefetchSlot(uint64_t h) const {
    const Table* t = TableFor(h);
    __builtin_prefetch(&t->slots()[h & t->mask]);
  }
  void PrefetchEntry(uint64_t h) const {
    const Table* t = TableFor(h);
    const std::atomic<uint64_t>* slots = t->slots();
    const uint64_t tag = TagOf(h);
    for (uint64_t i = h & t->mask;; i = (i + 1) & t->mask) {
      const uint64_t v = slots[i].load(std::memory_order_acquire);
      if ((v & ~kPtrMask) == tag) {
        // A record spans two lines (header, then client-id/option 82 bytes);
        // a group's member array is usually within one.
        const char* p = reinterpret_cast<const char*>(v & kPtrMask & ~kGroupBit);
        __builtin_prefetch(p);
        if (!IsGroup(v)) __builtin_prefetch(p + 64);
        return;
      }
      if (v == 0) return;
    }
  }
  void Prefetch(PrefetchStage stage, uint64_t h) const {
    if (stage == PrefetchStage::kSlot) PrefetchSlot(h);
    else PrefetchEntry(h);
  }

  // ---- Writer
  Pos Locate(const Key& k, uint64_t h) const {
    const uint32_t s = ShardOf(h);
    const Table* t = tables_[s].load(std::memory_order_relaxed);
    const std::atomic<uint64_t>* slots = t->slots();
    const uint64_t tag = TagOf(h);
    for (uint64_t i = h & t->mask;; i = (i + 1) & t->mask) {
      const uint64_t v = slots[i].load(std::memory_order_relaxed);
      if ((v & ~kPtrMask) == tag && Traits::Match(v, k)) return Pos{s, i, v};
      if (v == 0) return Pos{s, 0, 0};
    }
  }

  // Points an existing entry at something else (same key, same tag).
  void Replace(const Pos& p, uint64_t bits) {
    Table* t = tables_[p.shard].load(std::memory_order_relaxed);
    t->slots()[p.idx].store((p.v & ~kPtrMask) | bits, std::memory_order_release);
  }

  // Adds an entry whose key is known to be absent. `q` retires a replaced
  // table; null when no reader can be online (BulkLoad), then it is freed.
  void Insert(uint64_t h, uint64_t bits, Qsbr* q) {
    const uint32_t s = ShardOf(h);
    ShardMeta& m = meta_[s];
    Table* t = tables_[s].load(std::memory_order_relaxed);
    std::atomic<uint64_t>* slots = t->slots();
    uint64_t i = h & t->mask;
    uint64_t v;
    while (IsLive(v = slots[i].load(std::memory_order_relaxed))) i = (i + 1) & t->mask;
    if (v == 0) {  // a fresh slot, not a reused tombstone
      if ((m.used + 1) * 4 > t->capacity() * 3) {
        // Grow, or (mostly tombstones) purge at the same size.
        Rehash(s, GrownCapacity(m.live + 1), q);
        Insert(h, bits, q);
        return;
      }
      ++m.used;
    }
    ++m.live;
    slots[i].store(TagOf(h) | bits, std::memory_order_release);
  }

  void Remove(const Pos& p, Qsbr* q) {
    ShardMeta& m = meta_[p.shard];
    Table* t = tables_[p.shard].load(std::memory_order_relaxed);
    std::atomic<uint64_t>* slots = t->slots();
    --m.live;
    if (slots[(p.idx + 1) & t->mask].load(std::memory_order_relaxed) == 0) {
      // End of a probe run: no key's probe sequence passes through here, so
      // the slot (and the tombstones right before it) can become empty.
      // Each store keeps that true for the slot before it (§3).
      uint64_t i = p.idx;
      slots[i].store(0, std::memory_order_release);
      --m.used;
      for (i = (i - 1) & t->mask; slots[i].load(std::memory_order_relaxed) == kTombstone;
           i = (i - 1) & t->mask) {
        slots[i].store(0, std::memory_order_release);
        --m.used;
      }
    } else {
      slots[p.idx].store(kTombstone, std::memory_order_release);
    }
    if (t->capacity() > kMinCapacity && m.live * 8 < t->capacity()) {
      Rehash(p.shard, GrownCapacity(m.live), q);  // shrink
    }
  }

  // Copies the live entries into a fresh table (`into`, or a new one of
  // `capacity`), publishes it, retires the old one (§3: readers still
  // probing the old table see a frozen snapshot).
  void Rehash(uint32_t s, uint64_t capacity, Qsbr* q, Table* into = nullptr) {
    ShardMeta& m = meta_[s];
    Table* old = tables_[s].load(std::memory_order_relaxed);
    Table* t = into != nullptr ? into : NewTable(capacity);
    const std::atomic<uint64_t>* from = old->slots();
    std::atomic<uint64_t>* to = t->slots();
    for (uint64_t i = 0; i <= old->mask; ++i) {
      const uint64_t v = from[i].load(std::memory_order_relaxed);
      if (!IsLive(v)) continue;
      uint64_t j = Traits::EntryHash(seed_, v) & t->mask;
      while (to[j].load(std::memory_order_relaxed) != 0) j = (j + 1) & t->mask;
      to[j].store(v, std::memory_order_relaxed);
    }
    tables_[s].store(t, std::memory_order_release);
    m.used = m.live;
    m.bytes_table = t->bytes;
    ++m.rehashes;
    if (q != nullptr) {
      q->Retire(old, FreeTable);
    } else {
      FreeTable(old);
    }
  }

  // BulkLoad: make room for n more entries in shard s without growing.
  void Reserve(uint32_t s, uint64_t n) {
    if (NeedsRoom(s, n)) Rehash(s, CapacityFor(meta_[s].live + n), nullptr);
  }
  // BulkLoad: Reserve() for every shard at once (n[s] more entries in shard
  // s), the new tables together in one block (NewTables). No reader online.
  void ReserveAll(std::span<const uint64_t> n) {
    std::vector<uint32_t> shards;
    std::vector<uint64_t> caps;
    for (uint32_t s = 0; s < nshards_; ++s) {
      if (!NeedsRoom(s, n[s])) continue;
      shards.push_back(s);
      caps.push_back(CapacityFor(meta_[s].live + n[s]));
    }
    const std::vector<Table*> tables = NewTables(caps);
    for (size_t i = 0; i < shards.size(); ++i) Rehash(shards[i], caps[i], nullptr, tables[i]);
  }
  bool NeedsRoom(uint32_t s, uint64_t n) const {
    const Table* t = tables_[s].load(std::memory_order_relaxed);
    const uint64_t want = meta_[s].live + n;
    return want * 4 > t->capacity() * 3 || meta_[s].used != meta_[s].live;
  }

  template <class F>
  void ForEachEntry(uint32_t s, F&& f) const {
    const Table* t = tables_[s].load(std::memory_order_relaxed);
    for (uint64_t i = 0; i <= t->mask; ++i) {
      const uint64_t v = t->slots()[i].load(std::memory_order_relaxed);
      if (IsLive(v)) f(v);
    }
  }
  template <class F>
  void ForEachEntry(F&& f) const {
    for (uint32_t s = 0; s < nshards_; ++s) ForEachEntry(s, f);
  }

  void AddStats(LeaseStoreStats& st, bool payload_is_records) const {
    st.bytes_indexes += nshards_ * (sizeof(std::atomic<Table*>) + sizeof(ShardMeta));
    for (uint32_t s = 0; s < nshards_; ++s) {
      const ShardMeta& m = meta_[s];
      st.bytes_indexes += m.bytes_table;
      (payload_is_records ? st.bytes_records : st.bytes_groups) += m.bytes_payload;
      st.rehashes += m.rehashes;
      st.tombstones += m.used - m.live;
    }
  }

 private:
  uint64_t seed_ = 0;
  uint32_t nshards_ = 0;
  uint32_t shard_mask_ = 0;
  int shard_shift_ = 63;
  std::unique_ptr<std::atomic<Table*>[]> tables_;  // read by readers
  std::unique_ptr<ShardMeta[]> meta_;              // writer only
};

// ---------------------------------------------------------------------------
// Client indexes (HW, client-id): one entry per client, a record or a group.

void RetireOrFree(Qsbr* q, void* p) {
  if (q != nullptr) {
    q->Retire(p, FreeBytesDeleter);
  } else {
    FreeBytes(p);
  }
}

template <class T>
void RetireGroup(Index<T>& idx, uint32_t shard, const Group* g, Qsbr* q) {
  idx.meta(shard).bytes_payload -= UsableBytes(g);
  RetireOrFree(q, const_cast<Group*>(g));
}
template <class T>
uint64_t PublishableGroup(Index<T>& idx, uint32_t shard, Group* g) {
  std::sort(g->members(), g->members() + g->n, NewestFirst);
  idx.meta(shard).bytes_payload += UsableBytes(g);
  return Bits(g) | kGroupBit;
}

template <class T>
void AddMember(Index<T>& idx, const LeaseRecord* r, Qsbr* q) {
  const typename T::Key k = T::KeyOf(*r);
  const uint64_t h = T::Hash(idx.seed(), k);
  const typename Index<T>::Pos pos = idx.Locate(k, h);
  if (pos.v == 0) {
    idx.Insert(h, Bits(r), q);
    return;
  }
  if (!IsGroup(pos.v)) {
    Group* g = AllocGroup(2);
    g->members()[0] = Rec(pos.v);
    g->members()[1] = r;
    idx.Replace(pos, PublishableGroup(idx, pos.shard, g));
    return;
  }
  const Group* old = GroupOf(pos.v);
  Group* g = AllocGroup(old->n + 1);
  std::copy(old->members(), old->members() + old->n, g->members());
  g->members()[old->n] = r;
  idx.Replace(pos, PublishableGroup(idx, pos.shard, g));
  RetireGroup(idx, pos.shard, old, q);
}

template <class T>
void RemoveMember(Index<T>& idx, const LeaseRecord* r, Qsbr* q) {
  const typename T::Key k = T::KeyOf(*r);
  const typename Index<T>::Pos pos = idx.Locate(k, T::Hash(idx.seed(), k));
  if (pos.v == 0) return;
  if (!IsGroup(pos.v)) {
    if (Rec(pos.v) == r) idx.Remove(pos, q);
    return;
  }
  const Group* old = GroupOf(pos.v);
  if (old->n == 2) {
    const LeaseRecord* other = old->members()[0] == r ? old->members()[1] : old->members()[0];
    idx.Replace(pos, Bits(other));
  } else {
    Group* g = AllocGroup(old->n - 1);
    uint32_t n = 0;
    for (uint32_t i = 0; i < old->n && n < g->n; ++i) {
      if (old->members()[i] != r) g->members()[n++] = old->members()[i];
    }
    idx.Replace(pos, PublishableGroup(idx, pos.shard, g));
  }
  RetireGroup(idx, pos.shard, old, q);
}

template <class T>
void ReplaceMember(Index<T>& idx, const LeaseRecord* old_r, const LeaseRecord* r, Qsbr* q) {
  const typename T::Key k = T::KeyOf(*r);
  const typename Index<T>::Pos pos = idx.Locate(k, T::Hash(idx.seed(), k));
  if (pos.v == 0) {
    AddMember(idx, r, q);
    return;
  }
  if (!IsGroup(pos.v)) {
    idx.Replace(pos, Bits(r));
    return;
  }
  const Group* old = GroupOf(pos.v);
  Group* g = AllocGroup(old->n);
  for (uint32_t i = 0; i < old->n; ++i) {
    g->members()[i] = old->members()[i] == old_r ? r : old->members()[i];
  }
  idx.Replace(pos, PublishableGroup(idx, pos.shard, g));
  RetireGroup(idx, pos.shard, old, q);
}

// Moves a lease's client-index membership from `old_r` (may be null) to `r`.
template <class T>
void UpdateClient(Index<T>& idx, const LeaseRecord* old_r, const LeaseRecord* r, Qsbr* q) {
  const bool had = old_r != nullptr && T::Has(*old_r);
  const bool has = r != nullptr && T::Has(*r);
  if (had && has && T::Compare(*old_r, *r) == 0) {
    ReplaceMember(idx, old_r, r, q);
    return;
  }
  if (had) RemoveMember(idx, old_r, q);
  if (has) AddMember(idx, r, q);
}

// BulkLoad's temporaries (~0.8 GB at 10 M leases), not value-initialised
// (every element read was written first): each fresh page already costs a
// kernel clear. Deliberately no MADV_HUGEPAGE here: on the 2-vCPU VM this
// was measured on, the first touch of fresh 2 MiB pages made a 10 M load
// cost 7.5 CPU seconds instead of 5.7 (the host backs them anew each time).
// Aborts if the memory is not there, as `new` did before.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : p_(std::malloc(std::max<size_t>(bytes, 1))) {
    if (p_ == nullptr) OutOfMemory("bulk-load scratch", bytes);
  }
  ~Scratch() { std::free(p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T>
  T* As() {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    return static_cast<T*>(p_);
  }

 private:
  void* p_;
};

// BulkLoad (§7) works on arrays in input order, filled in one parallel pass
// while each record is still in cache, so the later passes never chase a
// lease or a record pointer across memory.
struct BulkEntry {
  const LeaseRecord* r;  // null: invalid lease or out of memory
  uint64_t hip;          // HashIp
  uint64_t hhw;          // HwTraits::Hash, if kHasHw
  uint64_t hcid;         // CidTraits::Hash, if kHasCid
  uint32_t ip;
  VpnId vpn;
  uint32_t bytes;        // UsableBytes(r)
  uint8_t flags;
};
constexpr uint8_t kHasHw = 1;
constexpr uint8_t kHasCid = 2;
constexpr uint32_t kNoBucket = ~uint32_t{0};

// Stable parallel bucketing: returns start offsets (nbuckets + 1) into
// `out` (room for n items), which receives emit(i) for every i in [0, n)
// whose bucket(i) is not kNoBucket, grouped by bucket, in input order
// inside a bucket.
template <class Item, class BucketFn, class EmitFn>
std::vector<size_t> Scatter(size_t n, uint32_t nbuckets, BucketFn bucket, EmitFn emit, Item* o) {
  const size_t chunks = std::clamp<size_t>(n / 65536, 1, 64);
  const size_t per = (n + chunks - 1) / chunks;
  std::vector<size_t> hist(chunks * nbuckets, 0);
  ParallelForChunks(chunks, 1, [&](size_t cb, size_t ce) {
    for (size_t c = cb; c < ce; ++c) {
      size_t* h = &hist[c * nbuckets];
      for (size_t i = c * per, e = std::min(n, (c + 1) * per); i < e; ++i) {
        const uint32_t b = bucket(i);
        if (b != kNoBucket) ++h[b];
      }
    }
  });
  // hist[c][b] becomes chunk c's first output position in bucket b.
  std::vector<size_t> start(nbuckets + 1, 0);
  size_t pos = 0;
  for (uint32_t b = 0; b < nbuckets; ++b) {
    start[b] = pos;
    for (size_t c = 0; c < chunks; ++c) {
      const size_t k = hist[c * nbuckets + b];
      hist[c * nbuckets + b] = pos;
      pos += k;
    }
  }
  start[nbuckets] = pos;
  ParallelForChunks(chunks, 1, [&](size_t cb, size_t ce) {
    for (size_t c = cb; c < ce; ++c) {
      size_t* h = &hist[c * nbuckets];
      for (size_t i = c * per, e = std::min(n, (c + 1) * per); i < e; ++i) {
        const uint32_t b = bucket(i);
        if (b != kNoBucket) o[h[b]++] = emit(i);
      }
    }
  });
  return start;
}

// BulkLoad: builds a client index from scratch, shards in parallel, from
// the entries whose record survived the IP fill (`dead`, sorted, lists the
// records later duplicates replaced).
//
// Per shard, the entries are first grouped by key in a private scratch
// table (open addressing on the full 64-bit hash, members of one key
// chained), which counts the keys; then the shard's real table, sized
// beforehand with every shard's for as many keys as it has entries (an
// upper bound, §6 blocks), is filled in scratch order. This replaced a
// comparison sort of each shard by (hash, key): grouping needs equal keys
// together, not an order, and the sort was ~10 % of a 10 M-lease load.
// Records are read only where two full hashes are equal (same client, or a
// 64-bit collision), never to place an entry.
struct ClientItem {
  uint64_t h;
  const LeaseRecord* r;
};

template <class T>
void BulkBuildClient(Index<T>& idx, const BulkEntry* in, size_t n, uint8_t flag,
                     uint64_t BulkEntry::*hash, const std::vector<const LeaseRecord*>& dead,
                     ClientItem* items) {
  using Item = ClientItem;
  const std::vector<size_t> start = Scatter<Item>(
      n, idx.nshards(),
      [&](size_t i) {
        const BulkEntry& x = in[i];
        if (x.r == nullptr || (x.flags & flag) == 0) return kNoBucket;
        if (!dead.empty() && std::binary_search(dead.begin(), dead.end(), x.r)) return kNoBucket;
        return idx.ShardOf(x.*hash);
      },
      [&](size_t i) { return Item{in[i].*hash, in[i].r}; }, items);
  // Every shard's table sized at once, in one huge-page block (§6): for as
  // many keys as the shard has leases, an upper bound (clients with several
  // leases share a key), so never larger than a one-lease-per-client load.
  std::vector<uint64_t> want(idx.nshards());
  for (uint32_t s = 0; s < idx.nshards(); ++s) want[s] = start[s + 1] - start[s];
  idx.ReserveAll(want);
  constexpr uint32_t kEnd = ~uint32_t{0};
  struct Key {         // one scratch slot: a key and its members
    uint64_t h;
    uint32_t first;    // item index (within the shard) of the last member seen
    uint32_t count;    // 0: empty slot
  };
  const uint32_t nshards = idx.nshards();
  ParallelForChunks(nshards, 4, [&](size_t first_shard, size_t end_shard) {
    std::vector<Key> keys;        // reused across this chunk's shards
    std::vector<uint32_t> next;   // next[i]: previous member of item i's key
    for (auto s = static_cast<uint32_t>(first_shard); s < end_shard; ++s) {
      const Item* b = items + start[s];
      const auto m = static_cast<uint32_t>(start[s + 1] - start[s]);
      const uint64_t cap = CapacityFor(m);
      keys.assign(cap, Key{0, kEnd, 0});
      next.resize(m);
      uint64_t nkeys = 0;
      for (uint32_t i = 0; i < m; ++i) {
        const uint64_t h = b[i].h;
        for (uint64_t j = h & (cap - 1);; j = (j + 1) & (cap - 1)) {
          Key& k = keys[j];
          if (k.count == 0) {
            k = Key{h, i, 1};
            next[i] = kEnd;
            ++nkeys;
            break;
          }
          if (k.h == h && T::Compare(*b[k.first].r, *b[i].r) == 0) {
            next[i] = k.first;
            k.first = i;
            ++k.count;
            break;
          }
        }
      }
      idx.Reserve(s, nkeys);
      for (const Key& k : keys) {
        if (k.count == 0) continue;
        if (k.count == 1) {
          idx.Insert(k.h, Bits(b[k.first].r), nullptr);
          continue;
        }
        Group* g = AllocGroup(k.count);
        const LeaseRecord** out = g->members();
        for (uint32_t i = k.first; i != kEnd; i = next[i]) *out++ = b[i].r;
        idx.Insert(k.h, PublishableGroup(idx, s, g), nullptr);  // sorts newest first
      }
    }
  });
}

// ---------------------------------------------------------------------------
// Leases -> records

std::string IpText(uint32_t ip) {
  return absl::StrFormat("%d.%d.%d.%d", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

absl::Status ValidateLease(const LeaseRef& l) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease ", IpText(l.ip), " (vpn ", l.vpn, "): ", why));
  };
  if (l.hw.hlen > sizeof(l.hw.bytes)) {
    return bad(absl::StrCat("hw.hlen ", l.hw.hlen, " > 16: chaddr holds at most 16 bytes"));
  }
  if (l.client_id.size() > 255) {
    return bad(absl::StrCat("client_id is ", l.client_id.size(),
                            " bytes: option 61 carries at most 255"));
  }
  if (l.relay_agent_info.size() > 255) {
    return bad(absl::StrCat("relay_agent_info is ", l.relay_agent_info.size(),
                            " bytes: option 82 carries at most 255"));
  }
  if (l.vendor_class.size() > 255) {
    return bad(absl::StrCat("vendor_class is ", l.vendor_class.size(),
                            " bytes: option 60 carries at most 255"));
  }
  if (l.extra_options.size() > 0xffff) {
    return bad(absl::StrCat("extra_options is ", l.extra_options.size(),
                            " bytes: at most 65535 are stored"));
  }
  if (static_cast<uint8_t>(l.state) > static_cast<uint8_t>(LeaseState::kDeclined)) {
    return bad(absl::StrCat("state ", static_cast<int>(l.state), " is not a LeaseState"));
  }
  return absl::OkStatus();
}

// Builds the immutable record (validated lease). Null if out of memory.
LeaseRecord* NewRecord(const LeaseRef& l) {
  const size_t var = l.client_id.size() + l.relay_agent_info.size() + l.vendor_class.size() +
                     l.extra_options.size();
  void* mem = AllocBytes(sizeof(LeaseRecord) + var);
  if (mem == nullptr) return nullptr;
  auto* r = static_cast<LeaseRecord*>(mem);
  r->ip = l.ip;
  r->vpn = l.vpn;
  r->cltt = l.cltt;
  r->expire = l.expire;
  r->t1 = l.t1;
  r->t2 = l.t2;
  r->server_id = l.server_id;
  r->subnet_id = l.subnet_id;
  r->state = l.state;
  r->htype = l.hw.htype;
  r->hlen = l.hw.hlen;
  r->client_id_len = static_cast<uint8_t>(l.client_id.size());
  r->rai_len = static_cast<uint8_t>(l.relay_agent_info.size());
  r->vendor_class_len = static_cast<uint8_t>(l.vendor_class.size());
  r->extra_len = static_cast<uint16_t>(l.extra_options.size());
  std::memset(r->chaddr, 0, sizeof(r->chaddr));  // zero padding: HW keys compare 16 bytes
  std::memcpy(r->chaddr, l.hw.bytes, l.hw.hlen);
  uint8_t* d = r->data;
  for (const std::string_view s : {l.client_id, l.relay_agent_info, l.vendor_class,
                                   l.extra_options}) {
    if (!s.empty()) std::memcpy(d, s.data(), s.size());
    d += s.size();
  }
  return r;
}

uint64_t NewSeed(const void* self) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return Fmix(reinterpret_cast<uintptr_t>(self) ^ static_cast<uint64_t>(now) ^
              0x6c71645f6c656173ULL);
}

constexpr size_t kReclaimBacklog = 256;  // Upsert/Erase reclaim beyond this
constexpr size_t kMaxReportedErrors = 5;

}  // namespace

// ---------------------------------------------------------------------------

struct LeaseStore::Impl {
  uint64_t seed = 0;
  Index<IpTraits> ip;
  Index<HwTraits> hw;
  Index<CidTraits> cid;
  std::atomic<const AuthoritativeRanges*> ranges{nullptr};
};

LeaseStore::LeaseStore(LeaseStoreOptions opts) : impl_(std::make_unique<Impl>()) {
  uint32_t shards = std::clamp<uint32_t>(opts.shards, 1, 1u << 16);
  shards = std::bit_floor(shards);
  const int bits = std::countr_zero(shards);
  const uint64_t per_shard = (opts.expected_leases + shards - 1) / shards;
  const uint64_t cap = CapacityFor(per_shard);
  impl_->seed = NewSeed(this);
  impl_->ip.Init(bits, cap, impl_->seed);
  impl_->hw.Init(bits, cap, Fmix(impl_->seed + 1));
  impl_->cid.Init(bits, cap, Fmix(impl_->seed + 2));
  impl_->ranges.store(new AuthoritativeRanges(), std::memory_order_release);
}

LeaseStore::~LeaseStore() {
  Impl& m = *impl_;
  m.ip.ForEachEntry([](uint64_t v) { FreeBytes(const_cast<LeaseRecord*>(Rec(v))); });
  auto free_groups = [](uint64_t v) {
    if (IsGroup(v)) FreeBytes(const_cast<Group*>(GroupOf(v)));
  };
  m.hw.ForEachEntry(free_groups);
  m.cid.ForEachEntry(free_groups);
  m.ip.Destroy();
  m.hw.Destroy();
  m.cid.Destroy();
  delete m.ranges.load(std::memory_order_relaxed);
  // qsbr_ (destroyed after this body) frees whatever is still retired.
}

// ---- Readers

const LeaseRecord* LeaseStore::FindByIp(uint32_t ip, VpnId vpn) const {
  const Impl& m = *impl_;
  return Rec(m.ip.Find({ip, vpn}, HashIp(m.seed, vpn, ip)));
}

void LeaseStore::FindByIpBatch(const uint32_t* ips, size_t n, const LeaseRecord** out,
                               VpnId vpn) const {
  // Three passes over groups of kChunk keys (§4): hash + prefetch the home
  // slot; probe to the first tag match + prefetch the record; confirm.
  constexpr size_t kChunk = 16;
  const Impl& m = *impl_;
  uint64_t h[kChunk];
  const Table* t[kChunk];
  uint64_t cand[kChunk];
  for (size_t base = 0; base < n; base += kChunk) {
    const size_t c = std::min(kChunk, n - base);
    for (size_t i = 0; i < c; ++i) {
      h[i] = HashIp(m.seed, vpn, ips[base + i]);
      t[i] = m.ip.TableFor(h[i]);
      __builtin_prefetch(&t[i]->slots()[h[i] & t[i]->mask]);
    }
    for (size_t i = 0; i < c; ++i) {
      const std::atomic<uint64_t>* slots = t[i]->slots();
      const uint64_t tag = TagOf(h[i]);
      uint64_t j = h[i] & t[i]->mask;
      uint64_t v;
      for (;; j = (j + 1) & t[i]->mask) {
        v = slots[j].load(std::memory_order_acquire);
        if ((v & ~kPtrMask) == tag || v == 0) break;
      }
      cand[i] = v;
      if (v != 0) __builtin_prefetch(Rec(v));
    }
    for (size_t i = 0; i < c; ++i) {
      const uint64_t v = cand[i];
      const IpTraits::Key k{ips[base + i], vpn};
      if (v == 0) {
        out[base + i] = nullptr;
      } else if (IpTraits::Match(v, k)) {
        out[base + i] = Rec(v);
      } else {  // 16-bit tag collision (~1 in 65536 probes): full probe
        out[base + i] = Rec(m.ip.Find(k, h[i]));
      }
    }
  }
}

void LeaseStore::PrefetchIp(PrefetchStage stage, uint32_t ip, VpnId vpn) const {
  const Impl& m = *impl_;
  m.ip.Prefetch(stage, HashIp(m.seed, vpn, ip));
}

void LeaseStore::PrefetchHwAddr(PrefetchStage stage, uint8_t htype,
                                std::span<const uint8_t> chaddr, VpnId vpn) const {
  if (chaddr.empty() || chaddr.size() > 16) return;
  const Impl& m = *impl_;
  m.hw.Prefetch(stage, HwTraits::Hash(m.hw.seed(), HwTraits::MakeKey(vpn, htype, chaddr)));
}

LeaseGroupView LeaseStore::FindByHwAddr(uint8_t htype, std::span<const uint8_t> chaddr,
                                        VpnId vpn) const {
  if (chaddr.empty() || chaddr.size() > 16) return {};
  const Impl& m = *impl_;
  const HwTraits::Key k = HwTraits::MakeKey(vpn, htype, chaddr);
  return ViewOf(m.hw.Find(k, HwTraits::Hash(m.hw.seed(), k)));
}

LeaseGroupView LeaseStore::FindByClientId(std::span<const uint8_t> client_id, VpnId vpn) const {
  if (client_id.empty() || client_id.size() > 255) return {};
  const Impl& m = *impl_;
  const CidTraits::Key k{client_id.data(), static_cast<uint32_t>(client_id.size()), vpn};
  return ViewOf(m.cid.Find(k, CidTraits::Hash(m.cid.seed(), k)));
}

bool LeaseStore::IsAuthoritative(uint32_t ip, VpnId vpn) const {
  return impl_->ranges.load(std::memory_order_acquire)->Contains(vpn, ip);
}

// ---- Writer

absl::Status LeaseStore::Upsert(const Lease& lease) {
  const LeaseRef ref = LeaseRef::Of(lease);
  if (absl::Status st = ValidateLease(ref); !st.ok()) return st;
  Impl& m = *impl_;
  LeaseRecord* r = NewRecord(ref);
  if (r == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("lease ", IpText(lease.ip), ": out of memory for its record"));
  }
  const uint64_t h = HashIp(m.seed, lease.vpn, lease.ip);
  const auto pos = m.ip.Locate({lease.ip, lease.vpn}, h);
  const LeaseRecord* old = pos.v != 0 ? Rec(pos.v) : nullptr;
  ShardMeta& meta = m.ip.meta(pos.shard);
  meta.bytes_payload += UsableBytes(r);
  // §3: the IP slot first, then the client indexes; each store publishes a
  // complete record. The old record is retired only when unreachable.
  if (old != nullptr) {
    m.ip.Replace(pos, Bits(r));
  } else {
    m.ip.Insert(h, Bits(r), &qsbr_);
  }
  UpdateClient(m.hw, old, r, &qsbr_);
  UpdateClient(m.cid, old, r, &qsbr_);
  if (old != nullptr) {
    meta.bytes_payload -= UsableBytes(old);
    qsbr_.Retire(const_cast<LeaseRecord*>(old), FreeBytesDeleter);
  }
  if (qsbr_.pending() >= kReclaimBacklog) qsbr_.Reclaim();
  return absl::OkStatus();
}

bool LeaseStore::Erase(uint32_t ip, VpnId vpn) {
  Impl& m = *impl_;
  const uint64_t h = HashIp(m.seed, vpn, ip);
  const auto pos = m.ip.Locate({ip, vpn}, h);
  if (pos.v == 0) return false;
  const LeaseRecord* old = Rec(pos.v);
  m.ip.meta(pos.shard).bytes_payload -= UsableBytes(old);
  m.ip.Remove(pos, &qsbr_);
  UpdateClient(m.hw, old, nullptr, &qsbr_);
  UpdateClient(m.cid, old, nullptr, &qsbr_);
  qsbr_.Retire(const_cast<LeaseRecord*>(old), FreeBytesDeleter);
  if (qsbr_.pending() >= kReclaimBacklog) qsbr_.Reclaim();
  return true;
}

void LeaseStore::SetRanges(AuthoritativeRanges ranges) {
  auto* fresh = new AuthoritativeRanges(std::move(ranges));
  const AuthoritativeRanges* old = impl_->ranges.exchange(fresh, std::memory_order_acq_rel);
  qsbr_.Retire(const_cast<AuthoritativeRanges*>(old),
               [](void* p) { delete static_cast<AuthoritativeRanges*>(p); });
}

absl::Status LeaseStore::BulkLoad(std::span<const Lease> leases) {
  return BulkLoad(leases.size(), [&](size_t i, LeaseRef* out) {
    *out = LeaseRef::Of(leases[i]);
    return true;
  });
}

absl::Status LeaseStore::BulkLoad(size_t n, LeaseSource source) {
  Impl& m = *impl_;
  std::atomic<size_t> no_memory{0};
  std::atomic<size_t> invalid_count{0};
  std::unique_ptr<Scratch> in_mem;
  BulkEntry* in = nullptr;
  const bool empty = size() == 0;
  if (empty) {
    // 1. In input order, in parallel: validate, build each record and hash
    //    its three keys while it is in cache.
    in_mem = std::make_unique<Scratch>(n * sizeof(BulkEntry));
    in = in_mem->As<BulkEntry>();
    ParallelForChunks(n, 4096, [&](size_t b, size_t e) {
      LeaseRef l;
      for (size_t i = b; i < e; ++i) {
        BulkEntry& x = in[i];
        x.r = nullptr;
        x.flags = 0;
        if (!source(i, &l) || !ValidateLease(l).ok()) {
          invalid_count.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        LeaseRecord* r = NewRecord(l);
        if (r == nullptr) {
          no_memory.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        x.r = r;
        x.hip = HashIp(m.seed, l.vpn, l.ip);
        x.ip = l.ip;
        x.vpn = l.vpn;
        x.bytes = static_cast<uint32_t>(UsableBytes(r));
        if (HwTraits::Has(*r)) {
          x.hhw = HwTraits::Hash(m.hw.seed(), HwTraits::KeyOf(*r));
          x.flags |= kHasHw;
        }
        if (CidTraits::Has(*r)) {
          x.hcid = CidTraits::Hash(m.cid.seed(), CidTraits::KeyOf(*r));
          x.flags |= kHasCid;
        }
      }
    });
  } else {
    ParallelForChunks(n, 4096, [&](size_t b, size_t e) {
      size_t bad = 0;
      LeaseRef l;
      for (size_t i = b; i < e; ++i) bad += !source(i, &l) || !ValidateLease(l).ok();
      invalid_count.fetch_add(bad, std::memory_order_relaxed);
    });
  }
  const size_t invalid = invalid_count.load();
  std::vector<std::string> reasons;
  for (size_t i = 0; i < n && reasons.size() < kMaxReportedErrors && reasons.size() < invalid; ++i) {
    LeaseRef l;
    if (!source(i, &l)) {
      reasons.push_back(absl::StrCat("#", i, ": the source could not produce it"));
    } else if (absl::Status st = ValidateLease(l); !st.ok()) {
      reasons.push_back(absl::StrCat("#", i, ": ", st.message()));
    }
  }

  if (!empty) {
    // Not empty: readers may already hold pointers, so go through Upsert.
    for (size_t i = 0; i < n; ++i) {
      LeaseRef l;
      if (source(i, &l) && ValidateLease(l).ok() && !Upsert(l.ToLease()).ok()) {
        no_memory.fetch_add(1, std::memory_order_relaxed);
      }
    }
  } else {
    // 2. Bucket by IP shard, keeping input order inside a shard (so a later
    //    duplicate replaces an earlier one).
    struct IpItem {
      uint64_t h;
      const LeaseRecord* r;
      uint32_t ip;
      VpnId vpn;
      uint32_t bytes;
    };
    // One buffer for the bucketed items of all three indexes, one after
    // the other: fresh memory costs a kernel page clear per byte.
    Scratch items_mem(n * std::max(sizeof(IpItem), sizeof(ClientItem)));
    IpItem* items = items_mem.As<IpItem>();
    const uint32_t nshards = m.ip.nshards();
    const std::vector<size_t> start = Scatter<IpItem>(
        n, nshards,
        [&](size_t i) { return in[i].r == nullptr ? kNoBucket : m.ip.ShardOf(in[i].hip); },
        [&](size_t i) {
          const BulkEntry& x = in[i];
          return IpItem{x.hip, x.r, x.ip, x.vpn, x.bytes};
        },
        items);
    // 3. Fill the IP index, one task per shard (shards share nothing),
    //    its tables first sized together in one huge-page block (§6).
    //    Records replaced by a later duplicate are freed after step 4.
    std::vector<uint64_t> want(nshards);
    for (uint32_t s = 0; s < nshards; ++s) want[s] = start[s + 1] - start[s];
    m.ip.ReserveAll(want);
    std::vector<std::vector<const LeaseRecord*>> dead_per_shard(nshards);
    ParallelForChunks(nshards, 1, [&](size_t first_shard, size_t end_shard) {
      for (auto s = static_cast<uint32_t>(first_shard); s < end_shard; ++s) {
        m.ip.Reserve(s, start[s + 1] - start[s]);
        ShardMeta& meta = m.ip.meta(s);
        for (size_t j = start[s]; j < start[s + 1]; ++j) {
          const IpItem& it = items[j];
          meta.bytes_payload += it.bytes;
          const auto pos = m.ip.Locate({it.ip, it.vpn}, it.h);
          if (pos.v != 0) {
            meta.bytes_payload -= UsableBytes(Rec(pos.v));
            dead_per_shard[s].push_back(Rec(pos.v));
            m.ip.Replace(pos, Bits(it.r));
          } else {
            m.ip.Insert(it.h, Bits(it.r), nullptr);
          }
        }
      }
    });
    std::vector<const LeaseRecord*> dead;
    for (auto& d : dead_per_shard) dead.insert(dead.end(), d.begin(), d.end());
    dead_per_shard = {};
    std::sort(dead.begin(), dead.end());
    // 4. Client indexes from the surviving records.
    ClientItem* client_items = items_mem.As<ClientItem>();
    BulkBuildClient(m.hw, in, n, kHasHw, &BulkEntry::hhw, dead, client_items);
    BulkBuildClient(m.cid, in, n, kHasCid, &BulkEntry::hcid, dead, client_items);
    for (const LeaseRecord* r : dead) FreeBytes(const_cast<LeaseRecord*>(r));
  }

  if (invalid == 0 && no_memory.load() == 0) return absl::OkStatus();
  std::string msg = absl::StrCat("BulkLoad: kept ", n - invalid - no_memory.load(), " of ", n,
                                 " leases; ", invalid, " invalid");
  if (no_memory.load() != 0) absl::StrAppend(&msg, ", ", no_memory.load(), " out of memory");
  if (!reasons.empty()) {
    absl::StrAppend(&msg, invalid > reasons.size() ? "; first: " : ": ",
                    absl::StrJoin(reasons, "; "));
  }
  return no_memory.load() != 0 ? absl::ResourceExhaustedError(msg)
                               : absl::InvalidArgumentError(msg);
}

size_t LeaseStore::size() const {
  size_t n = 0;
  for (uint32_t s = 0; s < impl_->ip.nshards(); ++s) n += impl_->ip.meta(s).live;
  return n;
}

LeaseStoreStats LeaseStore::Stats() const {
  const Impl& m = *impl_;
  LeaseStoreStats st;
  st.leases = size();
  m.ip.AddStats(st, /*payload_is_records=*/true);
  m.hw.AddStats(st, false);
  m.cid.AddStats(st, false);
  st.retired_pending = qsbr_.pending();
  return st;
}

void LeaseStore::ForEach(const std::function<void(const LeaseRecord&)>& f) const {
  impl_->ip.ForEachEntry([&](uint64_t v) { f(*Rec(v)); });
}

}  // namespace lqd
