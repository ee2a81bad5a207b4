// SPDX-License-Identifier: Apache-2.0
// File: control/kea_csv.cc
#include "control/kea_csv.h"

#include <arpa/inet.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/ascii.h"
#include "control/kea_user_context.h"
#include "lease-store/parallel.h"

namespace lqd::control {
namespace {

// Kea's CSVRow::escapeCharacters writes "&#x" + two hex digits for ',' and
// '&' (and any other escaped byte); undo exactly that.
std::string Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&' && i + 5 <= s.size() && s.substr(i, 3) == "&#x") {
      int v = 0;
      if (absl::SimpleHexAtoi(s.substr(i + 3, 2), &v)) {
        out.push_back(static_cast<char>(v));
        i += 4;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

int HexDigit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// "02:00:5e:10:00:01" -> at most `cap` bytes. Empty is allowed (declined
// leases). Each part is one or two hex digits, or whatever else
// absl::SimpleHexAtoi accepts in two characters (kept for compatibility).
bool ParseColonHex(absl::string_view s, uint8_t* out, size_t cap, size_t* n) {
  *n = 0;
  if (s.empty()) return true;
  size_t i = 0;
  for (;;) {
    const size_t colon = s.find(':', i);
    const absl::string_view part = s.substr(i, colon == absl::string_view::npos ? absl::string_view::npos : colon - i);
    int v = 0;
    if (part.size() == 2 && HexDigit(part[0]) >= 0 && HexDigit(part[1]) >= 0) {
      v = HexDigit(part[0]) * 16 + HexDigit(part[1]);
    } else if (part.empty() || part.size() > 2 || !absl::SimpleHexAtoi(part, &v)) {
      return false;
    }
    if (*n == cap) return false;
    out[(*n)++] = static_cast<uint8_t>(v);
    if (colon == absl::string_view::npos) return true;
    i = colon + 1;
  }
}

// The hex of Kea 2.2's usual user context, written exactly as Kea writes it:
// { "ISC": { "relay-agent-info": "0x0104..." } }. Empty for anything else,
// which then goes through the JSON parser (same result, ~20x the cost).
absl::string_view Kea22RaiHex(absl::string_view uc) {
  constexpr absl::string_view kHead = "{ \"ISC\": { \"relay-agent-info\": \"";
  constexpr absl::string_view kTail = "\" } }";
  if (uc.size() <= kHead.size() + kTail.size() || uc.substr(0, kHead.size()) != kHead ||
      uc.substr(uc.size() - kTail.size()) != kTail)
    return {};
  const absl::string_view hex = uc.substr(kHead.size(), uc.size() - kHead.size() - kTail.size());
  for (size_t i = 0; i < hex.size(); ++i) {
    const bool ok = HexDigit(hex[i]) >= 0 || (i == 1 && (hex[i] == 'x' || hex[i] == 'X'));
    if (!ok) return {};
  }
  return hex;
}

bool ParseU32(absl::string_view s, uint32_t* v) {
  if (!s.empty() && s.size() <= 10) {  // up to 10 plain digits: no strtoull
    uint64_t x = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) x = x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (i == s.size()) {
      if (x > 0xffffffffull) return false;
      *v = static_cast<uint32_t>(x);
      return true;
    }
  }
  uint64_t x = 0;
  if (!absl::SimpleAtoi(s, &x) || x > 0xffffffffull) return false;
  *v = static_cast<uint32_t>(x);
  return true;
}

// Kea lease states (src/lib/dhcpsrv/lease.h): 0 default (assigned),
// 1 declined, 2 expired-reclaimed, 3 released (2.3+).
bool MapState(uint32_t kea, LeaseState* s) {
  switch (kea) {
    case 0: *s = LeaseState::kActive; return true;
    case 1: *s = LeaseState::kDeclined; return true;
    case 2: *s = LeaseState::kExpired; return true;
    case 3: *s = LeaseState::kReleased; return true;
  }
  return false;
}

// Column positions from the header (-1: absent). A repeated name keeps its
// last position.
struct Columns {
  int address = -1, hwaddr = -1, client_id = -1, valid = -1, expire = -1, subnet = -1, state = -1,
      user_context = -1;
  size_t header_fields = 0;
  size_t min_fields = 0;  // fewer fields than this: truncated line
};

absl::string_view Field(const std::vector<absl::string_view>& f, int i) {
  return i < 0 || static_cast<size_t>(i) >= f.size() ? absl::string_view() : f[static_cast<size_t>(i)];
}

// Parses one data line (already stripped, non-empty). Appends to `records`
// or to `errors`. `fields` is scratch.
void ParseLine(absl::string_view line, size_t lineno, const Columns& c, std::vector<absl::string_view>& f,
               std::vector<KeaCsvRecord>& records, std::vector<LineError>& errors) {
  f.clear();
  for (absl::string_view part : absl::StrSplit(line, ',')) f.push_back(part);
  auto bad = [&](std::string why) { errors.push_back({lineno, std::move(why)}); };
  if (f.size() < c.min_fields) {
    bad(absl::StrCat("has ", f.size(), " fields, header has ", c.header_fields, " (truncated line?)"));
    return;
  }
  KeaCsvRecord& rec = records.emplace_back();
  auto fail = [&](std::string why) {
    records.pop_back();
    bad(std::move(why));
  };
  rec.line = lineno;
  Lease& l = rec.lease;
  in_addr a{};
  const absl::string_view addr = Field(f, c.address);
  char buf[16] = {};  // inet_pton wants a C string; no valid IPv4 text is longer than 15
  if (addr.size() < sizeof(buf)) std::memcpy(buf, addr.data(), addr.size());
  if (addr.size() >= sizeof(buf) || inet_pton(AF_INET, buf, &a) != 1) {
    return fail(absl::StrCat("address '", addr, "' is not an IPv4 address"));
  }
  l.ip = ntohl(a.s_addr);
  uint8_t hw[16];
  size_t hwlen = 0;
  if (!ParseColonHex(Field(f, c.hwaddr), hw, sizeof(hw), &hwlen)) {
    return fail(absl::StrCat("hwaddr '", Field(f, c.hwaddr), "' is not colon-separated hex of at most 16 bytes"));
  }
  if (hwlen != 0) {
    l.hw.htype = 1;  // Kea's memfile does not store htype; Ethernet is what it hands out
    l.hw.hlen = static_cast<uint8_t>(hwlen);
    std::memcpy(l.hw.bytes, hw, hwlen);
  }
  uint8_t cid[255];
  size_t cidlen = 0;
  if (!ParseColonHex(Field(f, c.client_id), cid, sizeof(cid), &cidlen)) {
    return fail(absl::StrCat("client_id '", Field(f, c.client_id), "' is not colon-separated hex (max 255 bytes)"));
  }
  l.client_id.assign(reinterpret_cast<const char*>(cid), cidlen);
  uint32_t valid = 0, state = 0, subnet = 0;
  if (!ParseU32(Field(f, c.valid), &valid) || !ParseU32(Field(f, c.expire), &l.expire)) {
    return fail("valid_lifetime and expire must be unsigned integers (seconds)");
  }
  if (!ParseU32(Field(f, c.state), &state) || !MapState(state, &l.state)) {
    return fail(absl::StrCat("state '", Field(f, c.state), "' is not a Kea lease state (0..3)"));
  }
  if (c.subnet >= 0 && !Field(f, c.subnet).empty() && !ParseU32(Field(f, c.subnet), &subnet)) {
    return fail(absl::StrCat("subnet_id '", Field(f, c.subnet), "' is not an unsigned integer"));
  }
  l.subnet_id = subnet;
  if (valid == 0xffffffffu) {
    l.cltt = 0;  // infinite lease: Kea writes expire = cltt + 0xffffffff clipped; keep it forever
    l.expire = kInfiniteTime;
  } else {
    l.cltt = l.expire >= valid ? l.expire - valid : 0;
  }
  rec.is_delete = valid == 0;
  // user_context is the last Kea 2.2 column but may itself contain escaped
  // commas only, so the split above kept it in one field.
  if (absl::string_view uc = Field(f, c.user_context); !uc.empty()) {
    absl::StatusOr<std::string> rai;
    if (absl::string_view hex = Kea22RaiHex(uc); !hex.empty()) {
      rai = RelayAgentInfoFromHex(std::string_view(hex.data(), hex.size()));
    } else {
      rai = RelayAgentInfoFromUserContext(Unescape(uc));
    }
    if (!rai.ok()) return fail(absl::StrCat("user_context: ", rai.status().message()));
    l.relay_agent_info = std::move(*rai);
  }
}

// Lines [first, end) of the body, as parsed by one task.
struct Chunk {
  size_t begin = 0, end = 0;  // byte offsets into the text, at line starts
  size_t first_line = 0;      // 0-based line index of `begin`
  std::vector<KeaCsvRecord> records;
  std::vector<LineError> errors;
};

void ParseChunk(absl::string_view text, const Columns& c, Chunk& ch) {
  std::vector<absl::string_view> fields;
  size_t n = ch.first_line;
  for (size_t pos = ch.begin; pos < ch.end; ++n) {
    const size_t nl = text.find('\n', pos);
    const size_t stop = nl == absl::string_view::npos || nl > ch.end ? ch.end : nl;
    const absl::string_view line = absl::StripTrailingAsciiWhitespace(text.substr(pos, stop - pos));
    pos = stop + 1;
    if (!line.empty()) ParseLine(line, n + 1, c, fields, ch.records, ch.errors);
  }
}

}  // namespace

absl::StatusOr<KeaCsvResult> ParseKeaCsv(std::string_view std_text) {
  const absl::string_view text(std_text.data(), std_text.size());
  KeaCsvResult result;
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
  Columns c;
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

  // The body in chunks of whole lines, parsed in parallel (a 10 M-lease
  // file is ~1.5 GB); results are joined in file order.
  const size_t body = std::min(pos, text.size());
  const size_t kChunkBytes = size_t{4} << 20;
  std::vector<Chunk> chunks;
  for (size_t b = body; b < text.size();) {
    size_t e = std::min(text.size(), b + kChunkBytes);
    if (e < text.size()) {
      const size_t nl = text.find('\n', e);
      e = nl == absl::string_view::npos ? text.size() : nl + 1;
    }
    chunks.push_back(Chunk{b, e, 0, {}, {}});
    b = e;
  }
  ParallelFor(chunks.size(), [&](size_t i) {
    Chunk& ch = chunks[i];
    ch.first_line = static_cast<size_t>(std::count(text.begin() + ch.begin, text.begin() + ch.end, '\n'));
  });
  size_t line = first + 1, records = 0, errors = 0;
  for (Chunk& ch : chunks) {
    const size_t lines = ch.first_line;
    ch.first_line = line;
    line += lines;
  }
  ParallelFor(chunks.size(), [&](size_t i) {
    Chunk& ch = chunks[i];
    ch.records.reserve((ch.end - ch.begin) / 64 + 1);
    ParseChunk(text, c, ch);
  });
  for (const Chunk& ch : chunks) {
    records += ch.records.size();
    errors += ch.errors.size();
  }
  result.records.reserve(records);
  result.errors.reserve(errors);
  for (Chunk& ch : chunks) {
    std::move(ch.records.begin(), ch.records.end(), std::back_inserter(result.records));
    std::move(ch.errors.begin(), ch.errors.end(), std::back_inserter(result.errors));
    ch.records = {};
  }
  return result;
}

absl::StatusOr<KeaCsvResult> LoadKeaCsv(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open lease file '", path, "'"));
  struct stat st {};
  std::string text(fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 4096, '\0');
  size_t have = 0;
  for (;;) {
    if (have == text.size()) text.resize(text.size() * 2);
    const ssize_t r = read(fd, text.data() + have, text.size() - have);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const int e = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("cannot read lease file '", path, "': ", strerror(e)));
    }
    if (r == 0) break;
    have += static_cast<size_t>(r);
  }
  close(fd);
  text.resize(have);
  auto r = ParseKeaCsv(text);
  if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", r.status().message()));
  return r;
}

namespace {

// Indexes of the records that survive the fold: the last record of each
// address unless it is a deletion, by ascending address. Sorting (address,
// position) pairs costs a fraction of a std::map of 10 M nodes, and a file
// already in address order (Kea's lease file cleanup writes one) skips it.
std::vector<size_t> Survivors(const std::vector<KeaCsvRecord>& records) {
  const size_t n = records.size();
  std::vector<std::pair<uint32_t, size_t>> keys(n);
  ParallelFor(n, [&](size_t i) { keys[i] = {records[i].lease.ip, i}; });
  if (!std::is_sorted(keys.begin(), keys.end())) ParallelSort(keys.begin(), keys.end());
  std::vector<size_t> keep;
  keep.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 < n && keys[i + 1].first == keys[i].first) continue;  // a later line wins
    if (!records[keys[i].second].is_delete) keep.push_back(keys[i].second);
  }
  return keep;
}

}  // namespace

std::vector<Lease> FoldKeaCsv(const std::vector<KeaCsvRecord>& records) {
  const std::vector<size_t> keep = Survivors(records);
  std::vector<Lease> out(keep.size());
  ParallelFor(keep.size(), [&](size_t i) { out[i] = records[keep[i]].lease; });
  return out;
}

std::vector<Lease> FoldKeaCsv(std::vector<KeaCsvRecord>&& records) {
  const std::vector<size_t> keep = Survivors(records);
  std::vector<Lease> out(keep.size());
  ParallelFor(keep.size(), [&](size_t i) { out[i] = std::move(records[keep[i]].lease); });
  records = {};
  return out;
}

}  // namespace lqd::control
