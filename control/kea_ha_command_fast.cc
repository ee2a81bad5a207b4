// SPDX-License-Identifier: Apache-2.0
// File: control/kea_ha_command_fast.cc
//
// Cost model (callgrind, one Kea 2.2-shaped 535-byte lease4-update): the
// nlohmann DOM parse took ~13k instructions; the first scanner (strings
// copied for hex decoding, inet_pton, out-of-line helpers) ~10k; this one
// decodes straight from the body into fixed buffers and keeps the
// character-level helpers inline.
#include "control/kea_ha_command_fast.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>

#include "control/kea_times.h"
#include "dhcp/text.h"
#include "dhcp/relay_agent_info.h"

#define LQD_ALWAYS_INLINE inline __attribute__((always_inline))

namespace lqd::control {
namespace {

using dhcp::HexNibble;

// Bytes a string may hold on the fast path: printable ASCII except the
// quote and the backslash (an escape hands the body to the DOM path).
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

constexpr std::array<bool, 256> kSpace = [] {
  std::array<bool, 256> t{};
  t[' '] = t['\t'] = t['\n'] = t['\r'] = true;
  return t;
}();

LQD_ALWAYS_INLINE uint64_t Load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
LQD_ALWAYS_INLINE uint32_t Load4(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// k == lit, for the short literal keys: word compares (overlapping for
// lengths that are not a multiple of the word), no memcmp call.
template <size_t N>
LQD_ALWAYS_INLINE bool Is(std::string_view k, const char (&lit)[N]) {
  constexpr size_t n = N - 1;
  static_assert(n >= 1 && n <= 16, "keys of 1..16 bytes");
  if (k.size() != n) return false;
  const char* d = k.data();
  if constexpr (n < 4) {
    for (size_t i = 0; i < n; ++i)
      if (d[i] != lit[i]) return false;
    return true;
  } else if constexpr (n >= 8) {
    return ((Load8(d) ^ Load8(lit)) | (Load8(d + n - 8) ^ Load8(lit + n - 8))) == 0;
  } else {
    return ((Load4(d) ^ Load4(lit)) | (Load4(d + n - 4) ^ Load4(lit + n - 4))) == 0;
  }
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  LQD_ALWAYS_INLINE void Ws() {
    while (p_ < end_ && kSpace[static_cast<unsigned char>(*p_)]) ++p_;
  }
  LQD_ALWAYS_INLINE bool Peek(char c) {
    Ws();
    return p_ < end_ && *p_ == c;
  }
  LQD_ALWAYS_INLINE bool Eat(char c) {
    if (!Peek(c)) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    Ws();
    return p_ == end_;
  }
  bool Str(std::string_view* out) {
    if (!Eat('"')) return false;
    const char* start = p_;
    // Eight bytes at a time while none is a quote, a backslash, a control
    // character or non-ASCII (SWAR); the table loop takes the rest.
    constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
    auto has_zero = [&](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
    while (end_ - p_ >= 8) {
      const uint64_t w = Load8(p_);
      const uint64_t special = has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) |
                               ((w - kOnes * 0x20) & ~w & kHigh) | (w & kHigh);
      if (special == 0) {
        p_ += 8;
        continue;
      }
      // The lowest flagged byte is exact (a false flag can only sit above
      // a true one), so on a little-endian machine it is the first special.
      if constexpr (std::endian::native == std::endian::little) p_ += std::countr_zero(special) / 8;
      break;
    }
    while (p_ < end_ && kPlain[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ == end_ || *p_ != '"') return false;
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  // A non-negative integer up to `max` (< 10^11), written as plain digits.
  bool UpTo(uint64_t max, uint64_t* out) {
    Ws();
    const char* start = p_;
    uint64_t v = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9' && p_ - start < 12) v = v * 10 + static_cast<uint64_t>(*p_++ - '0');
    const ptrdiff_t digits = p_ - start;
    if (digits == 0 || digits > 11 || (digits > 1 && *start == '0') || v > max) return false;
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = v;
    return true;
  }
  // A non-negative integer that fits 32 bits.
  bool U32(uint32_t* out) {
    uint64_t v = 0;
    if (!UpTo(0xffffffffull, &v)) return false;
    *out = static_cast<uint32_t>(v);
    return true;
  }
  // Calls on_member(key) for each member; it must consume the value.
  template <typename F>
  LQD_ALWAYS_INLINE bool Object(F&& on_member, int depth = 0) {
    if (depth > 32 || !Eat('{')) return false;
    if (Eat('}')) return true;
    for (;;) {
      std::string_view key;
      if (!Str(&key) || !Eat(':') || !on_member(key)) return false;
      if (Eat(',')) continue;
      return Eat('}');
    }
  }
  // Any JSON value, validated and ignored.
  bool Skip(int depth = 0) {
    Ws();
    if (p_ >= end_ || depth > 32) return false;
    std::string_view unused;
    switch (*p_) {
      case '"':
        return Str(&unused);
      case '{':
        return Object([&](std::string_view) { return Skip(depth + 1); }, depth + 1);
      case '[':
        ++p_;
        if (Eat(']')) return true;
        for (;;) {
          if (!Skip(depth + 1)) return false;
          if (Eat(',')) continue;
          return Eat(']');
        }
      case 't': return Word("true");
      case 'f': return Word("false");
      case 'n': return Word("null");
      default: return Number();
    }
  }

 private:
  template <size_t N>
  bool Word(const char (&w)[N]) {
    if (end_ - p_ < static_cast<ptrdiff_t>(N - 1) || std::memcmp(p_, w, N - 1) != 0) return false;
    p_ += N - 1;
    return true;
  }
  bool Digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > start;
  }
  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number() {
    if (p_ < end_ && *p_ == '-') ++p_;
    const char* start = p_;
    if (!Digits() || (p_ - start > 1 && *start == '0')) return false;
    if (p_ < end_ && *p_ == '.' && (++p_, !Digits())) return false;
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
    }
    return true;
  }

  const char* p_;
  const char* end_;
};

struct FastFields {
  std::optional<std::string_view> ip, hw, cid, rai_hex;
  std::optional<uint32_t> valid, cltt, state, subnet;
  std::optional<uint64_t> expire;  // cltt + valid-lft in 64 bits (control/kea_times.h)
  bool user_context = false;
};

template <typename T, typename F>
LQD_ALWAYS_INLINE bool Once(std::optional<T>& slot, const F& read) {
  if (slot) return false;  // a duplicate: let the DOM path decide
  T v{};
  if (!read(&v)) return false;
  slot = v;
  return true;
}

bool FastUserContext(Scanner& sc, FastFields& f) {
  bool isc = false, rai = false;
  return sc.Object([&](std::string_view k) {
    if (!Is(k, "ISC")) return sc.Skip(1);
    if (isc) return false;
    isc = true;
    if (!sc.Peek('{')) return sc.Skip(1);  // not a map: no option 82 (as the DOM path)
    return sc.Object(
        [&](std::string_view k2) {
          if (!Is(k2, "relay-agent-info")) return sc.Skip(2);
          if (rai) return false;
          rai = true;
          std::string_view hex;
          if (sc.Peek('"')) {
            if (!sc.Str(&hex)) return false;
            f.rai_hex = hex;
            return true;
          }
          bool sub = false;
          const bool ok = sc.Object(
              [&](std::string_view k3) {
                if (!Is(k3, "sub-options")) return sc.Skip(3);
                if (sub || !sc.Str(&hex)) return false;
                sub = true;
                f.rai_hex = hex;
                return true;
              },
              2);
          return ok && sub;
        },
        1);
  });
}

bool FastArguments(Scanner& sc, FastFields& f) {
  const auto str = [&](std::string_view* v) { return sc.Str(v); };
  const auto u32 = [&](uint32_t* v) { return sc.U32(v); };
  return sc.Object([&](std::string_view k) {
    // Dispatch on the length first: most keys are then one memcmp away.
    switch (k.size()) {
      case 4:
        if (Is(k, "cltt")) return Once(f.cltt, u32);
        break;
      case 5:
        if (Is(k, "state")) return Once(f.state, u32);
        break;
      case 6:
        if (Is(k, "expire")) return Once(f.expire, [&](uint64_t* v) { return sc.UpTo(kMaxKeaExpire, v); });
        break;
      case 9:
        if (Is(k, "valid-lft")) return Once(f.valid, u32);
        if (Is(k, "client-id")) return Once(f.cid, str);
        if (Is(k, "subnet-id")) return Once(f.subnet, u32);
        break;
      case 10:
        if (Is(k, "ip-address")) return Once(f.ip, str);
        if (Is(k, "hw-address")) return Once(f.hw, str);
        break;
      case 12:
        if (Is(k, "user-context")) {
          if (f.user_context) return false;
          f.user_context = true;
          return sc.Peek('{') ? FastUserContext(sc, f) : sc.Skip(1);
        }
        break;
    }
    return sc.Skip(1);
  });
}


// "xx:xx:...:xx", two hex digits per byte, at most `max` bytes, into out;
// "" is zero bytes. Returns the byte count or -1 (the DOM path's ColonHex
// also takes one-digit bytes and judges errors).
int PlainColonHex(std::string_view s, size_t max, uint8_t* out) {
  if (s.empty()) return 0;
  if (s.size() % 3 != 2 || (s.size() + 1) / 3 > max) return -1;
  int k = 0;
  for (size_t i = 0; i < s.size(); i += 3, ++k) {
    const int hi = HexNibble(s[i]), lo = HexNibble(s[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < s.size() && s[i + 2] != ':')) return -1;
    out[k] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return k;
}

// DecodeHex's accepted set exactly ("0x" or "0X" optional, an even count
// of hex digits), at most 255 bytes. -1 otherwise.
int PlainHex(std::string_view s, uint8_t* out /* 255 bytes */) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.size() % 2 != 0 || s.size() / 2 > 255) return -1;
  for (size_t i = 0; i < s.size(); i += 2) {
    const int hi = HexNibble(s[i]), lo = HexNibble(s[i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i / 2] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return static_cast<int>(s.size() / 2);
}

}  // namespace

bool FastParseKeaCommand(std::string_view body, KeaCommand* cmd) {
  Scanner sc(body);
  std::optional<std::string_view> command;
  FastFields f;
  bool args = false;
  const bool ok = sc.Object([&](std::string_view k) {
    if (Is(k, "command")) return Once(command, [&](std::string_view* v) { return sc.Str(v); });
    if (Is(k, "arguments")) {
      if (args) return false;
      args = true;
      return FastArguments(sc, f);
    }
    return sc.Skip(0);
  });
  if (!ok || !sc.AtEnd() || !args || !command) return false;
  const bool del = Is(*command, "lease4-del");
  if (!del && !Is(*command, "lease4-update")) return false;
  // LeaseFromKeaJson's rules, on the happy path only.
  if (!f.ip || !f.valid || (!f.expire && !f.cltt) || (f.state && *f.state > 3)) return false;
  Lease& l = cmd->update.lease;
  if (!dhcp::ParseDottedQuad(*f.ip, &l.ip)) return false;  // else the DOM path asks inet_pton
  uint8_t buf[255];
  if (f.hw) {
    const int n = PlainColonHex(*f.hw, sizeof l.hw.bytes, buf);
    if (n < 0) return false;
    if (n > 0) {
      l.hw.htype = 1;  // Kea's lease JSON has no htype; its hw-address is Ethernet
      l.hw.hlen = static_cast<uint8_t>(n);
      std::memcpy(l.hw.bytes, buf, static_cast<size_t>(n));
    }
  }
  if (f.cid) {
    const int n = PlainColonHex(*f.cid, 255, buf);
    if (n < 0) return false;
    l.client_id.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  }
  const uint32_t valid = *f.valid;
  if (f.expire) {
    if (!KeaTimesFromExpire(*f.expire, valid, &l.cltt, &l.expire)) return false;  // the DOM path says why
  } else {
    l.cltt = *f.cltt;
    const uint64_t e = uint64_t{*f.cltt} + valid;
    l.expire = e >= kInfiniteTime ? kInfiniteTime : static_cast<uint32_t>(e);
  }
  if (valid == kInfiniteTime) l.expire = kInfiniteTime;
  static constexpr LeaseState kStates[] = {LeaseState::kActive, LeaseState::kDeclined, LeaseState::kExpired,
                                           LeaseState::kReleased};
  l.state = kStates[f.state.value_or(0)];
  if (f.subnet) l.subnet_id = *f.subnet;
  if (f.rai_hex) {
    // RelayAgentInfoFromHex's checks: decoded, at most 255 bytes, valid TLVs.
    const int n = PlainHex(*f.rai_hex, buf);
    if (n < 0 || !dhcp::RelayAgentInfo::Parse({buf, static_cast<size_t>(n)})) return false;
    l.relay_agent_info.assign(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  }
  cmd->name.assign(command->data(), command->size());
  cmd->is_lease_change = true;
  cmd->update.kind = del ? LeaseUpdate::Kind::kDelete : LeaseUpdate::Kind::kUpsert;
  cmd->update.source = FeedSource::kKeaHaPush;
  return true;
}

}  // namespace lqd::control
