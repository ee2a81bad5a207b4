// SPDX-License-Identifier: Apache-2.0
// File: control/persistence.cc
#include "control/persistence.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>


#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "control/crc32c.h"
#include "control/lease_codec.h"
#include "common/parallel.h"

namespace lqd::control {
namespace {

constexpr char kLeaseFileIdentityName[] = "snapshot.leases-file";

constexpr char kSnapMagic[8] = {'L', 'Q', 'D', 'S', 'N', 'A', 'P', '1'};
constexpr char kEndMagic[8] = {'L', 'Q', 'D', 'E', 'N', 'D', '0', '1'};
constexpr char kJournalMagic[8] = {'L', 'Q', 'D', 'J', 'R', 'N', 'L', '1'};
constexpr size_t kMaxRecord = 4096;  // a lease encodes to < 1 KiB

absl::Status Errno(const std::string& what) {
  const int e = errno;
  std::string hint;
  if (e == ENOSPC) hint = " (disk full: free space or move state-dir)";
  if (e == EROFS || e == EACCES) hint = " (state-dir not writable: check the mount and permissions)";
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(e), hint));
}

absl::Status WriteAll(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno(absl::StrCat("write ", path));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

void AppendRecord(std::string& out, std::string_view payload) {
  uint32_t len = static_cast<uint32_t>(payload.size());
  uint32_t crc = Crc32c(payload.data(), payload.size());
  out.append(reinterpret_cast<const char*>(&len), 4);
  out.append(reinterpret_cast<const char*>(&crc), 4);
  out.append(payload);
}

std::string JournalName(uint64_t gen) { return absl::StrCat("journal-", gen, ".lqj"); }

// Reads a whole file with read(2) into a buffer sized from fstat (one copy;
// a snapshot of 10 M leases is ~0.8 GB).
bool ReadFile(const std::string& path, std::string* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  size_t size = fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  out->resize(size + 1);  // one spare byte: reading it means the file grew
  size_t have = 0;
  for (;;) {
    if (have == out->size()) out->resize(out->size() * 2);
    const ssize_t r = read(fd, out->data() + have, out->size() - have);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      close(fd);
      return false;
    }
    if (r == 0) break;
    have += static_cast<size_t>(r);
  }
  close(fd);
  out->resize(have);
  return true;
}

void FsyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

// Journal generations present in `dir`, ascending.
std::vector<uint64_t> ListJournals(const std::string& dir) {
  std::vector<uint64_t> gens;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      unsigned long long g;
      char tail[8];
      if (sscanf(e->d_name, "journal-%llu.%7s", &g, tail) == 2 && strcmp(tail, "lqj") == 0)
        gens.push_back(g);
    }
    closedir(d);
  }
  std::sort(gens.begin(), gens.end());
  return gens;
}

// Maps a whole snapshot file (*size bytes) into *out, read-only. A private
// mapping of the page cache: no copy, and no fresh anonymous memory for the
// kernel to fault in and clear (a 10 M-lease snapshot is ~0.8 GB; reading
// it into a buffer cost ~0.65 of 5.3 CPU seconds of the whole start-up
// load). This is safe because lqd never changes snapshot.lqs in place: a
// new one is written to snapshot.tmp and renamed over it, so the inode we
// mapped keeps its bytes. (Truncating the file in place by hand while lqd
// starts would fault lqd with SIGBUS, as with any mapped file.) Falls back
// to read(2) into a buffer where the file cannot be mapped (empty, or a
// filesystem without mmap). false with errno set if it cannot be read.
bool ReadSnapshotFile(const std::string& path, SnapshotLeases::Bytes* out, size_t* size) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  const size_t len = fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  if (len > 0) {
    void* p = mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p != MAP_FAILED) {
      close(fd);
      *out = SnapshotLeases::Bytes(static_cast<char*>(p), SnapshotLeases::Free{len});
      *size = len;
      return true;
    }
  }
  // One spare byte: reading it means the file grew, and the buffer doubles.
  size_t cap = len + 1;
  SnapshotLeases::Bytes b(static_cast<char*>(std::malloc(cap)));
  size_t have = 0;
  for (;;) {
    if (b != nullptr && have == cap) {
      SnapshotLeases::Bytes bigger(static_cast<char*>(std::malloc(2 * cap)));
      if (bigger != nullptr) std::memcpy(bigger.get(), b.get(), have);
      b = std::move(bigger);
      cap *= 2;
    }
    if (b == nullptr) {
      close(fd);
      errno = ENOMEM;
      return false;
    }
    const ssize_t r = read(fd, b.get() + have, cap - have);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int e = errno;
      close(fd);
      errno = e;
      return false;
    }
    if (r == 0) break;
    have += static_cast<size_t>(r);
  }
  close(fd);
  *out = std::move(b);
  *size = have;
  return true;
}

// Checks a snapshot held in `bytes` (size n) and finds its records: every
// record's checksum and decoding, the count and the trailer. Returns an
// error message on any inconsistency, else "" with the payload offsets in
// *offsets.
std::string CheckSnapshot(const char* bytes, size_t n, uint64_t* next_gen, std::vector<uint64_t>* offsets) {
  if (n < 24 + 20 || memcmp(bytes, kSnapMagic, 8) != 0) return "bad header or too short";
  uint64_t count;
  memcpy(next_gen, bytes + 8, 8);
  memcpy(&count, bytes + 16, 8);
  // First pass (sequential, reads only the 8-byte record headers): record
  // boundaries, and the crc of the stored record crcs for the trailer.
  // Whether each record matches its stored crc is checked in parallel below.
  std::vector<uint64_t>& recs = *offsets;
  recs.clear();
  recs.reserve(std::min<uint64_t>(count, n / 8));
  size_t pos = 24;
  uint32_t crc_of_crcs = 0;
  const size_t end = n - 20;
  while (pos < end && recs.size() < count) {
    uint32_t len, crc;
    memcpy(&len, bytes + pos, 4);
    memcpy(&crc, bytes + pos + 4, 4);
    if (len > kMaxRecord || pos + 8 + len > end) return absl::StrCat("record ", recs.size(), " overruns the file at offset ", pos);
    crc_of_crcs = Crc32c(&crc, 4, crc_of_crcs);
    recs.push_back(pos + 8);
    pos += 8 + len;
  }
  uint64_t tcount;
  uint32_t tcrc;
  if (pos != end || memcmp(bytes + pos, kEndMagic, 8) != 0) return "trailer missing (truncated snapshot)";
  memcpy(&tcount, bytes + pos + 8, 8);
  memcpy(&tcrc, bytes + pos + 16, 4);
  if (tcount != count || recs.size() != count || tcrc != crc_of_crcs) return "trailer does not match the records";
  // Second pass, in parallel: each record's crc, then a decode into a view
  // (no allocation; BulkLoad decodes again, straight into the store). The
  // first failing record (lowest index) is reported.
  constexpr size_t kNone = ~size_t{0};
  std::atomic<size_t> bad_crc{kNone}, bad_decode{kNone};
  auto note = [](std::atomic<size_t>& first, size_t i) {
    size_t cur = first.load(std::memory_order_relaxed);
    while (i < cur && !first.compare_exchange_weak(cur, i, std::memory_order_relaxed)) {
    }
  };
  ParallelForChunks(recs.size(), 4096, [&](size_t begin, size_t end) {
    LeaseRef ref;
    LeaseUpdate::Kind kind;
    FeedSource source;
    for (size_t i = begin; i < end; ++i) {
      const char* p = bytes + recs[i];
      uint32_t len, crc;
      memcpy(&len, p - 8, 4);
      memcpy(&crc, p - 4, 4);
      if (Crc32c(p, len) != crc) {
        note(bad_crc, i);
        continue;
      }
      if (!DecodeLeaseRef(std::string_view(p, len), &kind, &source, &ref)) note(bad_decode, i);
    }
  });
  if (const size_t i = bad_crc.load(); i != kNone)
    return absl::StrCat("record ", i, " checksum mismatch at offset ", recs[i] - 8);
  if (const size_t i = bad_decode.load(); i != kNone)
    return absl::StrCat("record ", i, " at offset ", recs[i] - 8, " does not decode");
  return "";
}

}  // namespace

void SnapshotLeases::Free::operator()(char* p) const {
  if (mapped != 0) {
    munmap(p, mapped);
  } else {
    std::free(p);
  }
}

bool SnapshotLeases::Get(size_t i, LeaseRef* out) const {
  const char* p = bytes_.get() + offsets_[i];
  uint32_t len;
  memcpy(&len, p - 8, 4);
  LeaseUpdate::Kind kind;
  FeedSource source;
  return DecodeLeaseRef(std::string_view(p, len), &kind, &source, out);
}

Lease SnapshotLeases::at(size_t i) const {
  LeaseRef ref;
  return Get(i, &ref) ? ref.ToLease() : Lease{};
}

absl::StatusOr<std::unique_ptr<Persistence>> Persistence::Open(const std::string& dir, Recovered* out,
                                                               PersistenceLimits limits) {
  if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return Errno(absl::StrCat("create state-dir ", dir));
  std::unique_ptr<Persistence> p(new Persistence(dir));
  p->limits_ = limits;
  RecoveryReport& rep = out->report;

  uint64_t next_gen = 0;
  std::string bytes;
  const std::string snap = dir + "/snapshot.lqs";
  {
    SnapshotLeases::Bytes buf;
    size_t size = 0;
    if (ReadSnapshotFile(snap, &buf, &size)) {
      rep.snapshot_found = true;
      SnapshotLeases& s = out->snapshot;
      std::string err = CheckSnapshot(buf.get(), size, &next_gen, &s.offsets_);
      if (!err.empty()) {
        rep.snapshot_corrupt = true;
        rep.snapshot_error = absl::StrCat(snap, ": ", err);
        rep.warnings.push_back(absl::StrCat("snapshot rejected, not served: ", rep.snapshot_error));
        s.clear();
        next_gen = 0;
      } else {
        s.bytes_ = std::move(buf);
        std::string text;
        if (ReadFile(dir + "/" + kLeaseFileIdentityName, &text)) {
          const std::string gen = absl::StrCat(next_gen, " ");
          for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
            if (absl::StartsWith(line, gen)) {
              rep.snapshot_lease_file = std::string(line.substr(gen.size()));
              p->lease_file_line_ = absl::StrCat(line, "\n");
            }
          }
        }
      }
      rep.snapshot_leases = s.size();
    }
  }

  uint64_t last = next_gen;
  for (uint64_t g : ListJournals(dir)) {
    const std::string path = dir + "/" + JournalName(g);
    if (g < next_gen) {  // folded into the snapshot; left by a crash
      unlink(path.c_str());
      continue;
    }
    ++rep.journals;
    last = std::max(last, g);
    if (!ReadFile(path, &bytes)) continue;
    if (bytes.size() < 16 || memcmp(bytes.data(), kJournalMagic, 8) != 0) {
      rep.journal_bytes_discarded += bytes.size();
      rep.warnings.push_back(absl::StrCat(path, ": bad journal header, ", bytes.size(), " bytes ignored"));
      continue;
    }
    size_t pos = 16;
    while (pos + 8 <= bytes.size()) {
      uint32_t len, crc;
      memcpy(&len, bytes.data() + pos, 4);
      memcpy(&crc, bytes.data() + pos + 4, 4);
      std::optional<LeaseUpdate> u;
      if (len <= kMaxRecord && pos + 8 + len <= bytes.size() && Crc32c(bytes.data() + pos + 8, len) == crc)
        u = DecodeLeaseUpdate(std::string_view(bytes.data() + pos + 8, len));
      if (!u) break;
      out->journal.push_back(*std::move(u));
      ++rep.journal_records;
      pos += 8 + len;
    }
    if (pos < bytes.size()) {
      const size_t lost = bytes.size() - pos;
      rep.journal_bytes_discarded += lost;
      rep.warnings.push_back(absl::StrCat(path, ": ", lost, " bytes after offset ", pos,
                                          " fail their checksum (torn write or corruption), cut off"));
      if (truncate(path.c_str(), static_cast<off_t>(pos)) != 0)
        rep.warnings.push_back(absl::StrCat(path, ": cannot truncate: ", strerror(errno)));
    }
  }
  // Continue in a fresh journal so a torn tail is never appended to.
  if (auto st = p->OpenJournal(last + 1); !st.ok()) return st;
  return p;
}

Persistence::~Persistence() {
  if (journal_fd_ >= 0) {
    (void)Sync();
    close(journal_fd_);
  }
}

absl::Status Persistence::OpenJournal(uint64_t gen) {
  const std::string path = dir_ + "/" + JournalName(gen);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno(absl::StrCat("open ", path));
  std::string header(kJournalMagic, 8);
  header.append(reinterpret_cast<const char*>(&gen), 8);
  // On failure the half-made file goes: recovery must not meet a journal
  // without a whole header.
  if (auto st = WriteAll(fd, header.data(), header.size(), path); !st.ok()) {
    close(fd);
    unlink(path.c_str());
    return st;
  }
  if (fdatasync(fd) != 0) {
    auto st = Errno(absl::StrCat("fdatasync ", path));
    close(fd);
    unlink(path.c_str());
    return st;
  }
  FsyncDir(dir_);
  if (journal_fd_ >= 0) close(journal_fd_);
  journal_fd_ = fd;
  gen_ = gen;
  journal_size_ = static_cast<off_t>(header.size());
  return absl::OkStatus();
}

absl::Status Persistence::WritePending() {
  if (buffer_.empty()) return absl::OkStatus();
  auto st = WriteAll(journal_fd_, buffer_.data(), buffer_.size(), JournalName(gen_));
  if (st.ok()) {
    journal_size_ += static_cast<off_t>(buffer_.size());
    buffer_.clear();
    pending_updates_ = 0;
    return st;
  }
  // Disk full or read-only: cut what did get written, so the journal never
  // holds a torn record followed by good ones, and keep the buffer for the
  // next attempt. Past limits_.max_pending_bytes the buffer is dropped and only a
  // full snapshot can make the state directory complete again.
  if (ftruncate(journal_fd_, journal_size_) != 0 || lseek(journal_fd_, journal_size_, SEEK_SET) < 0)
    needs_snapshot_ = true;  // cannot tell what the journal holds any more
  if (buffer_.size() > limits_.max_pending_bytes) {
    lost_updates_ += pending_updates_;
    buffer_.clear();
    pending_updates_ = 0;
    needs_snapshot_ = true;
  }
  return st;
}

absl::Status Persistence::LostStatus() const {
  return absl::UnavailableError(absl::StrCat(
      "the journal could not record ", lost_updates_,
      " update(s) while the state directory was failing; they are served from memory and the next "
      "snapshot will store them"));
}

absl::Status Persistence::Append(const LeaseUpdate& u) {
  std::string payload;
  EncodeLeaseUpdate(u, payload);
  AppendRecord(buffer_, payload);
  ++since_snapshot_;
  ++pending_updates_;
  if (buffer_.size() >= (1 << 20)) return WritePending();
  return absl::OkStatus();
}

absl::Status Persistence::Flush() {
  if (auto st = WritePending(); !st.ok()) return st;
  return needs_snapshot_ ? LostStatus() : absl::OkStatus();
}

absl::Status Persistence::Sync() {
  if (auto st = WritePending(); !st.ok()) return st;
  if (fdatasync(journal_fd_) != 0) {
    // After a failed fdatasync the kernel may have dropped the dirty pages:
    // nothing since the last good sync can be trusted to be on disk.
    needs_snapshot_ = true;
    return Errno(absl::StrCat("fdatasync ", JournalName(gen_)));
  }
  return needs_snapshot_ ? LostStatus() : absl::OkStatus();
}

absl::Status Persistence::WriteSnapshot(const LeaseStore& store) {
  // After a failure, retry at most every kSnapshotRetry: each attempt may
  // write most of a snapshot before the disk fills again.
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (!last_snapshot_error_.ok() && ts.tv_sec < next_snapshot_try_) return last_snapshot_error_;
  next_snapshot_try_ = ts.tv_sec + limits_.snapshot_retry_seconds;
  last_snapshot_error_ = WriteSnapshotNow(store);
  return last_snapshot_error_;
}

absl::Status Persistence::WriteLeaseFileIdentity(uint64_t next_gen) {
  // Two lines at most: the current snapshot's (kept, should the new
  // snapshot's rename fail or be lost) and the new one's. Renamed and the
  // directory synced before the snapshot is renamed: a snapshot on disk
  // never lacks its line, even after a power loss.
  const std::string path = dir_ + "/" + kLeaseFileIdentityName;
  std::string text = lease_file_line_;
  if (!lease_file_identity_.empty()) absl::StrAppend(&text, next_gen, " ", lease_file_identity_, "\n");
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno(absl::StrCat("open ", tmp));
  absl::Status st = WriteAll(fd, text.data(), text.size(), tmp);
  if (st.ok() && fsync(fd) != 0) st = Errno(absl::StrCat("fsync ", tmp));
  close(fd);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Errno(absl::StrCat("rename ", tmp, " -> ", path));
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  FsyncDir(dir_);
  return absl::OkStatus();
}

absl::Status Persistence::WriteSnapshotNow(const LeaseStore& store) {
  // The snapshot covers every update, so pending or lost journal records
  // do not stop it: only the journal's own write and sync must work.
  if (auto st = WritePending(); !st.ok()) return st;
  if (fdatasync(journal_fd_) != 0) return Errno(absl::StrCat("fdatasync ", JournalName(gen_)));
  const uint64_t old_gen = gen_;
  if (auto st = OpenJournal(gen_ + 1); !st.ok()) return st;

  const std::string tmp = dir_ + "/snapshot.tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno(absl::StrCat("open ", tmp));
  std::string out(kSnapMagic, 8);
  const uint64_t next = gen_;
  uint64_t count = store.size();
  out.append(reinterpret_cast<const char*>(&next), 8);
  out.append(reinterpret_cast<const char*>(&count), 8);
  uint64_t written = 0;
  uint32_t crc_of_crcs = 0;
  std::string payload;
  absl::Status st;
  store.ForEach([&](const LeaseRecord& r) {
    if (!st.ok()) return;
    payload.clear();
    EncodeLeaseUpdate(UpdateFromRecord(r), payload);
    const uint32_t crc = Crc32c(payload.data(), payload.size());
    crc_of_crcs = Crc32c(&crc, 4, crc_of_crcs);
    AppendRecord(out, payload);
    ++written;
    if (out.size() >= (4 << 20)) {
      st = WriteAll(fd, out.data(), out.size(), tmp);
      out.clear();
    }
  });
  if (st.ok() && written != count) st = absl::InternalError("store size changed during snapshot");
  if (st.ok()) {
    out.append(kEndMagic, 8);
    out.append(reinterpret_cast<const char*>(&written), 8);
    out.append(reinterpret_cast<const char*>(&crc_of_crcs), 4);
    st = WriteAll(fd, out.data(), out.size(), tmp);
  }
  if (st.ok() && fsync(fd) != 0) st = Errno(absl::StrCat("fsync ", tmp));
  close(fd);
  if (st.ok()) st = WriteLeaseFileIdentity(next);
  if (st.ok() && rename(tmp.c_str(), (dir_ + "/snapshot.lqs").c_str()) != 0)
    st = Errno("rename snapshot.tmp -> snapshot.lqs");
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;  // the journals still hold everything
  }
  FsyncDir(dir_);
  lease_file_line_ = lease_file_identity_.empty() ? "" : absl::StrCat(next, " ", lease_file_identity_, "\n");
  for (uint64_t g : ListJournals(dir_))
    if (g <= old_gen) unlink((dir_ + "/" + JournalName(g)).c_str());
  since_snapshot_ = 0;
  needs_snapshot_ = false;
  lost_updates_ = 0;
  return absl::OkStatus();
}

}  // namespace lqd::control
