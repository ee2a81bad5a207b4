// SPDX-License-Identifier: Apache-2.0
// File: tests/control/persistence_test.cc
#include "control/persistence.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "control/crc32c.h"
#include "control/lease_codec.h"
#include "control/replica.h"

namespace lqd::control {
namespace {

namespace fs = std::filesystem;

LeaseUpdate Up(uint32_t ip, uint32_t expire) {
  LeaseUpdate u;
  u.lease.ip = ip;
  u.lease.hw.htype = 1;
  u.lease.hw.hlen = 6;
  u.lease.hw.bytes[5] = static_cast<uint8_t>(ip);
  u.lease.client_id = std::string("\x01\x02\x03", 3);
  u.lease.relay_agent_info = std::string("\x01\x03" "abc", 5);
  u.lease.vendor_class = "docsis";
  u.lease.extra_options = std::string("\x01\x04\xff\xff\xff\x00", 6);
  u.lease.cltt = expire - 600;
  u.lease.expire = expire;
  return u;
}

class PersistenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lqd-persist-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Persistence> Open(Recovered* r) {
    auto p = Persistence::Open(dir_.string(), r);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }
  // Writes a snapshot of `n` leases into dir_ and returns its bytes.
  std::string SnapshotOf(uint32_t n) {
    LeaseStore store;
    Replica replica(store);
    for (uint32_t i = 0; i < n; ++i) replica.Apply(Up(i, 5000), 100);
    {
      Recovered r;
      auto p = Open(&r);
      EXPECT_TRUE(p->WriteSnapshot(store).ok());
    }
    std::ifstream in(SnapshotPath(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void OverwriteSnapshot(const std::string& bytes) {
    std::ofstream out(SnapshotPath(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  fs::path SnapshotPath() const { return dir_ / "snapshot.lqs"; }
  fs::path dir_;
};

TEST_F(PersistenceTest, CodecRoundTrip) {
  LeaseUpdate u = Up(0x0A000001, 5000);
  u.kind = LeaseUpdate::Kind::kDelete;
  u.source = FeedSource::kKeaPull;
  std::string b;
  EncodeLeaseUpdate(u, b);
  auto d = DecodeLeaseUpdate(b);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->kind, u.kind);
  EXPECT_EQ(d->source, u.source);
  EXPECT_EQ(d->lease.ip, u.lease.ip);
  EXPECT_EQ(d->lease.hw, u.lease.hw);
  EXPECT_EQ(d->lease.client_id, u.lease.client_id);
  EXPECT_EQ(d->lease.relay_agent_info, u.lease.relay_agent_info);
  EXPECT_EQ(d->lease.vendor_class, u.lease.vendor_class);
  EXPECT_EQ(d->lease.extra_options, u.lease.extra_options);
  EXPECT_EQ(d->lease.expire, 5000u);
  for (size_t cut = 0; cut < b.size(); ++cut) EXPECT_FALSE(DecodeLeaseUpdate(b.substr(0, cut))) << cut;
  EXPECT_FALSE(DecodeLeaseUpdate(b + "x"));  // a trailing byte
}

TEST_F(PersistenceTest, CodecEveryFieldAndEveryBadByte) {
  LeaseUpdate u = Up(0x0A000002, 7000);
  u.lease.vpn = 3;
  u.lease.hw.hlen = 16;
  for (int k = 0; k < 16; ++k) u.lease.hw.bytes[k] = static_cast<uint8_t>(0xa0 + k);
  u.lease.state = LeaseState::kDeclined;
  u.lease.t1 = 11;
  u.lease.t2 = 22;
  u.lease.server_id = 0xc0a80001;
  u.lease.subnet_id = 77;
  u.lease.extra_options.assign(300, 'e');  // u16 length
  u.source = FeedSource::kDhcpdLeases;
  std::string b;
  EncodeLeaseUpdate(u, b);
  auto d = DecodeLeaseUpdate(b);
  ASSERT_TRUE(d.has_value());
  const Lease& l = d->lease;
  EXPECT_EQ(d->kind, LeaseUpdate::Kind::kUpsert);
  EXPECT_EQ(d->source, FeedSource::kDhcpdLeases);
  EXPECT_EQ(l.vpn, 3u);
  EXPECT_EQ(l.hw, u.lease.hw);
  EXPECT_EQ(l.state, LeaseState::kDeclined);
  EXPECT_EQ(l.cltt, 6400u);
  EXPECT_EQ(l.t1, 11u);
  EXPECT_EQ(l.t2, 22u);
  EXPECT_EQ(l.server_id, 0xc0a80001u);
  EXPECT_EQ(l.subnet_id, 77u);
  EXPECT_EQ(l.extra_options, u.lease.extra_options);
  // The allocation-free form sees the same bytes, in place.
  LeaseRef ref;
  LeaseUpdate::Kind kind;
  FeedSource source;
  ASSERT_TRUE(DecodeLeaseRef(b, &kind, &source, &ref));
  EXPECT_EQ(ref.client_id.data(), b.data() + 12 + 16 + 26);
  EXPECT_EQ(ref.ToLease().relay_agent_info, u.lease.relay_agent_info);
  // Out-of-range kind, source, hlen, state: each rejected.
  for (size_t at : {size_t{0}, size_t{1}, size_t{11}, size_t{12 + 16}}) {
    std::string bad = b;
    bad[at] = static_cast<char>(0x40);
    EXPECT_FALSE(DecodeLeaseUpdate(bad)) << at;
  }
}

TEST_F(PersistenceTest, JournalSurvivesReopen) {
  {
    Recovered r;
    auto p = Open(&r);
    EXPECT_FALSE(r.report.snapshot_found);
    for (uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE(p->Append(Up(i, 5000 + i)).ok());
    ASSERT_TRUE(p->Sync().ok());
  }
  Recovered r;
  auto p = Open(&r);
  ASSERT_EQ(r.journal.size(), 1000u);
  EXPECT_EQ(r.journal[999].lease.expire, 5999u);
  EXPECT_FALSE(r.report.needs_full_reconcile());
}

// "journal-fsync": "interval" acknowledges after Flush(): the records are
// in the kernel's page cache, so a crash of lqd loses none of them. A child
// process appends, flushes and dies with _exit (no destructor, no Sync),
// as lqd does under kill -9.
TEST_F(PersistenceTest, FlushedRecordsSurviveTheProcess) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Recovered r;
    auto p = Persistence::Open(dir_.string(), &r);
    bool ok = p.ok();
    for (uint32_t i = 0; ok && i < 100; ++i) ok = (*p)->Append(Up(i, 5000)).ok();
    ok = ok && (*p)->Flush().ok();
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Recovered r;
  auto p = Open(&r);
  EXPECT_EQ(r.journal.size(), 100u);
}

TEST_F(PersistenceTest, SnapshotPlusLaterJournal) {
  LeaseStore store;
  Replica replica(store);
  {
    Recovered r;
    auto p = Open(&r);
    for (uint32_t i = 0; i < 500; ++i) {
      replica.Apply(Up(i, 5000), 100);
      ASSERT_TRUE(p->Append(Up(i, 5000)).ok());
    }
    ASSERT_TRUE(p->WriteSnapshot(store).ok());
    for (uint32_t i = 500; i < 600; ++i) ASSERT_TRUE(p->Append(Up(i, 5000)).ok());
    ASSERT_TRUE(p->Sync().ok());
  }
  Recovered r;
  auto p = Open(&r);
  EXPECT_TRUE(r.report.snapshot_found);
  EXPECT_FALSE(r.report.snapshot_corrupt);
  EXPECT_EQ(r.snapshot.size(), 500u);
  EXPECT_EQ(r.journal.size(), 100u);  // older journal folded into the snapshot
  EXPECT_EQ(r.journal.front().lease.ip, 500u);
  // Loading it back reproduces the store.
  LeaseStore again;
  ASSERT_TRUE(again.BulkLoad(r.snapshot.size(), [&](size_t i, LeaseRef* out) {
                     return r.snapshot.Get(i, out);
                   }).ok());
  EXPECT_EQ(again.size(), 500u);
  QsbrReader reader(again.qsbr());
  const LeaseRecord* l = again.FindByIp(7);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->relay_agent_info().size(), 5u);
  EXPECT_EQ(l->vendor_class().size(), 6u);
}

TEST_F(PersistenceTest, TornJournalTailIsCutAndReported) {
  {
    Recovered r;
    auto p = Open(&r);
    for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(p->Append(Up(i, 5000)).ok());
    ASSERT_TRUE(p->Sync().ok());
  }
  // A crash in the middle of writing the 11th record.
  fs::path j;
  for (auto& e : fs::directory_iterator(dir_)) j = e.path();
  std::string partial;
  EncodeLeaseUpdate(Up(10, 5000), partial);
  {
    std::ofstream out(j, std::ios::app | std::ios::binary);
    uint32_t len = static_cast<uint32_t>(partial.size()), crc = 0;
    out.write(reinterpret_cast<const char*>(&len), 4);
    out.write(reinterpret_cast<const char*>(&crc), 4);
    out.write(partial.data(), 7);
  }
  Recovered r;
  auto p = Open(&r);
  EXPECT_EQ(r.journal.size(), 10u);
  EXPECT_EQ(r.report.journal_bytes_discarded, 15u);
  ASSERT_EQ(r.report.warnings.size(), 1u);
  EXPECT_NE(r.report.warnings[0].find("offset"), std::string::npos);
}

TEST_F(PersistenceTest, CorruptOrTruncatedSnapshotIsNeverServed) {
  const std::string bytes = SnapshotOf(100);
  for (int variant = 0; variant < 2; ++variant) {
    std::string bad = bytes;
    if (variant == 0) bad[bytes.size() / 2] ^= 0x40;  // flip one bit in the middle
    else bad.resize(bytes.size() - 30);               // truncated
    OverwriteSnapshot(bad);
    Recovered r;
    auto p = Open(&r);
    EXPECT_TRUE(r.report.snapshot_corrupt) << variant;
    EXPECT_TRUE(r.snapshot.empty());
    EXPECT_TRUE(r.report.needs_full_reconcile());
    EXPECT_FALSE(r.report.snapshot_error.empty());
    p.reset();
    OverwriteSnapshot(bytes);  // restore for the next variant
  }
}

// A record whose checksums all hold but whose payload does not decode (a
// writer bug, not disk corruption): the whole snapshot is still refused,
// before any of it reaches the store.
TEST_F(PersistenceTest, SnapshotRecordThatDoesNotDecodeIsNeverServed) {
  std::string bytes = SnapshotOf(50);
  // Record 7: kind 9, its crc and the trailer's crc-of-crcs recomputed.
  size_t pos = 24;
  uint32_t crc_of_crcs = 0;
  for (int i = 0; i < 50; ++i) {
    uint32_t len;
    memcpy(&len, bytes.data() + pos, 4);
    if (i == 7) {
      bytes[pos + 8] = 9;
      const uint32_t crc = Crc32c(bytes.data() + pos + 8, len);
      memcpy(bytes.data() + pos + 4, &crc, 4);
    }
    crc_of_crcs = Crc32c(bytes.data() + pos + 4, 4, crc_of_crcs);
    pos += 8 + len;
  }
  ASSERT_EQ(pos, bytes.size() - 20);
  memcpy(bytes.data() + pos + 16, &crc_of_crcs, 4);
  OverwriteSnapshot(bytes);
  Recovered r;
  auto p = Open(&r);
  EXPECT_TRUE(r.report.snapshot_corrupt);
  EXPECT_TRUE(r.snapshot.empty());
  EXPECT_NE(r.report.snapshot_error.find("record 7 "), std::string::npos) << r.report.snapshot_error;
  EXPECT_NE(r.report.snapshot_error.find("does not decode"), std::string::npos) << r.report.snapshot_error;
}

// The snapshot's leases come back through the allocation-free path exactly
// as they were stored, including a later duplicate of an address in the
// lease list that BulkLoad is also given (the snapshot, loaded last, wins).
TEST_F(PersistenceTest, SnapshotLeasesDecodeInPlace) {
  LeaseStore store;
  Replica replica(store);
  for (uint32_t i = 0; i < 20; ++i) replica.Apply(Up(i, 5000 + i), 100);
  {
    Recovered r;
    auto p = Open(&r);
    ASSERT_TRUE(p->WriteSnapshot(store).ok());
  }
  Recovered r;
  auto p = Open(&r);
  ASSERT_EQ(r.snapshot.size(), 20u);
  for (size_t i = 0; i < r.snapshot.size(); ++i) {
    const Lease l = r.snapshot.at(i);
    EXPECT_EQ(l.expire, 5000 + l.ip);
    EXPECT_EQ(l.vendor_class, "docsis");
  }
  std::vector<Lease> initial = {Up(3, 700).lease, Up(1000, 800).lease};  // 3 is also in the snapshot
  LeaseStore again;
  const size_t ni = initial.size();
  ASSERT_TRUE(again
                  .BulkLoad(ni + r.snapshot.size(),
                            [&](size_t i, LeaseRef* out) {
                              if (i < ni) {
                                *out = LeaseRef::Of(initial[i]);
                                return true;
                              }
                              return r.snapshot.Get(i - ni, out);
                            })
                  .ok());
  EXPECT_EQ(again.size(), 21u);
  QsbrReader reader(again.qsbr());
  ASSERT_NE(again.FindByIp(3), nullptr);
  EXPECT_EQ(again.FindByIp(3)->expire, 5003u);
  ASSERT_NE(again.FindByIp(1000), nullptr);
  EXPECT_EQ(again.FindByIp(1000)->expire, 800u);
}

// snapshot.leases-file names the lease file each snapshot already holds.
// A crash (or a lost rename after a power cut) may leave the previous
// snapshot in place after the next one's line was written: the previous
// snapshot still finds its own line.
TEST_F(PersistenceTest, EverySnapshotOnDiskFindsItsLeaseFileLine) {
  LeaseStore store;
  Replica replica(store);
  replica.Apply(Up(1, 5000), 100);
  {
    Recovered r;
    auto p = Open(&r);
    p->set_lease_file_identity("size=10,crc32c=0000abcd");
    ASSERT_TRUE(p->WriteSnapshot(store).ok());
  }
  const std::string first = [&] {
    std::ifstream in(SnapshotPath(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  {
    Recovered r;
    auto p = Open(&r);
    EXPECT_EQ(r.report.snapshot_lease_file, "size=10,crc32c=0000abcd");
    p->set_lease_file_identity("size=10,crc32c=0000abcd");
    ASSERT_TRUE(p->WriteSnapshot(store).ok());
  }
  {
    Recovered r;
    Open(&r);
    EXPECT_EQ(r.report.snapshot_lease_file, "size=10,crc32c=0000abcd") << "the newer snapshot lost its line";
  }
  OverwriteSnapshot(first);  // the newer snapshot's rename never made it to disk
  {
    Recovered r;
    Open(&r);
    EXPECT_TRUE(r.report.snapshot_found && !r.report.snapshot_corrupt);
    EXPECT_EQ(r.report.snapshot_lease_file, "size=10,crc32c=0000abcd") << "the older snapshot lost its line";
  }
  // A run without a lease file: its snapshot records none.
  {
    Recovered r;
    auto p = Open(&r);
    ASSERT_TRUE(p->WriteSnapshot(store).ok());
  }
  Recovered r;
  Open(&r);
  EXPECT_EQ(r.report.snapshot_lease_file, "");
}

TEST_F(PersistenceTest, UnwritableStateDirIsAClearError) {
  Recovered r;
  auto p = Persistence::Open("/proc/lqd-cannot-exist/state", &r);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(p.status().message()).find("state-dir"), std::string::npos) << p.status();
}

TEST_F(PersistenceTest, EmptyStoreSnapshotLoads) {
  LeaseStore store;
  {
    Recovered r;
    auto p = Open(&r);
    ASSERT_TRUE(p->WriteSnapshot(store).ok());
  }
  Recovered r;
  auto p = Open(&r);
  EXPECT_TRUE(r.report.snapshot_found);
  EXPECT_FALSE(r.report.snapshot_corrupt) << r.report.snapshot_error;
}

// ---- Disk full at run time, on a small tmpfs the test mounts
// (root only; skipped otherwise). lqd keeps serving from memory meanwhile:
// the Persistence calls fail with a clear message, and recover by themselves.
class PersistenceFaultTest : public PersistenceTest {
 protected:
  void SetUp() override {
    PersistenceTest::SetUp();
    fs::create_directories(dir_);
    const std::string cmd = "mount -t tmpfs -o size=256k lqd-test " + dir_.string() + " 2>/dev/null";
    if (geteuid() != 0 || std::system(cmd.c_str()) != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
    mounted_ = true;
    state_ = dir_ / "state";
  }
  void TearDown() override {
    if (mounted_) (void)std::system(("umount -l " + dir_.string()).c_str());
    PersistenceTest::TearDown();
  }
  // Fills the tmpfs until write() says ENOSPC.
  void FillDisk() {
    std::ofstream f(dir_ / "filler", std::ios::binary);
    std::string chunk(4096, 'x');
    while (f.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && f.flush()) {
    }
  }
  void FreeDisk() { fs::remove(dir_ / "filler"); }
  std::unique_ptr<Persistence> OpenState(Recovered* r, PersistenceLimits limits = {}) {
    auto p = Persistence::Open(state_.string(), r, limits);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }
  bool mounted_ = false;
  fs::path state_;
};

TEST_F(PersistenceFaultTest, DiskFullKeepsTheBacklogAndRecoversWhenSpaceReturns) {
  constexpr uint32_t kRecords = 300;
  {
    Recovered r;
    auto p = OpenState(&r);
    for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(p->Append(Up(0x0A000000 + i, 5000)).ok());
    ASSERT_TRUE(p->Sync().ok());

    FillDisk();
    // More than the page tmpfs already gave the journal (~60 B per record).
    for (uint32_t i = 10; i < kRecords; ++i) ASSERT_TRUE(p->Append(Up(0x0A000000 + i, 5000)).ok());
    absl::Status st = p->Sync();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(std::string(st.message()).find("disk full"), std::string::npos) << st;
    EXPECT_GT(p->pending_bytes(), 0u) << "the updates stay buffered for the next try";
    EXPECT_FALSE(p->Flush().ok()) << "still full";
    // A snapshot cannot be written either, and leaves no half file behind.
    LeaseStore store;
    EXPECT_FALSE(p->WriteSnapshot(store).ok());
    EXPECT_FALSE(fs::exists(state_ / "snapshot.tmp"));

    FreeDisk();
    st = p->Sync();
    EXPECT_TRUE(st.ok()) << st;
    EXPECT_EQ(p->pending_bytes(), 0u);
  }
  // Every update, from before and during the full disk, is in the journal,
  // with no torn record in the middle.
  Recovered r;
  auto p = OpenState(&r);
  EXPECT_EQ(r.journal.size(), kRecords);
  EXPECT_EQ(r.report.journal_bytes_discarded, 0u);
  EXPECT_TRUE(r.report.warnings.empty()) << r.report.warnings[0];
  for (uint32_t i = 0; i < r.journal.size(); ++i) EXPECT_EQ(r.journal[i].lease.ip, 0x0A000000 + i);
}

TEST_F(PersistenceFaultTest, BacklogOverTheLimitIsDroppedAndASnapshotRestoresDurability) {
  LeaseStore store;
  {
    Recovered r;
    PersistenceLimits limits;
    limits.max_pending_bytes = 2000;  // a few records
    limits.snapshot_retry_seconds = 0;
    auto p = OpenState(&r, limits);
    FillDisk();
    for (uint32_t i = 0; i < 200; ++i) {
      LeaseUpdate u = Up(0x0A000000 + i, 5000);
      ASSERT_TRUE(store.Upsert(u.lease).ok());  // what the replica serves meanwhile
      (void)p->Append(u);
    }
    absl::Status st = p->Sync();
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(p->needs_snapshot());
    EXPECT_EQ(p->appended_since_snapshot(), UINT64_MAX) << "the caller's snapshot trigger fires";
    FreeDisk();
    st = p->Sync();
    ASSERT_FALSE(st.ok()) << "records were dropped: not durable until a snapshot";
    EXPECT_NE(std::string(st.message()).find("next snapshot"), std::string::npos) << st;
    ASSERT_TRUE(p->WriteSnapshot(store).ok());
    EXPECT_FALSE(p->needs_snapshot());
    EXPECT_TRUE(p->Sync().ok());
  }
  Recovered r;
  auto p = OpenState(&r);
  EXPECT_EQ(r.snapshot.size(), 200u);
  EXPECT_TRUE(r.journal.empty());
  EXPECT_FALSE(r.report.needs_full_reconcile());
}

}  // namespace
}  // namespace lqd::control
