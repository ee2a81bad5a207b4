// SPDX-License-Identifier: Apache-2.0
// File: control/kea_csv_line.h
//
// One data line of a Kea memfile lease file, parsed into a packed record:
// the part of control/kea_csv.cc that knows Kea's columns and formats.
// Internal to the Kea CSV reader (kea_csv.cc and its tests' fuzzer).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "control/kea_csv.h"

namespace lqd::control {

// Column positions from the header (-1: absent). A repeated name keeps its
// last position.
struct KeaCsvColumns {
  int address = -1, hwaddr = -1, client_id = -1, valid = -1, expire = -1, subnet = -1, state = -1,
      user_context = -1;
  size_t header_fields = 0;
  size_t min_fields = 0;  // fewer fields than this: truncated line
};

// One valid line, packed: this head, then client_id's bytes, then option
// 82's. Read and written with memcpy (records are not aligned).
struct PackedHead {
  uint32_t ip, cltt, expire, subnet_id;
  uint32_t line;  // 1-based within its chunk
  uint8_t state;  // LeaseState
  uint8_t is_delete;
  uint8_t hlen, cid_len, rai_len;
  uint8_t hw[16];
};
inline constexpr size_t kMaxPacked = sizeof(PackedHead) + 255 + 255;

inline PackedHead HeadAt(const char* rec) {
  PackedHead h;
  std::memcpy(&h, rec, sizeof(h));
  return h;
}

// The lease of a packed record, viewing its bytes.
LeaseRef RefOf(const char* rec);

// A chunk's packed records, back to back; grown by doubling, never
// zero-filled.
struct KeaCsvLeaseSet::Arena {
  std::unique_ptr<char[]> bytes;
  size_t size = 0, cap = 0;
  std::vector<uint32_t> offsets;  // where each record starts (dropped once folded)

  // Room for one more record at bytes.get() + size.
  char* Room();
  // Keeps the n bytes just written at Room() as a record.
  void Commit(size_t n) {
    offsets.push_back(static_cast<uint32_t>(size));
    size += n;
  }
};

// Parses one data line (already stripped, non-empty; `lineno` counts within
// the chunk) into a packed record at the end of `arena`, or appends what is
// wrong with it, and how to fix it, to `errors`. `scratch` is reused.
void ParseKeaCsvLine(absl::string_view line, size_t lineno, const KeaCsvColumns& c,
                     std::vector<absl::string_view>& scratch, KeaCsvLeaseSet::Arena& arena,
                     std::vector<LineError>& errors);

}  // namespace lqd::control
