// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/message_fuzz.cc
//
// libFuzzer target for the codec. Any input must parse or fail cleanly;
// a parsed message, rebuilt as a reply by MessageBuilder, must parse again
// and carry the same header fields and option values. Option 90 (RFC 3118):
// the parser takes any bytes, Pack is its inverse, and a message signed in
// place verifies while the same message with a flipped byte does not.
//
//   ./build-fuzz/tests/dhcp/message_fuzz -max_total_time=60 NEW_DIR tests/dhcp/corpus/message
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dhcp/auth_option.h"
#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "dhcp/relay_agent_info.h"

namespace {

using namespace lqd::dhcp;

// An assert that survives NDEBUG: a broken property must crash the fuzzer.
#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) std::abort(); \
  } while (0)

size_t WalkRai(const RelayAgentInfo& r) {
  size_t bytes = 0;
  for (const SubOptionView s : r) bytes += 2 + s.value.size();
  (void)r.circuit_id();
  (void)r.remote_id();
  (void)r.relay_id();
  (void)r.relay_port();
  (void)r.link_selection();
  (void)r.server_id_override();
  return bytes;
}

bool SameValue(const OptionView* a, const OptionView* b) {
  return a != nullptr && b != nullptr && std::equal(a->data, a->data + a->len, b->data, b->data + b->len);
}

void Rebuild(const ParsedMessage& m) {
  BootpHeader h;
  h.op = m.op;
  h.htype = m.htype;
  h.hlen = m.hlen;
  h.hops = m.hops;
  h.xid = m.xid;
  h.secs = m.secs;
  h.flags = m.flags;
  h.ciaddr = m.ciaddr;
  h.yiaddr = m.yiaddr;
  h.siaddr = m.siaddr;
  h.giaddr = m.giaddr;
  std::copy_n(m.chaddr, kChaddrLen, h.chaddr);

  static std::array<uint8_t, 1500> buf;
  MessageBuilder b(buf);
  b.SetHeader(h);
  b.AddMessageType(m.message_type);
  // Everything but 53 (written above) and 52: the builder uses no overload,
  // so options that lived in file/sname move to the options field.
  for (const OptionView& o : m.options()) {
    if (o.code != opt::kMessageType && o.code != opt::kOverload) b.AddOption(o.code, o.bytes());
  }
  const size_t n = b.Finish();
  if (n == 0) {
    FUZZ_CHECK(b.overflowed());  // a legitimately too-big reply, not a bug
    return;
  }
  FUZZ_CHECK(n >= kBootpMinLen && n <= buf.size());

  static ParsedMessage again;  // ~2.3 KB: keep it off the stack
  FUZZ_CHECK(!ParseMessage({buf.data(), n}, again).has_value());
  FUZZ_CHECK(again.xid == m.xid && again.ciaddr == m.ciaddr && again.giaddr == m.giaddr);
  FUZZ_CHECK(again.op == m.op && again.htype == m.htype && again.hlen == m.hlen);
  FUZZ_CHECK(std::equal(m.chaddr, m.chaddr + kChaddrLen, again.chaddr));
  FUZZ_CHECK(again.message_type == m.message_type && again.overload == 0);
  for (const OptionView& o : m.options()) {
    if (o.code != opt::kOverload) FUZZ_CHECK(SameValue(&o, again.Find(o.code)));
  }
  FUZZ_CHECK(again.options().size() == m.options().size() - (m.overload ? 1 : 0));
}

// RFC 3118 option 90 properties on whatever the fuzzer built.
void CheckAuth(const ParsedMessage& m) {
  static const HmacMd5Key key(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("fuzz-key"), 8));
  uint64_t replay = 0;
  (void)VerifyDelayedAuth(m, 7, key, &replay);  // any verdict, never a crash
  const OptionView* o = m.Find(auth::kOptionCode);
  if (o == nullptr) return;
  const auto a = AuthOption::Parse(o->bytes());
  FUZZ_CHECK(a.has_value() == (o->len >= auth::kFixedLen));
  if (!a) return;
  FUZZ_CHECK(a->info.size() == o->len - auth::kFixedLen);
  if (!a->HasMac()) return;
  const auto packed = PackDelayedAuth(a->replay, a->secret_id());
  FUZZ_CHECK(std::equal(packed.begin() + 3, packed.begin() + auth::kMacOffsetInValue, o->data + 3));
  const auto at = MacOffsetIn(m.raw, o->bytes());
  if (!at) return;
  // Sign a copy in place: it must verify, and not after a flipped byte.
  static std::array<uint8_t, 4096> copy;
  if (m.raw.size() > copy.size()) return;
  std::copy(m.raw.begin(), m.raw.end(), copy.begin());
  const std::span<uint8_t> msg(copy.data(), m.raw.size());
  SignMessage(key, msg, *at);
  static ParsedMessage signed_m;
  FUZZ_CHECK(!ParseMessage(msg, signed_m).has_value());
  const MacCheck want = a->IsDelayedHmacMd5() && a->rdm == auth::kRdmMonotonic
                            ? (a->secret_id() == 7 ? MacCheck::kOk : MacCheck::kWrongKeyId)
                            : MacCheck::kUnsupported;
  FUZZ_CHECK(VerifyDelayedAuth(signed_m, 7, key, &replay) == want);
  if (want == MacCheck::kOk) {
    FUZZ_CHECK(replay == a->replay);
    copy[msg.size() - 1] ^= 0x80;  // the last byte: padding or END, covered by the MAC
    if (!ParseMessage(msg, signed_m).has_value() && *at + 16 < msg.size())
      FUZZ_CHECK(VerifyDelayedAuth(signed_m, 7, key, &replay) != MacCheck::kOk);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);

  // The option 82 parser on its own, over arbitrary bytes.
  if (auto r = RelayAgentInfo::Parse(in)) FUZZ_CHECK(WalkRai(*r) == size);

  static ParsedMessage m;
  const auto err = ParseMessage(in, m);
  if (err) {
    FUZZ_CHECK(*err < ParseError::kCount && m.options().empty());
    return 0;
  }
  if (const OptionView* o = m.Find(opt::kRelayAgentInfo)) {
    const auto r = RelayAgentInfo::Parse(o->bytes());
    FUZZ_CHECK(r.has_value() && WalkRai(*r) == o->len);
  }
  (void)m.HasHardwareAddress();
  CheckAuth(m);
  Rebuild(m);
  return 0;
}
