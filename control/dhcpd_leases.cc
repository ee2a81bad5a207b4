// SPDX-License-Identifier: Apache-2.0
// File: control/dhcpd_leases.cc
#include "control/dhcpd_leases.h"

#include <algorithm>

#include <arpa/inet.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "dhcp/relay_agent_info.h"

namespace lqd::control {
namespace {

// ---- Lexer: dhcpd's own token classes (common/conflex.c), enough for the
// lease file: quoted strings, the punctuation { } ; = , and "words" (names,
// numbers, dates, times, addresses, colon hex). '#' starts a comment.
struct Tok {
  enum Kind { kWord, kString, kPunct, kEnd, kIncomplete };
  Kind kind = kEnd;
  std::string text;  // word, decoded string bytes, or the punctuation char
  size_t line = 0;
  bool Is(char c) const { return kind == kPunct && text[0] == c; }
  bool IsWord(absl::string_view w) const { return kind == kWord && text == w; }
};

class Lexer {
 public:
  struct Mark {
    size_t pos, line;
  };
  // `at_eof`: nothing follows `s`. Otherwise a word running up to the end of
  // `s` may still be growing, so it comes back as kIncomplete.
  Lexer(absl::string_view s, size_t first_line, bool at_eof)
      : s_(s), pos_(0), line_(first_line), at_eof_(at_eof) {}
  Mark mark() const { return {pos_, line_}; }
  void reset(Mark m) { pos_ = m.pos, line_ = m.line; }
  size_t pos() const { return pos_; }
  size_t line() const { return line_; }
  // After a complete statement: takes the rest of its line if only blanks
  // follow, so what a tailer consumes ends on a line boundary.
  void TakeLineEnd() {
    size_t p = pos_;
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t' || s_[p] == '\r')) ++p;
    if (p < s_.size() && s_[p] == '\n') pos_ = p + 1, ++line_;
  }

  Tok Next() {
    SkipBlanks();
    Tok t;
    t.line = line_;
    if (pos_ >= s_.size()) return t;  // kEnd (possibly inside an unterminated comment)
    const char c = s_[pos_];
    if (c == '"') return String(t);
    if (IsPunct(c)) {
      t.kind = Tok::kPunct;
      t.text.assign(1, c);
      ++pos_;
      return t;
    }
    t.kind = Tok::kWord;
    const size_t b = pos_;
    while (pos_ < s_.size() && !IsPunct(s_[pos_]) && !absl::ascii_isspace(s_[pos_]) && s_[pos_] != '"' &&
           s_[pos_] != '#')
      ++pos_;
    t.text = std::string(s_.substr(b, pos_ - b));
    // A word cut by the end of a read ("lease" of "leaseing") must not be
    // taken for the whole word: the block parser decides on a lone `lease`
    // without reading on, so a cut one ended a block early and the rest of
    // it was then skipped as a top-level statement, swallowing the next
    // block and its errors (dhcpd_leases_fuzz, finding 4).
    if (pos_ == s_.size() && !at_eof_) t.kind = Tok::kIncomplete;
    return t;
  }

 private:
  static bool IsPunct(char c) { return c == '{' || c == '}' || c == ';' || c == '=' || c == ','; }

  void SkipBlanks() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\n') {
        ++line_, ++pos_;
      } else if (absl::ascii_isspace(c)) {
        ++pos_;
      } else if (c == '#') {
        const size_t nl = s_.find('\n', pos_);
        if (nl == absl::string_view::npos) {
          pos_ = s_.size();  // a comment still being written: nothing follows
          return;
        }
        pos_ = nl;
      } else {
        return;
      }
    }
  }

  // dhcpd's read_string: \t \r \n \b, \NNN octal (up to 3 digits), \xHH hex
  // (up to 2), and a backslash before any other char stands for that char.
  Tok String(Tok t) {
    ++pos_;
    for (;;) {
      if (pos_ >= s_.size()) {
        t.kind = Tok::kIncomplete;
        return t;
      }
      char c = s_[pos_++];
      if (c == '"') break;
      if (c == '\n') ++line_;
      if (c != '\\') {
        t.text.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) {
        t.kind = Tok::kIncomplete;
        return t;
      }
      c = s_[pos_++];
      if (c == '\n') ++line_;  // an escaped newline is still a line (dhcpd_leases_fuzz)
      if (c >= '0' && c <= '7') {
        int v = c - '0';
        for (int k = 0; k < 2 && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '7'; ++k)
          v = v * 8 + (s_[pos_++] - '0');
        t.text.push_back(static_cast<char>(v & 0xff));
      } else if (c == 'x') {
        int v = 0, k = 0;
        for (; k < 2 && pos_ < s_.size() && absl::ascii_isxdigit(s_[pos_]); ++k) {
          const char h = absl::ascii_tolower(s_[pos_++]);
          v = v * 16 + (h <= '9' ? h - '0' : h - 'a' + 10);
        }
        t.text.push_back(k == 0 ? 'x' : static_cast<char>(v));
      } else {
        t.text.push_back(c == 't' ? '\t' : c == 'r' ? '\r' : c == 'n' ? '\n' : c == 'b' ? '\b' : c);
      }
    }
    t.kind = Tok::kString;
    return t;
  }

  absl::string_view s_;
  size_t pos_;
  size_t line_;
  bool at_eof_;
};

// ---- Values

// dhcpd prints binary data as unpadded colon hex ("0:1a:2b"), one to two
// digits per byte.
bool ParseColonHex(absl::string_view s, std::string* out) {
  out->clear();
  if (s.empty()) return false;
  for (absl::string_view part : absl::StrSplit(s, ':')) {
    int v = 0;
    if (part.empty() || part.size() > 2 || !absl::SimpleHexAtoi(part, &v) || !absl::ascii_isxdigit(part[0]) ||
        !absl::ascii_isxdigit(part.back()))
      return false;
    out->push_back(static_cast<char>(v));
  }
  return true;
}

// A data value: a quoted string, or colon hex.
bool DataValue(const Tok& t, std::string* out) {
  if (t.kind == Tok::kString) {
    *out = t.text;
    return true;
  }
  return t.kind == Tok::kWord && ParseColonHex(t.text, out);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "yyyy/mm/dd" and "hh:mm:ss" (UTC, dhcpd's default db-time-format).
std::optional<uint32_t> ParseDateTime(absl::string_view date, absl::string_view time) {
  std::vector<absl::string_view> d = absl::StrSplit(date, '/');
  std::vector<absl::string_view> t = absl::StrSplit(time, ':');
  if (d.size() != 3 || t.size() != 3) return std::nullopt;
  uint32_t y, mo, da, h, mi, s;
  if (!absl::SimpleAtoi(d[0], &y) || !absl::SimpleAtoi(d[1], &mo) || !absl::SimpleAtoi(d[2], &da) ||
      !absl::SimpleAtoi(t[0], &h) || !absl::SimpleAtoi(t[1], &mi) || !absl::SimpleAtoi(t[2], &s))
    return std::nullopt;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 2105 || mo < 1 || mo > 12 || da < 1 ||
      da > kDays[mo - 1] + (mo == 2 && IsLeap(y) ? 1 : 0) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  const int64_t secs = DaysFromCivil(y, mo, da) * 86400 + h * 3600 + mi * 60 + s;
  if (secs < 0 || secs >= kInfiniteTime) return std::nullopt;
  return static_cast<uint32_t>(secs);
}

// The value of starts/ends/cltt/tstp: "W yyyy/mm/dd hh:mm:ss", "epoch N"
// (db-time-format local) or "never".
std::optional<uint32_t> ParseTime(const std::vector<Tok>& st) {
  for (size_t i = 1; i < st.size(); ++i)
    if (st[i].kind != Tok::kWord) return std::nullopt;
  if (st.size() == 2 && st[1].text == "never") return kInfiniteTime;
  if (st.size() == 3 && st[1].text == "epoch") {
    uint32_t v = 0;
    if (!absl::SimpleAtoi(st[2].text, &v)) return std::nullopt;
    return v;
  }
  if (st.size() == 4) {
    if (st[1].text.size() != 1 || st[1].text[0] < '0' || st[1].text[0] > '6') return std::nullopt;
    return ParseDateTime(st[2].text, st[3].text);
  }
  if (st.size() == 3) return ParseDateTime(st[1].text, st[2].text);  // no weekday: older writers
  return std::nullopt;
}

// binding_state_names in dhcpd's common/tables.c.
bool MapBindingState(absl::string_view s, LeaseState* out) {
  if (s == "active") *out = LeaseState::kActive;
  else if (s == "free" || s == "backup" || s == "reset") *out = LeaseState::kFree;
  else if (s == "expired") *out = LeaseState::kExpired;
  else if (s == "released") *out = LeaseState::kReleased;
  else if (s == "abandoned") *out = LeaseState::kDeclined;
  else return false;
  return true;
}

// Hardware type names dhcpd's parse_hardware_param accepts.
int HardwareType(absl::string_view s) {
  if (s == "ethernet") return 1;
  if (s == "token-ring" || s == "tokenring") return 6;
  if (s == "fddi") return 8;
  if (s == "infiniband") return 32;
  return -1;
}

// agent_options in dhcpd's common/tables.c; any other code is "unknown-N".
int AgentSubOptionCode(absl::string_view name) {
  static const std::map<std::string, int, std::less<>> kNames = {
      {"circuit-id", 1}, {"remote-id", 2},       {"agent-id", 3},
      {"DOCSIS-device-class", 4}, {"link-selection", 5}, {"relay-port", 19}};
  if (auto it = kNames.find(name); it != kNames.end()) return it->second;
  int n = 0;
  if (absl::ConsumePrefix(&name, "unknown-") && absl::SimpleAtoi(name, &n) && n >= 1 && n <= 254) return n;
  return -1;
}

// A sub-option value as dhcpd's pretty_print_option wrote it.
bool AgentValue(absl::string_view name, const Tok& t, std::string* out) {
  // "L": dhcpd prints a 4-byte device class in decimal. Before colon hex,
  // which would read "12" as the one byte 0x12.
  uint32_t v = 0;
  if (name == "DOCSIS-device-class" && t.kind == Tok::kWord && !t.text.empty() &&
      t.text.find_first_not_of("0123456789") == std::string::npos && absl::SimpleAtoi(t.text, &v)) {
    *out = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
    return true;
  }
  if (DataValue(t, out)) return true;
  if (t.kind != Tok::kWord) return false;
  in_addr a{};
  if (inet_pton(AF_INET, t.text.c_str(), &a) == 1) {  // agent-id, link-selection ("I")
    out->assign(reinterpret_cast<const char*>(&a), 4);
    return true;
  }
  return false;
}

std::string StatementText(const std::vector<Tok>& st) {
  std::string s;
  for (const Tok& t : st) absl::StrAppend(&s, s.empty() ? "" : " ", t.kind == Tok::kString ? "\"...\"" : t.text);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

enum class End { kDone, kIncomplete };

// Skips a balanced { ... } whose '{' was just read.
End SkipBraces(Lexer& lx) {
  for (int depth = 1; depth > 0;) {
    Tok t = lx.Next();
    if (t.kind == Tok::kEnd || t.kind == Tok::kIncomplete) return End::kIncomplete;
    if (t.Is('{')) ++depth;
    if (t.Is('}')) --depth;
  }
  return End::kDone;
}

// Skips a top-level statement lqd does not use: up to its ';', or to the end
// of its { } block (failover peer ... state { ... }, host x { ... }).
End SkipStatement(Lexer& lx) {
  for (;;) {
    Tok t = lx.Next();
    if (t.kind == Tok::kEnd || t.kind == Tok::kIncomplete) return End::kIncomplete;
    if (t.Is(';')) return End::kDone;
    if (t.Is('{')) return SkipBraces(lx);
  }
}

// One lease block, after its `lease` keyword.
class LeaseBlock {
 public:
  LeaseBlock(Lexer& lx, const Tok& kw, DhcpdLeasesResult* out) : lx_(lx), kw_(kw), out_(out) {}

  End Parse() {
    Tok addr = lx_.Next();
    if (addr.kind == Tok::kEnd || addr.kind == Tok::kIncomplete) return End::kIncomplete;
    in_addr a{};
    if (addr.kind != Tok::kWord || inet_pton(AF_INET, addr.text.c_str(), &a) != 1) {
      Fail(addr.line, absl::StrCat("'lease ", addr.text, "': not an IPv4 address (expected lease A.B.C.D { ... })"));
    } else {
      lease_.ip = ntohl(a.s_addr);
    }
    Tok brace = addr.Is('{') ? addr : lx_.Next();
    if (brace.kind == Tok::kEnd || brace.kind == Tok::kIncomplete) return End::kIncomplete;
    if (!brace.Is('{')) {
      Fail(brace.line, "'lease A.B.C.D' is not followed by '{'");
      if (brace.Is(';')) return Finish();
      return SkipStatement(lx_) == End::kIncomplete ? End::kIncomplete : Finish();
    }
    for (;;) {
      const Lexer::Mark before = lx_.mark();
      Tok t = lx_.Next();
      if (t.kind == Tok::kEnd || t.kind == Tok::kIncomplete) return End::kIncomplete;
      if (t.Is('}')) break;
      if (t.Is(';')) continue;
      if (t.IsWord("lease")) {
        // `lease` cannot start a statement inside a block: this block lost
        // its '}' (a torn write); the next block starts here.
        lx_.reset(before);
        Fail(t.line, absl::StrCat("block is not closed by '}' before the next 'lease' on line ", t.line));
        return Finish();
      }
      std::vector<Tok> st{t};
      bool block_closed = false;
      for (;;) {
        Tok n = lx_.Next();
        if (n.kind == Tok::kEnd || n.kind == Tok::kIncomplete) return End::kIncomplete;
        if (n.Is(';')) break;
        if (n.Is('{')) {  // on commit { ... } and friends
          if (SkipBraces(lx_) == End::kIncomplete) return End::kIncomplete;
          break;
        }
        if (n.Is('}')) {
          Fail(n.line, absl::StrCat("'", StatementText(st), "' lacks its ';'"));
          block_closed = true;
          break;
        }
        st.push_back(std::move(n));
      }
      if (block_closed) break;
      Statement(st);
    }
    return Finish();
  }

 private:
  void Fail(size_t line, std::string why) {
    if (error_line_ == 0) error_line_ = line, error_ = std::move(why);
  }

  void Statement(const std::vector<Tok>& st) {
    const Tok& k = st[0];
    const size_t line = k.line;
    if (k.kind != Tok::kWord) return Fail(line, "a statement must start with a keyword, not a string");
    const std::string& key = k.text;
    if (key == "starts" || key == "ends" || key == "cltt" || key == "tstp" || key == "tsfp" || key == "atsfp") {
      auto v = ParseTime(st);
      if (!v)
        return Fail(line, absl::StrCat("'", StatementText(st),
                                       "': bad time; expected 'W yyyy/mm/dd hh:mm:ss' (UTC), 'epoch N' or 'never'"));
      if (key == "starts") starts_ = v;
      if (key == "ends") ends_ = v;
      if (key == "cltt") cltt_ = v;
    } else if (key == "binding") {
      if (st.size() != 3 || !st[1].IsWord("state") || st[2].kind != Tok::kWord)
        return Fail(line, absl::StrCat("'", StatementText(st), "': expected 'binding state NAME'"));
      LeaseState s;
      if (!MapBindingState(st[2].text, &s))
        return Fail(line, absl::StrCat("binding state '", st[2].text,
                                       "' is not one of active, free, expired, released, abandoned, backup, reset"));
      state_ = s;
    } else if (key == "hardware") {
      std::string hw;
      const int type = st.size() == 3 && st[1].kind == Tok::kWord ? HardwareType(st[1].text) : -1;
      if (type < 0 || !ParseColonHex(st[2].kind == Tok::kWord ? st[2].text : "", &hw) || hw.size() > 16)
        return Fail(line, absl::StrCat("'", StatementText(st),
                                       "': expected 'hardware ethernet|token-ring|fddi|infiniband xx:xx:..' "
                                       "(at most 16 bytes)"));
      lease_.hw.htype = static_cast<uint8_t>(type);
      lease_.hw.hlen = static_cast<uint8_t>(hw.size());
      std::copy(hw.begin(), hw.end(), lease_.hw.bytes);
    } else if (key == "uid") {
      if (st.size() != 2 || !DataValue(st[1], &lease_.client_id) || lease_.client_id.size() > 255)
        return Fail(line, "uid: expected a quoted string or colon hex of at most 255 bytes");
    } else if (key == "option") {
      if (st.size() < 2 || st[1].kind != Tok::kWord) return Fail(line, "option: expected 'option NAME VALUE'");
      absl::string_view name = st[1].text;
      if (!absl::ConsumePrefix(&name, "agent.")) return;  // other options are not part of the lease's identity
      const int code = AgentSubOptionCode(name);
      std::string v;
      if (code < 0)
        return Fail(line, absl::StrCat("option agent.", name,
                                       ": unknown relay sub-option name (dhcpd writes circuit-id, remote-id, "
                                       "agent-id, DOCSIS-device-class, link-selection, relay-port or unknown-N)"));
      if (st.size() == 3 ? !AgentValue(name, st[2], &v) : st.size() != 2)
        return Fail(line, absl::StrCat("option agent.", name, ": value is not a quoted string, colon hex, "
                                                              "address or number"));
      if (v.size() > 255) return Fail(line, absl::StrCat("option agent.", name, ": longer than 255 bytes"));
      rai_.push_back(static_cast<char>(code));
      rai_.push_back(static_cast<char>(v.size()));
      rai_ += v;
    } else if (key == "set") {
      if (st.size() != 4 || st[1].kind != Tok::kWord || !st[2].Is('='))
        return Fail(line, absl::StrCat("'", StatementText(st), "': expected 'set NAME = VALUE'"));
      if (st[1].text != "vendor-class-identifier") return;
      if (!DataValue(st[3], &lease_.vendor_class) || lease_.vendor_class.size() > 255)
        return Fail(line, "vendor-class-identifier: expected a quoted string or colon hex of at most 255 bytes");
    }
    // Anything else (next/rewind binding state, client-hostname, abandoned,
    // bootp, reserved, ddns bindings, billing class ...) does not matter here.
  }

  End Finish() {
    if (error_line_ == 0 && !state_)
      Fail(kw_.line, "block has no 'binding state' (dhcpd 4.x always writes one)");
    if (error_line_ == 0 && !ends_ && *state_ == LeaseState::kActive)
      Fail(kw_.line, "active lease without 'ends': its expiry is unknown");
    if (error_line_ == 0 && !rai_.empty()) {
      const auto* p = reinterpret_cast<const uint8_t*>(rai_.data());
      if (rai_.size() > 255 || !dhcp::RelayAgentInfo::Parse({p, rai_.size()}))
        Fail(kw_.line, absl::StrCat("relay agent sub-options make ", rai_.size(),
                                    " bytes, more than option 82 can carry (255)"));
    }
    if (error_line_ != 0) {
      out_->errors.push_back({error_line_, absl::StrCat("lease block at line ", kw_.line, ": ", error_, " (block skipped)")});
      return End::kDone;
    }
    lease_.state = *state_;
    lease_.cltt = cltt_ ? *cltt_ : starts_ ? *starts_ : 0;
    lease_.expire = ends_ ? *ends_ : lease_.cltt;
    lease_.relay_agent_info = std::move(rai_);
    out_->records.push_back({std::move(lease_), kw_.line});
    return End::kDone;
  }

  Lexer& lx_;
  const Tok& kw_;
  DhcpdLeasesResult* out_;
  Lease lease_;
  std::string rai_;
  std::optional<LeaseState> state_;
  std::optional<uint32_t> starts_, ends_, cltt_;
  size_t error_line_ = 0;
  std::string error_;
};

}  // namespace

DhcpdLeasesResult ParseDhcpdLeases(std::string_view std_text, size_t first_line, bool at_eof) {
  const absl::string_view text(std_text.data(), std_text.size());
  DhcpdLeasesResult r;
  Lexer lx(text, first_line, at_eof);
  for (;;) {
    Tok t = lx.Next();
    End e = End::kDone;
    if (t.kind == Tok::kEnd) break;
    if (t.kind == Tok::kIncomplete) {
      e = End::kIncomplete;
    } else if (t.IsWord("lease")) {
      e = LeaseBlock(lx, t, &r).Parse();
    } else if (t.Is(';')) {
      // an empty statement
    } else if (t.Is('}')) {
      r.errors.push_back({t.line, "'}' without a matching '{' (skipped)"});
    } else {
      // server-duid, authoring-byte-order, failover peer, host, class ...
      e = SkipStatement(lx);
    }
    if (e == End::kIncomplete) {
      if (at_eof) {
        r.errors.push_back({t.line, absl::StrCat("'", t.kind == Tok::kIncomplete ? "\"" : t.text,
                                                 "' statement is not terminated at the end of the file "
                                                 "(truncated write?) (skipped)")});
        // Everything is consumed, so every newline counts, including those
        // past where the lexer gave up (inside an unterminated string, say):
        // found by dhcpd_leases_fuzz.
        r.consumed = text.size();
        r.consumed_lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
      }
      break;
    }
    lx.TakeLineEnd();
    r.consumed = lx.pos();
    r.consumed_lines = lx.line() - first_line;
  }
  return r;
}

absl::StatusOr<DhcpdLeasesResult> LoadDhcpdLeases(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open lease file '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseDhcpdLeases(ss.str());
}

std::vector<Lease> FoldDhcpdLeases(const std::vector<DhcpdLeaseRecord>& records) {
  std::map<uint32_t, const Lease*> by_ip;
  for (const auto& r : records) by_ip[r.lease.ip] = &r.lease;
  std::vector<Lease> out;
  out.reserve(by_ip.size());
  for (const auto& [ip, l] : by_ip) out.push_back(*l);
  return out;
}

}  // namespace lqd::control
