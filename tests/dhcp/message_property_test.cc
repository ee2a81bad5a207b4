// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/message_property_test.cc
//
// 200k deterministic packets through ParseMessage, in three families:
//  * generated: valid packets with random options, random RFC 3396 splits,
//    overload and junk in unselected fields, checked against a simple model
//    of what the parser must return;
//  * mutated: those packets with a few random edits;
//  * random: random bytes, half of them behind a valid header and cookie.
// Every packet is checked against invariants that must hold whatever the
// bytes, and parsed twice (fresh and reused ParsedMessage) to catch state
// leaking from one packet to the next.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dhcp/message.h"
#include "dhcp/relay_agent_info.h"

namespace lqd::dhcp {
namespace {

using Bytes = std::vector<uint8_t>;

struct Model {
  Bytes packet;
  uint8_t overload = 0;
  std::vector<uint8_t> order;         // codes by first appearance
  std::vector<Bytes> values;          // concatenated value, same index
  void Saw(uint8_t code, const uint8_t* v, size_t n) {
    auto it = std::find(order.begin(), order.end(), code);
    if (it == order.end()) {
      order.push_back(code);
      values.emplace_back();
      it = order.end() - 1;
    }
    Bytes& val = values[static_cast<size_t>(it - order.begin())];
    val.insert(val.end(), v, v + n);
  }
};

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  // Straight from mt19937, whose output the standard fixes: unlike
  // std::uniform_int_distribution this gives the same packets with every
  // standard library. The modulo bias is irrelevant here.
  size_t Uniform(size_t lo, size_t hi) { return lo + rng_() % (hi - lo + 1); }
  uint8_t Byte() { return static_cast<uint8_t>(rng_() >> 24); }
  void Fill(Bytes& v) {
    for (size_t i = 0; i < v.size(); i += 4) {
      const uint32_t r = static_cast<uint32_t>(rng_());
      std::memcpy(&v[i], &r, std::min<size_t>(4, v.size() - i));
    }
  }
  bool Chance(size_t percent) { return Uniform(0, 99) < percent; }

  // A valid packet and what the parser must report for it.
  Model Valid() {
    Model m;
    Bytes& p = m.packet;
    p.resize(kMinMessageLen);
    Fill(p);
    p[kOffOp] = Chance(50) ? kOpBootRequest : kOpBootReply;
    p[kOffHlen] = static_cast<uint8_t>(Uniform(0, kChaddrLen));
    StoreBe32(&p[kOffCookie], kMagicCookie);
    m.overload = Chance(40) ? static_cast<uint8_t>(Uniform(1, 3)) : 0;

    // Options field: message type once, overload if any, random TLVs.
    Bytes opts;
    const size_t n = Uniform(0, 12);
    const size_t type_at = Uniform(0, n);
    for (size_t i = 0; i <= n; ++i) {
      if (i == type_at) Tlv(opts, opt::kMessageType, {static_cast<uint8_t>(Uniform(1, 18))});
      if (i == 0 && m.overload) Tlv(opts, opt::kOverload, {m.overload});
      if (i < n) RandomTlv(opts, 60);
    }
    if (Chance(20)) Rai(opts);
    opts.push_back(opt::kEnd);
    Walk(opts.data(), opts.size(), m);
    p.insert(p.end(), opts.begin(), opts.end());
    if (Chance(30)) {  // trailing bytes after END are ignored
      for (size_t i = Uniform(1, 40); i > 0; --i) p.push_back(Byte());
    }
    // RFC 2131 4.1 order: file, then sname.
    if (m.overload & 1) Field(p, kOffFile, kFileLen, m);
    if (m.overload & 2) Field(p, kOffSname, kSnameLen, m);
    return m;
  }

  void Mutate(Bytes& p) {
    for (size_t edits = Uniform(1, 6); edits > 0; --edits) {
      static constexpr uint8_t kInteresting[] = {0, 1, 2, 4, 52, 53, 61, 82, 127, 128, 254, 255};
      const size_t at = p.empty() ? 0 : Uniform(0, p.size() - 1);
      switch (Uniform(0, 5)) {
        case 0: if (!p.empty()) p[at] = Byte(); break;
        case 1: if (!p.empty()) p[at] = kInteresting[Uniform(0, std::size(kInteresting) - 1)]; break;
        case 2: p.resize(Uniform(0, p.size())); break;
        case 3: p.insert(p.begin() + static_cast<ptrdiff_t>(at), Byte()); break;
        case 4: if (!p.empty()) p.erase(p.begin() + static_cast<ptrdiff_t>(at)); break;
        case 5: {  // duplicate a run: repeats options, makes splits
          const size_t len = std::min(Uniform(1, 20), p.size() - at);
          const Bytes run(p.begin() + static_cast<ptrdiff_t>(at), p.begin() + static_cast<ptrdiff_t>(at + len));
          p.insert(p.begin() + static_cast<ptrdiff_t>(at), run.begin(), run.end());
          break;
        }
      }
    }
  }

  Bytes Random() {
    Bytes p(Uniform(0, 700));
    Fill(p);
    if (p.size() >= kMinMessageLen && Chance(50)) {
      p[kOffOp] = kOpBootRequest;
      p[kOffHlen] %= 17;
      StoreBe32(&p[kOffCookie], kMagicCookie);
    }
    return p;
  }

 private:
  static void Tlv(Bytes& out, uint8_t code, const Bytes& value) {
    out.push_back(code);
    out.push_back(static_cast<uint8_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
  }

  // A small code pool so codes repeat: within a field and across fields.
  // 52, 53, 61 and 82 have rules of their own and are left out.
  void RandomTlv(Bytes& out, size_t max_len) {
    static constexpr uint8_t kCodes[] = {1, 3, 6, 12, 15, 43, 51, 55, 60, 91, 92, 125, 221, 254};
    while (Chance(20)) out.push_back(opt::kPad);
    Bytes v(Uniform(0, max_len));
    Fill(v);
    Tlv(out, kCodes[Uniform(0, std::size(kCodes) - 1)], v);
  }

  // Option 82 with 1-3 sub-options, sometimes split in two instances.
  void Rai(Bytes& out) {
    Bytes v;
    for (size_t i = Uniform(1, 3); i > 0; --i) {
      v.push_back(static_cast<uint8_t>(Uniform(1, 12)));
      const size_t len = Uniform(0, 8);
      v.push_back(static_cast<uint8_t>(len));
      for (size_t k = 0; k < len; ++k) v.push_back(Byte());
    }
    const size_t cut = Chance(50) ? Uniform(0, v.size()) : v.size();
    Tlv(out, opt::kRelayAgentInfo, Bytes(v.begin(), v.begin() + static_cast<ptrdiff_t>(cut)));
    if (cut < v.size()) Tlv(out, opt::kRelayAgentInfo, Bytes(v.begin() + static_cast<ptrdiff_t>(cut), v.end()));
  }

  // Fills file or sname with TLVs, ending with END or at the boundary.
  void Field(Bytes& p, size_t off, size_t cap, Model& m) {
    Bytes f;
    while (Chance(70)) {
      Bytes t;
      RandomTlv(t, 30);
      if (f.size() + t.size() > cap) break;
      f.insert(f.end(), t.begin(), t.end());
    }
    if (f.size() < cap && Chance(60)) f.push_back(opt::kEnd);
    Walk(f.data(), f.size(), m);
    f.resize(cap, opt::kPad);
    std::copy(f.begin(), f.end(), p.begin() + static_cast<ptrdiff_t>(off));
  }

  // Feeds the model from bytes this generator wrote (trusted TLVs).
  static void Walk(const uint8_t* p, size_t n, Model& m) {
    for (size_t i = 0; i < n && p[i] != opt::kEnd;) {
      if (p[i] == opt::kPad) {
        ++i;
        continue;
      }
      m.Saw(p[i], p + i + 2, p[i + 1]);
      i += 2 + p[i + 1];
    }
  }

  std::mt19937 rng_;
};

// Whatever the input: on failure nothing is exposed; on success every view
// is inside the packet (as the value of a real TLV) or inside the message's
// own scratch area, and Find agrees with options().
void CheckInvariants(const Bytes& in, const std::optional<ParseError>& err, const ParsedMessage& m) {
  if (err) {
    ASSERT_LT(static_cast<size_t>(*err), static_cast<size_t>(ParseError::kCount));
    ASSERT_TRUE(m.options().empty());
    return;
  }
  ASSERT_GE(in.size(), kMinMessageLen);
  ASSERT_EQ(m.raw.data(), in.data());
  ASSERT_EQ(m.raw.size(), in.size());
  ASSERT_TRUE(m.op == kOpBootRequest || m.op == kOpBootReply);
  ASSERT_LE(m.hlen, kChaddrLen);
  ASSERT_EQ(m.chaddr, in.data() + kOffChaddr);
  ASSERT_LE(m.options().size(), ParsedMessage::kMaxOptions);

  const auto* self = reinterpret_cast<const uint8_t*>(&m);
  size_t scratch = 0;
  std::bitset<256> codes;
  for (const OptionView& o : m.options()) {
    ASSERT_NE(o.code, opt::kPad);
    ASSERT_NE(o.code, opt::kEnd);
    ASSERT_FALSE(codes.test(o.code)) << "code twice: " << int{o.code};
    codes.set(o.code);
    ASSERT_EQ(m.Find(o.code), &o);
    ASSERT_NE(o.data, nullptr);
    if (o.data >= in.data() && o.data + o.len <= in.data() + in.size()) {
      // A single occurrence: the view is the value of the TLV in place.
      ASSERT_GE(o.data - in.data(), static_cast<ptrdiff_t>(kOffSname + 2));
      ASSERT_LE(o.len, 255);
      ASSERT_EQ(o.data[-2], o.code);
      ASSERT_EQ(o.data[-1], o.len);
    } else {
      ASSERT_GE(o.data, self);
      ASSERT_LE(o.data + o.len, self + sizeof(ParsedMessage));
      scratch += o.len;
    }
  }
  ASSERT_LE(scratch, ParsedMessage::kScratchLen);
  for (uint8_t absent : {0, 2, 200, 255}) {
    if (!codes.test(absent)) {
      ASSERT_EQ(m.Find(absent), nullptr);
    }
  }

  const OptionView* type = m.Find(opt::kMessageType);
  ASSERT_NE(type, nullptr);
  ASSERT_EQ(type->len, 1);
  ASSERT_EQ(static_cast<uint8_t>(m.message_type), type->data[0]);
  const OptionView* ov = m.Find(opt::kOverload);
  ASSERT_EQ(m.overload, ov ? ov->data[0] : 0);
  ASSERT_LE(m.overload, 3);
  if (const OptionView* id = m.Find(opt::kClientId)) {
    ASSERT_GT(id->len, 0);
  }
  if (const OptionView* rai = m.Find(opt::kRelayAgentInfo)) {
    const auto info = RelayAgentInfo::Parse(rai->bytes());
    ASSERT_TRUE(info.has_value());
    size_t walked = 0;
    for (const SubOptionView s : *info) walked += 2 + s.value.size();
    ASSERT_EQ(walked, rai->len);
  }
}

// Parses into a fresh message and into one dirtied by the previous packet;
// both must agree exactly.
void ParseAndCheck(const Bytes& in, ParsedMessage& reused, std::optional<ParseError>* err_out = nullptr) {
  const auto fresh = std::make_unique<ParsedMessage>();
  const auto err = ParseMessage(in, *fresh);
  ASSERT_NO_FATAL_FAILURE(CheckInvariants(in, err, *fresh));
  const auto again = ParseMessage(in, reused);
  ASSERT_EQ(again, err);
  ASSERT_EQ(reused.options().size(), fresh->options().size());
  for (size_t i = 0; i < fresh->options().size(); ++i) {
    const OptionView& a = fresh->options()[i];
    const OptionView& b = reused.options()[i];
    ASSERT_EQ(a.code, b.code);
    ASSERT_TRUE(std::equal(a.data, a.data + a.len, b.data, b.data + b.len));
  }
  if (err_out) *err_out = err;
}

constexpr int kPackets = 200'000;

TEST(MessageProperty, RandomGeneratedAndMutatedPackets) {
  Gen gen(20240601);
  ParsedMessage reused;
  int ok = 0, generated = 0;
  std::array<int, static_cast<size_t>(ParseError::kCount)> by_error{};
  for (int i = 0; i < kPackets; ++i) {
    SCOPED_TRACE("packet " + std::to_string(i));
    std::optional<ParseError> err;
    switch (i % 3) {
      case 0: {
        const Model want = gen.Valid();
        ++generated;
        ASSERT_NO_FATAL_FAILURE(ParseAndCheck(want.packet, reused, &err));
        ASSERT_EQ(err, std::nullopt) << ParseErrorName(*err);
        ASSERT_EQ(reused.overload, want.overload);
        ASSERT_EQ(reused.options().size(), want.order.size());
        for (size_t k = 0; k < want.order.size(); ++k) {
          const OptionView& o = reused.options()[k];
          ASSERT_EQ(o.code, want.order[k]);
          ASSERT_EQ(Bytes(o.data, o.data + o.len), want.values[k]) << "code " << int{o.code};
        }
        break;
      }
      case 1: {
        Bytes p = gen.Valid().packet;
        gen.Mutate(p);
        p.shrink_to_fit();  // exact-size heap block, so ASan sees overreads
        ASSERT_NO_FATAL_FAILURE(ParseAndCheck(p, reused, &err));
        break;
      }
      case 2:
        ASSERT_NO_FATAL_FAILURE(ParseAndCheck(gen.Random(), reused, &err));
        break;
    }
    if (err) ++by_error[static_cast<size_t>(*err)]; else ++ok;
  }
  // The families must actually reach deep into the parser: a generator that
  // only produced truncated headers would pass every invariant vacuously.
  EXPECT_GT(ok, generated);
  for (ParseError e : {ParseError::kOptionOverrun, ParseError::kMissingEnd, ParseError::kOptionTruncated,
                       ParseError::kBadOverload, ParseError::kDuplicateMessageType,
                       ParseError::kMissingMessageType, ParseError::kBadRelayAgentInfo,
                       ParseError::kOverloadNested}) {
    EXPECT_GT(by_error[static_cast<size_t>(e)], 0) << ParseErrorName(e);
  }
}

}  // namespace
}  // namespace lqd::dhcp
