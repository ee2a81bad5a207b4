// SPDX-License-Identifier: Apache-2.0
// File: control/file_follower.cc
#include "control/file_follower.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "control/dhcpd_leases.h"
#include "control/kea_csv.h"

namespace lqd::control {
namespace {

// Bytes kept from just before the read offset: if they change, the file was
// rewritten in place (same inode, and maybe already longer than before).
// Lease blocks end alike, so the window spans several of them.
constexpr size_t kTailCheckBytes = 4096;
// Bound on remembered error keys; past it, errors may be reported again.
constexpr size_t kMaxReported = 100000;

// Reads from `offset` to EOF.
bool ReadFrom(int fd, uint64_t offset, std::string* out, std::string* err) {
  out->clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(offset + out->size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = std::strerror(errno);
      return false;
    }
    if (n == 0) return true;
    out->append(buf, static_cast<size_t>(n));
  }
}

bool ReadWholeFile(const std::string& path, std::string* out, std::string* err) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = std::strerror(errno);
    return false;
  }
  const bool ok = ReadFrom(fd, 0, out, err);
  close(fd);
  return ok;
}

uint64_t Fingerprint(const Lease& l) {
  std::string k;
  auto put = [&](const void* p, size_t n) { k.append(static_cast<const char*>(p), n); };
  auto str = [&](const std::string& s) {
    const uint32_t n = static_cast<uint32_t>(s.size());
    put(&n, sizeof n);
    k += s;
  };
  const uint32_t nums[] = {l.ip, l.vpn, l.cltt, l.expire, l.t1, l.t2, l.server_id, l.subnet_id,
                           static_cast<uint32_t>(l.state), l.hw.htype, l.hw.hlen};
  put(nums, sizeof nums);
  put(l.hw.bytes, l.hw.hlen);
  str(l.client_id);
  str(l.relay_agent_info);
  str(l.vendor_class);
  str(l.extra_options);
  return std::hash<std::string>{}(k);
}

FeedSource SourceOf(LeaseFileFormat f) {
  return f == LeaseFileFormat::kKeaCsv ? FeedSource::kKeaCsv : FeedSource::kDhcpdLeases;
}

}  // namespace

const char* LeaseFileFormatName(LeaseFileFormat f) {
  return f == LeaseFileFormat::kKeaCsv ? "kea-csv" : "dhcpd-leases";
}

FileFollower::FileFollower(FollowerConfig cfg, Replica& replica) : cfg_(std::move(cfg)), replica_(replica) {}

FileFollower::~FileFollower() { CloseFd(); }

void FileFollower::CloseFd() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void FileFollower::Report(FollowerPoll* out, const std::string& file, size_t line, std::string reason) {
  std::string key = absl::StrCat(file, "|", line, "|", reason);
  if (reported_.size() >= kMaxReported) reported_.clear();
  if (!reported_.insert(std::move(key)).second) return;
  out->errors.push_back({file, line, std::move(reason)});
}

FileFollower::Parsed FileFollower::ParseChunk(std::string_view text, size_t first_line) {
  Parsed p;
  if (cfg_.format == LeaseFileFormat::kDhcpdLeases) {
    DhcpdLeasesResult r = ParseDhcpdLeases(text, first_line, /*at_eof=*/false);
    for (auto& rec : r.records) p.records.push_back({std::move(rec.lease), false, rec.line});
    for (auto& e : r.errors) p.errors.emplace_back(e.line, std::move(e.reason));
    p.consumed = r.consumed;
    p.consumed_lines = r.consumed_lines;
    return p;
  }
  // Kea: complete lines only; the header (first non-blank line) names the
  // columns of every later chunk.
  const size_t last_nl = text.rfind('\n');
  if (last_nl == std::string_view::npos) return p;
  const std::string_view complete = text.substr(0, last_nl + 1);
  std::string buf;
  size_t line_shift;  // file line = parser line + line_shift
  if (header_.empty()) {
    size_t b = 0;
    while (b < complete.size()) {
      const size_t e = complete.find('\n', b);
      std::string_view l = complete.substr(b, e - b);
      while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
      if (!l.empty()) {
        header_ = std::string(l);
        break;
      }
      b = e + 1;
    }
    if (header_.empty()) {  // only blank lines so far
      p.consumed = complete.size();
      p.consumed_lines = std::count(complete.begin(), complete.end(), '\n');
      return p;
    }
    buf = std::string(complete);
    line_shift = first_line - 1;
  } else {
    buf = absl::StrCat(header_, "\n", absl::string_view(complete.data(), complete.size()));
    line_shift = first_line - 2;
  }
  auto r = ParseKeaCsv(buf);
  if (!r.ok()) {
    p.header_ok = false;
    p.header_error = std::string(r.status().message());
    header_.clear();
    return p;
  }
  for (auto& rec : r->records) p.records.push_back({std::move(rec.lease), rec.is_delete, rec.line + line_shift});
  for (auto& e : r->errors) p.errors.emplace_back(e.line + line_shift, std::move(e.reason));
  p.consumed = complete.size();
  p.consumed_lines = std::count(complete.begin(), complete.end(), '\n');
  return p;
}

// Kea refuses to start an LFC while X.pid names a live process, and a
// finished kea-lfc removes it; while it runs, X.2/X.1/X.completed change.
bool FileFollower::KeaLfcRunning(std::string* why) const {
  std::string text, err;
  if (!ReadWholeFile(cfg_.path + ".pid", &text, &err)) return false;
  long pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &pid) || pid <= 0) return false;
  if (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) {
    *why = absl::StrCat("kea-lfc (pid ", pid, ") holds ", cfg_.path, ".pid");
    return true;
  }
  return false;
}

void FileFollower::RememberTail() {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(offset_, kTailCheckBytes));
  tail_check_.resize(n);
  if (n > 0 && pread(fd_, tail_check_.data(), n, static_cast<off_t>(offset_ - n)) != static_cast<ssize_t>(n))
    tail_check_.clear();
}

bool FileFollower::FullRead(uint32_t now, FollowerPoll* out) {
  const bool kea = cfg_.format == LeaseFileFormat::kKeaCsv;
  std::string why;
  if (kea && KeaLfcRunning(&why)) {
    Report(out, cfg_.path, 0, "waiting: " + why);
    return false;
  }
  // Kea's own load order (loadLeasesFromFiles): X.completed, else X.2 then X.1.
  auto stat_id = [](const std::string& p) {
    FileId id;
    struct stat st{};
    if (stat(p.c_str(), &st) == 0) id = {true, st.st_dev, st.st_ino, st.st_size};
    return id;
  };
  std::vector<std::string> aux;
  std::vector<FileId> aux_before;
  if (kea) {
    for (const char* suffix : {".completed", ".2", ".1"}) {
      aux.push_back(cfg_.path + suffix);
      aux_before.push_back(stat_id(aux.back()));
    }
  }
  struct Source {
    std::string file;
    std::vector<Record> records;
  };
  std::vector<Source> sources;
  for (size_t i = 0; i < aux.size(); ++i) {
    if (!aux_before[i].exists) continue;
    if (i > 0 && aux_before[0].exists) break;  // X.completed holds X.2 + X.1
    std::string text, err;
    if (!ReadWholeFile(aux[i], &text, &err)) return false;  // renamed away under us: retry
    auto r = ParseKeaCsv(text);
    if (!r.ok()) {
      Report(out, aux[i], 0, absl::StrCat(r.status().message(), " (file ignored)"));
      continue;
    }
    Source s{aux[i], {}};
    for (auto& rec : r->records) s.records.push_back({std::move(rec.lease), rec.is_delete, rec.line});
    for (auto& e : r->errors) Report(out, aux[i], e.line, e.reason + " (skipped)");
    counters_.bad += r->errors.size();
    sources.push_back(std::move(s));
  }

  const int fd = open(cfg_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Report(out, cfg_.path, 0,
           absl::StrCat("cannot open: ", std::strerror(errno), " (waiting for the file; no lease is removed)"));
    return false;
  }
  struct stat st{};
  std::string text, err;
  if (fstat(fd, &st) != 0 || !ReadFrom(fd, 0, &text, &err)) {
    Report(out, cfg_.path, 0, absl::StrCat("cannot read: ", err.empty() ? std::strerror(errno) : err));
    close(fd);
    return false;
  }
  for (size_t i = 0; i < aux.size(); ++i) {
    if (!(stat_id(aux[i]) == aux_before[i])) {  // kea-lfc moved files under the read
      close(fd);
      return false;
    }
  }
  std::string saved_header = std::move(header_);
  header_.clear();
  Parsed p = ParseChunk(text, 1);
  if (!p.header_ok) {
    Report(out, cfg_.path, 1, absl::StrCat(p.header_error, " (file not followed until fixed)"));
    header_ = std::move(saved_header);
    close(fd);
    return false;
  }
  if (kea && header_.empty() && !text.empty()) {  // header line not complete yet
    close(fd);
    return false;
  }
  CloseFd();
  fd_ = fd;
  id_ = {true, st.st_dev, st.st_ino, st.st_size};
  for (auto& [line, reason] : p.errors) Report(out, cfg_.path, line, reason + " (skipped)");
  counters_.bad += p.errors.size();
  sources.push_back({cfg_.path, std::move(p.records)});
  offset_ = p.consumed;
  line_ = 1 + p.consumed_lines;
  RememberTail();

  // The complete set: the last record per address in load order, applied
  // in address order. A flat sorted array, not a node map: at a million
  // leases the map's inserts and lookups were half of the first read.
  struct Pick {
    uint32_t ip;
    const Record* rec;
    const std::string* file;
  };
  std::vector<Pick> last;
  size_t total = 0;
  for (const Source& s : sources) total += s.records.size();
  last.reserve(total);
  for (const Source& s : sources)
    for (const Record& r : s.records) last.push_back({r.lease.ip, &r, &s.file});
  // Stable: the rows of one address stay in load order, and the last wins.
  std::stable_sort(last.begin(), last.end(), [](const Pick& a, const Pick& b) { return a.ip < b.ip; });
  size_t kept = 0;
  for (size_t i = 0; i < last.size(); ++i) {
    if (i + 1 < last.size() && last[i + 1].ip == last[i].ip) continue;
    last[kept++] = last[i];
  }
  last.resize(kept);
  // Membership for the reconcile below: one probe each (a binary search
  // over `last` was a third of the first read at a million leases).
  absl::flat_hash_set<uint32_t> in_file;
  in_file.reserve(last.size());
  for (const Pick& p : last) in_file.insert(p.ip);
  const auto in_set = [&in_file](uint32_t ip) { return in_file.contains(ip); };
  const uint64_t applied0 = out->applied, removed0 = out->removed;
  for (const Pick& p : last) {
    ++counters_.records;
    ApplyRecord(*p.rec, *p.file, now, out);
  }
  std::vector<uint32_t> gone;
  for (const auto& [ip, o] : owned_)
    if (!in_set(ip)) gone.push_back(ip);
  for (uint32_t ip : gone) DeleteIfHeld(ip, std::nullopt, now, out);
  if (first_full_ && cfg_.sole_feed) {
    // Leases from a snapshot the file no longer has were deleted while lqd
    // was not looking; only this follower can know.
    std::vector<uint32_t> extra;
    replica_.store().ForEach([&](const LeaseRecord& r) {
      if (r.vpn == kGlobalVpn && !in_set(r.ip)) extra.push_back(r.ip);
    });
    for (uint32_t ip : extra) DeleteIfHeld(ip, std::nullopt, now, out);
  }
  ++counters_.full_reads;
  out->events.push_back(absl::StrCat(first_full_ ? "initial load" : "full re-read", ": ", last.size(),
                                     " addresses from ", sources.size(), " file(s); ", out->applied - applied0,
                                     " changed, ", out->removed - removed0, " removed"));
  first_full_ = false;
  return true;
}

void FileFollower::ApplyRecord(const Record& r, const std::string& file, uint32_t now, FollowerPoll* out) {
  if (r.is_delete) {
    // Kea's deletion row: expire = cltt = the time of the deletion.
    DeleteIfHeld(r.lease.ip, r.lease.expire, now, out);
    return;
  }
  const Lease& l = r.lease;
  const uint64_t fp = Fingerprint(l);
  const LeaseRecord* held = replica_.store().FindByIp(l.ip, l.vpn);
  if (auto it = owned_.find(l.ip); it != owned_.end() && it->second.fingerprint == fp && held != nullptr &&
                                    held->expire == l.expire && held->cltt == l.cltt)
    return;  // unchanged since this follower applied it (a re-read)
  LeaseUpdate u;
  u.lease = l;
  u.source = SourceOf(cfg_.format);
  absl::Status why;
  switch (replica_.Apply(u, now, &why)) {
    case Replica::Outcome::kApplied:
      owned_[l.ip] = {l.cltt, l.expire, fp};
      ++counters_.applied;
      ++out->applied;
      break;
    case Replica::Outcome::kStale:
      break;  // another feed holds a newer version
    case Replica::Outcome::kRejected:
      ++counters_.bad;
      Report(out, file, r.line, absl::StrCat("rejected by the store: ", why.message()));
      break;
  }
}

// Deletes the replica's lease for `ip` if it started no later than
// `deleted_at` (a deletion row), or, for an address that vanished from the
// file, if it is still the version this follower applied (or, on a sole
// feed's first read, any version). A lease another feed made newer stays.
void FileFollower::DeleteIfHeld(uint32_t ip, std::optional<uint32_t> deleted_at, uint32_t now,
                                FollowerPoll* out) {
  const LeaseRecord* held = replica_.store().FindByIp(ip, kGlobalVpn);
  auto it = owned_.find(ip);
  bool ok;
  if (deleted_at)
    ok = held != nullptr && held->cltt <= *deleted_at;
  else if (it != owned_.end())
    ok = held != nullptr && held->cltt == it->second.cltt && held->expire == it->second.expire;
  else
    ok = held != nullptr && first_full_ && cfg_.sole_feed;
  if (it != owned_.end()) owned_.erase(it);
  if (!ok) return;
  LeaseUpdate del;
  del.kind = LeaseUpdate::Kind::kDelete;
  del.lease.ip = ip;
  del.lease.cltt = held->cltt;
  del.lease.expire = held->expire;  // the delete wins over what is held; a newer lease later still does
  del.source = SourceOf(cfg_.format);
  if (replica_.Apply(del, now) == Replica::Outcome::kApplied) {
    ++counters_.removed;
    ++out->removed;
  }
}

void FileFollower::ReadNew(uint32_t now, FollowerPoll* out) {
  std::string text, err;
  if (!ReadFrom(fd_, offset_, &text, &err)) {
    Report(out, cfg_.path, 0, "cannot read: " + err);
    return;
  }
  if (text.empty()) return;
  Parsed p = ParseChunk(text, line_);
  if (!p.header_ok) {  // cannot happen after a good header; be safe
    Report(out, cfg_.path, 1, p.header_error);
    return;
  }
  for (const Record& r : p.records) {
    ++counters_.records;
    ApplyRecord(r, cfg_.path, now, out);
  }
  for (auto& [line, reason] : p.errors) Report(out, cfg_.path, line, reason + " (skipped)");
  counters_.bad += p.errors.size();
  offset_ += p.consumed;
  line_ += p.consumed_lines;
  if (p.consumed > 0) RememberTail();
}

void FileFollower::Tail(uint32_t now, FollowerPoll* out) {
  struct stat path_st{}, fd_st{};
  const bool at_path = stat(cfg_.path.c_str(), &path_st) == 0;
  if (fstat(fd_, &fd_st) != 0) {
    need_full_ = true;
    return;
  }
  if (at_path && (path_st.st_ino != id_.ino || path_st.st_dev != id_.dev)) {
    // Renamed away (Kea: X is X.1 now) and replaced: take what was appended
    // to the old file before switching, then reload the whole set.
    ReadNew(now, out);
    ++counters_.rotations;
    out->events.push_back("rotated (new inode at the path): re-reading");
    need_full_ = true;
    return;
  }
  if (!at_path) {
    // Between Kea's rename of X and its reopen, or the file was removed:
    // keep draining what is open, remove nothing.
    Report(out, cfg_.path, 0, "the file is gone from its path; following the open file until it is back");
    ReadNew(now, out);
    return;
  }
  bool rewritten = static_cast<uint64_t>(fd_st.st_size) < offset_;
  if (!rewritten && !tail_check_.empty()) {
    std::string now_bytes(tail_check_.size(), '\0');
    rewritten = pread(fd_, now_bytes.data(), now_bytes.size(),
                      static_cast<off_t>(offset_ - tail_check_.size())) != static_cast<ssize_t>(now_bytes.size()) ||
                now_bytes != tail_check_;
  }
  if (rewritten) {
    ++counters_.rotations;
    out->events.push_back("truncated or rewritten in place: re-reading");
    need_full_ = true;
    return;
  }
  if (static_cast<uint64_t>(fd_st.st_size) > offset_) ReadNew(now, out);
}

FollowerPoll FileFollower::Poll(uint32_t now) {
  FollowerPoll out;
  if (!need_full_) Tail(now, &out);
  if (need_full_ && FullRead(now, &out)) {
    need_full_ = false;
    loaded_ = true;
  }
  if (!need_full_) replica_.MarkSynced(SourceOf(cfg_.format), now);
  return out;
}

}  // namespace lqd::control
