// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/frame_fuzz.cc
//
// libFuzzer target for the whole fast path minus the NIC: frame bytes ->
// classify -> parse -> query engine -> reply frame, exactly the calls the
// lcore loop makes, against a small store.
//
// Input layout: byte 0 selects how the frame is made, the rest is used as
//   bit 0 = 0: a raw frame (whatever the fuzzer found);
//   bit 0 = 1: Ethernet [+ 802.1Q (bit 1)] [+ QinQ outer tag (bit 2)] +
//              IPv4 (valid checksum unless bit 3) + UDP 67->67 (zero
//              checksum) around the rest as DHCP payload, so the fuzzer
//              spends its time in the DHCP parser and the engine instead of
//              failing checksums.
// Invariants: no crash or sanitizer report; a reply is never addressed to
// giaddr 0 or a broadcast/multicast address; at most one reply per frame;
// the reply frame classifies again as well-formed IPv4/UDP.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dataplane/classify.h"
#include "dataplane/reply_frame.h"
#include "dhcp/auth_option.h"
#include "dhcp/message.h"
#include "engine/auth.h"
#include "engine/query_engine.h"

namespace {

using namespace lqd;
using namespace lqd::dataplane;

#define FUZZ_CHECK(c) \
  do {                \
    if (!(c)) std::abort(); \
  } while (0)

constexpr uint32_t kServer = 0xC0000201;  // 192.0.2.1
constexpr uint8_t kPortMac[6] = {0x02, 0, 0, 0, 0, 1};
constexpr uint32_t kNow = 1'700'000'000;

struct World {
  LeaseStore store;
  Policy policy = DefaultPolicy();
  QueryEngine engine{store};
  World() {
    for (uint32_t i = 0; i < 64; ++i) {
      Lease l;
      l.ip = 0xC6336400 + i;
      l.hw.htype = 1;
      l.hw.hlen = 6;
      l.hw.bytes[5] = static_cast<uint8_t>(i % 16);
      l.client_id = std::string("\x01\x02", 2) + std::string(1, static_cast<char>(i % 16));
      l.cltt = kNow - i;
      l.expire = kNow + 100 - i * 3;
      l.relay_agent_info = std::string("\x01\x03" "abc\x13\x00", 7);
      (void)store.Upsert(l);
    }
    store.SetRanges(*AuthoritativeRanges::Build({{kGlobalVpn, 0xC6336400, 0xC63364ff}}));
    policy.non_sensitive.set(1);
    // Mode bit 32: RFC 3118 auth (optional, key 7 "fuzz-key" for every giaddr).
    auth_policy = policy;
    AuthConfig a;
    a.mode = AuthMode::kOptional;
    a.keys.push_back({7, {'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'}, {{0, 0}}});
    auth_policy.auth = *AuthKeyring::Create(a, kNow);
  }
  Policy auth_policy;
};

void Put16(uint8_t* p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }

std::vector<uint8_t> Wrap(uint8_t mode, const uint8_t* data, size_t size) {
  std::vector<uint8_t> f;
  const uint8_t eth[12] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  f.insert(f.end(), eth, eth + 12);
  if (mode & 4) f.insert(f.end(), {0x88, 0xa8, 0x00, 0x64});
  if (mode & 2) f.insert(f.end(), {0x81, 0x00, 0x00, 0x0a});
  f.insert(f.end(), {0x08, 0x00});
  const size_t ip = f.size();
  const size_t total = 20 + 8 + size;
  f.resize(ip + 20 + 8);
  uint8_t* h = &f[ip];
  h[0] = 0x45;
  Put16(h + 2, static_cast<uint16_t>(total));
  h[8] = 64;
  h[9] = 17;
  const uint8_t src[4] = {192, 0, 2, 2}, dst[4] = {192, 0, 2, 1};
  std::memcpy(h + 12, src, 4);
  std::memcpy(h + 16, dst, 4);
  uint16_t ck = ChecksumFinish(ChecksumPartial(h, 20, 0));
  if (mode & 8) ck ^= 0x1234;
  Put16(h + 10, ck);
  uint8_t* u = h + 20;
  Put16(u, 67);
  Put16(u + 2, 67);
  Put16(u + 4, static_cast<uint16_t>(8 + size));
  f.insert(f.end(), data, data + size);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Static objects, not leaked pointers: their destructors free the store
  // before LeakSanitizer looks (it cannot follow the index's tagged pointers).
  static World world;
  static QsbrReader reader_obj(world.store.qsbr());
  World* w = &world;
  QsbrReader* reader = &reader_obj;
  if (size < 1 || size > 4096) return 0;
  const uint8_t mode = data[0];
  std::vector<uint8_t> frame = (mode & 1) ? Wrap(mode, data + 1, size - 1)
                                          : std::vector<uint8_t>(data + 1, data + size);
  const uint32_t addrs[1] = {kServer};
  PortIdentity port;
  port.addresses = addrs;
  port.mac = nullptr;
  const Classified c = ClassifyFrame(frame, port);
  if (c.cls != FrameClass::kLeaseQuery) return 0;
  FUZZ_CHECK(c.payload_off + c.payload_len <= frame.size());

  // As the lcore does: parse a copy, write the reply over the frame.
  std::vector<uint8_t> copy(frame.begin() + c.payload_off, frame.begin() + c.payload_off + c.payload_len);
  dhcp::ParsedMessage q;
  if (dhcp::ParseMessage(copy, q)) return 0;
  QueryContext ctx;
  ctx.now = kNow;
  ctx.server_id = kServer;
  ctx.policy = (mode & 32) ? &w->auth_policy : &w->policy;
  ctx.udp_src_port = c.src_port;
  ctx.replica_stale = (mode & 16) != 0;
  frame.resize(c.payload_off + 1500);
  const QueryResult r = w->engine.Answer(q, ctx, {frame.data() + c.payload_off, 1500 - 28});
  reader->Quiescent();
  if (!r.reply) return 0;
  FUZZ_CHECK(q.giaddr != 0 && r.dst_ip == q.giaddr);
  if (mode & 32) {  // a reply lqd signed verifies with the key (RFC 3118)
    static dhcp::ParsedMessage reply;
    FUZZ_CHECK(!dhcp::ParseMessage({frame.data() + c.payload_off, r.len}, reply).has_value());
    if (reply.Find(dhcp::auth::kOptionCode) != nullptr) {
      static const dhcp::HmacMd5Key key(std::vector<uint8_t>{'f', 'u', 'z', 'z', '-', 'k', 'e', 'y'});
      uint64_t counter = 0;
      FUZZ_CHECK(dhcp::VerifyDelayedAuth(reply, 7, key, &counter) == dhcp::MacCheck::kOk);
    }
  }
  const uint32_t first = r.dst_ip >> 24;
  FUZZ_CHECK(first != 0 && first < 224);
  const size_t n = BuildLeaseQueryReply(frame, c, kPortMac, {c.dst_ip, r.dst_ip, r.dst_port, r.len});
  FUZZ_CHECK(n > 0 && n <= frame.size());
  // The reply is a well-formed frame: it classifies (as addressed to giaddr).
  const uint32_t giaddr[1] = {r.dst_ip};
  PortIdentity relay;
  relay.addresses = giaddr;
  const Classified rc = ClassifyFrame({frame.data(), n}, relay);
  FUZZ_CHECK(rc.cls == FrameClass::kException || rc.cls == FrameClass::kLeaseQuery);
  return 0;
}
