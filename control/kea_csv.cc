// SPDX-License-Identifier: Apache-2.0
// File: control/kea_csv.cc
#include "control/kea_csv.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "control/kea_csv_line.h"
#include "control/whole_file.h"
#include "common/parallel.h"

namespace lqd::control {
namespace {

// Lines [begin, end) of the body, as parsed by one task. Line numbers in
// the records and `errors` count from 1 within the chunk until ParseChunks
// renumbers the errors (records keep theirs: first_line turns them into
// file line numbers).
struct Chunk {
  size_t begin = 0, end = 0;  // byte offsets into the text, at line starts
  size_t lines = 0;           // lines in the chunk
  size_t first_line = 0;      // 1-based file line of `begin`
  KeaCsvLeaseSet::Arena arena;
  std::vector<LineError> errors;
};

void ParseChunk(absl::string_view text, const KeaCsvColumns& c, Chunk& ch) {
  std::vector<absl::string_view> fields;
  size_t n = 0;
  for (size_t pos = ch.begin; pos < ch.end; ++n) {
    const void* nlp = std::memchr(text.data() + pos, '\n', ch.end - pos);
    const size_t stop = nlp == nullptr ? ch.end : static_cast<size_t>(static_cast<const char*>(nlp) - text.data());
    const absl::string_view line = absl::StripTrailingAsciiWhitespace(text.substr(pos, stop - pos));
    pos = stop + 1;
    if (!line.empty()) ParseKeaCsvLine(line, n + 1, c, fields, ch.arena, ch.errors);
  }
  ch.lines = n;
}

// The whole text, parsed in parallel chunks of whole lines (a 10 M-lease
// file is ~1.7 GB), in file order. Each chunk counts its own lines while it
// parses; error line numbers become file line numbers here, record line
// numbers only where a caller keeps them (ParseKeaCsv).
absl::StatusOr<std::vector<Chunk>> ParseChunks(absl::string_view text, size_t* next_line = nullptr) {
  // The header: the first line that is not blank.
  size_t pos = 0, first = 0;
  absl::string_view header_line;
  for (;; ++first) {
    if (pos > text.size()) return absl::InvalidArgumentError("lease file is empty: no header line");
    size_t nl = text.find('\n', pos);
    if (nl == absl::string_view::npos) nl = text.size();
    header_line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!absl::StripAsciiWhitespace(header_line).empty()) break;
  }
  std::map<std::string, size_t> col;
  std::vector<absl::string_view> header = absl::StrSplit(absl::StripTrailingAsciiWhitespace(header_line), ',');
  for (size_t i = 0; i < header.size(); ++i) col[std::string(header[i])] = i;
  for (const char* need : {"address", "hwaddr", "valid_lifetime", "expire", "state"}) {
    if (!col.count(need))
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", first + 1, ": header lacks column '", need,
          "'; expected a Kea memfile header like address,hwaddr,client_id,valid_lifetime,expire,..."));
  }
  auto at = [&](const char* name) {
    auto it = col.find(name);
    return it == col.end() ? -1 : static_cast<int>(it->second);
  };
  KeaCsvColumns c;
  c.address = at("address");
  c.hwaddr = at("hwaddr");
  c.client_id = at("client_id");
  c.valid = at("valid_lifetime");
  c.expire = at("expire");
  c.subnet = at("subnet_id");
  c.state = at("state");
  c.user_context = at("user_context");
  c.header_fields = header.size();
  c.min_fields = header.size() - (col.count("user_context") ? 1 : 0) - (col.count("pool_id") ? 1 : 0);

  const size_t body = std::min(pos, text.size());
  const size_t kChunkBytes = size_t{4} << 20;
  std::vector<Chunk> chunks;
  for (size_t b = body; b < text.size();) {
    size_t e = std::min(text.size(), b + kChunkBytes);
    if (e < text.size()) {
      const size_t nl = text.find('\n', e);
      e = nl == absl::string_view::npos ? text.size() : nl + 1;
    }
    Chunk& ch = chunks.emplace_back();
    ch.begin = b;
    ch.end = e;
    b = e;
  }
  ParallelFor(chunks.size(), [&](size_t i) {
    Chunk& ch = chunks[i];
    ch.arena.offsets.reserve((ch.end - ch.begin) / 96 + 1);
    ParseChunk(text, c, ch);
  });
  size_t line = first + 2;  // the body's first line
  for (Chunk& ch : chunks) {
    ch.first_line = line;
    for (LineError& e : ch.errors) e.line += line - 1;
    line += ch.lines;
  }
  if (next_line != nullptr) *next_line = line;
  return chunks;
}

// The fold of records in file order, given `keys[p]` = address << 32 | p
// for the record at position p and `is_delete(p)`: the positions of the
// records that survive (the last record of each address unless it is a
// deletion), by ascending address. Sorting one 64-bit key per record costs a
// fraction of a std::map of 10 M nodes, and a file already in address order
// (Kea's lease file cleanup writes one) skips the sort.
template <class IsDelete>
std::vector<uint32_t> Survivors(std::vector<uint64_t>& keys, IsDelete is_delete) {
  if (!std::is_sorted(keys.begin(), keys.end())) ParallelSort(keys.begin(), keys.end());
  const size_t n = keys.size();
  std::vector<uint32_t> keep;
  keep.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && keys[i + 1] >> 32 == keys[i] >> 32) continue;  // a later line wins
    const uint32_t p = static_cast<uint32_t>(keys[i]);
    if (!is_delete(p)) keep.push_back(p);
  }
  return keep;
}

// Positions fit in 32 bits: 2^32 records would need ~0.9 TB of memory.
uint64_t KeyOf(uint32_t ip, size_t p) { return uint64_t{ip} << 32 | static_cast<uint32_t>(p); }

std::vector<uint32_t> Survivors(const std::vector<KeaCsvRecord>& records) {
  std::vector<uint64_t> keys(records.size());
  ParallelForChunks(records.size(), 1 << 16, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) keys[i] = KeyOf(records[i].lease.ip, i);
  });
  return Survivors(keys, [&](uint32_t p) { return records[p].is_delete; });
}

}  // namespace

absl::StatusOr<KeaCsvResult> ParseKeaCsv(std::string_view std_text) {
  auto chunks = ParseChunks(absl::string_view(std_text.data(), std_text.size()));
  if (!chunks.ok()) return chunks.status();
  size_t records = 0, errors = 0;
  for (const Chunk& ch : *chunks) {
    records += ch.arena.offsets.size();
    errors += ch.errors.size();
  }
  KeaCsvResult result;
  result.records.reserve(records);
  result.errors.reserve(errors);
  for (Chunk& ch : *chunks) {
    for (const uint32_t off : ch.arena.offsets) {
      const char* rec = ch.arena.bytes.get() + off;
      const PackedHead h = HeadAt(rec);
      KeaCsvRecord& r = result.records.emplace_back();
      r.lease = RefOf(rec).ToLease();
      r.is_delete = h.is_delete != 0;
      r.line = h.line + ch.first_line - 1;
    }
    std::move(ch.errors.begin(), ch.errors.end(), std::back_inserter(result.errors));
    ch.arena = {};
  }
  return result;
}

absl::StatusOr<KeaCsvResult> LoadKeaCsv(const std::string& path) {
  std::unique_ptr<char[]> text;
  size_t size = 0;
  if (absl::Status st = ReadWholeFile(path, &text, &size); !st.ok()) return st;
  auto r = ParseKeaCsv(std::string_view(text.get(), size));
  if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", r.status().message()));
  return r;
}

KeaCsvLeaseSet::KeaCsvLeaseSet() = default;
KeaCsvLeaseSet::KeaCsvLeaseSet(KeaCsvLeaseSet&&) noexcept = default;
KeaCsvLeaseSet& KeaCsvLeaseSet::operator=(KeaCsvLeaseSet&&) noexcept = default;
KeaCsvLeaseSet::~KeaCsvLeaseSet() = default;

void KeaCsvLeaseSet::Get(size_t i, LeaseRef* out) const { *out = RefOf(leases_[i]); }

Lease KeaCsvLeaseSet::at(size_t i) const { return RefOf(leases_[i]).ToLease(); }

void KeaCsvLeaseSet::clear() { *this = KeaCsvLeaseSet(); }

absl::StatusOr<KeaCsvLeaseSet> LoadKeaCsvLeases(const std::string& path) {
  std::unique_ptr<char[]> text;
  size_t size = 0;
  if (absl::Status st = ReadWholeFile(path, &text, &size); !st.ok()) return st;
  const std::string_view all(text.get(), size);
  size_t keep = size;  // all but an unterminated last line (kea_csv.h)
  if (const size_t nl = all.rfind('\n'); nl != std::string_view::npos && nl + 1 < size) {
    const std::string_view tail = all.substr(nl + 1);
    if (tail.find_first_not_of(" \t\r") != std::string_view::npos) keep = nl + 1;
  }
  auto set = ParseKeaCsvLeases(all.substr(0, keep));
  if (!set.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", set.status().message()));
  if (keep < size)
    set->errors_.push_back({set->next_line_, "has no line end: an unfinished write (Kea was still writing the file)"});
  return set;
}

absl::StatusOr<KeaCsvLeaseSet> ParseKeaCsvLeases(std::string_view std_text) {
  size_t next_line = 0;
  auto chunks = ParseChunks(absl::string_view(std_text.data(), std_text.size()), &next_line);
  if (!chunks.ok()) return chunks.status();
  // The file's record at position p is chunk c's record p - first[c].
  std::vector<size_t> first(chunks->size() + 1, 0);
  for (size_t c = 0; c < chunks->size(); ++c) first[c + 1] = first[c] + (*chunks)[c].arena.offsets.size();
  KeaCsvLeaseSet set;
  set.records_ = first.back();
  set.next_line_ = next_line;
  std::vector<const char*> at(set.records_);  // position -> record
  std::vector<uint64_t> keys(set.records_);
  ParallelFor(chunks->size(), [&](size_t c) {
    const KeaCsvLeaseSet::Arena& a = (*chunks)[c].arena;
    for (size_t j = 0; j < a.offsets.size(); ++j) {
      const char* rec = a.bytes.get() + a.offsets[j];
      at[first[c] + j] = rec;
      keys[first[c] + j] = KeyOf(HeadAt(rec).ip, first[c] + j);
    }
  });
  const std::vector<uint32_t> keep = Survivors(keys, [&](uint32_t p) { return HeadAt(at[p]).is_delete != 0; });
  std::vector<uint64_t>().swap(keys);
  set.leases_.resize(keep.size());
  ParallelForChunks(keep.size(), 1 << 16, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) set.leases_[i] = at[keep[i]];
  });
  set.arenas_.reserve(chunks->size());
  for (Chunk& ch : *chunks) {
    std::move(ch.errors.begin(), ch.errors.end(), std::back_inserter(set.errors_));
    std::vector<uint32_t>().swap(ch.arena.offsets);  // freed, not only emptied (~40 MB at 10 M)
    set.arenas_.push_back(std::move(ch.arena));
  }
  return set;
}

std::vector<Lease> FoldKeaCsv(const std::vector<KeaCsvRecord>& records) {
  const std::vector<uint32_t> keep = Survivors(records);
  std::vector<Lease> out(keep.size());
  ParallelFor(keep.size(), [&](size_t i) { out[i] = records[keep[i]].lease; });
  return out;
}

std::vector<Lease> FoldKeaCsv(std::vector<KeaCsvRecord>&& records) {
  const std::vector<uint32_t> keep = Survivors(records);
  std::vector<Lease> out(keep.size());
  ParallelFor(keep.size(), [&](size_t i) { out[i] = std::move(records[keep[i]].lease); });
  std::vector<KeaCsvRecord>().swap(records);
  return out;
}

}  // namespace lqd::control
