// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/message_builder_test.cc
#include "dhcp/message_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "dhcp/message.h"

namespace lqd::dhcp {
namespace {

constexpr uint8_t kCanary = 0xee;

// A buffer of `size` usable bytes followed by canary bytes the builder must
// never touch.
struct Guarded {
  explicit Guarded(size_t size) : size(size), mem(size + 64, kCanary) {}
  std::span<uint8_t> span() { return {mem.data(), size}; }
  bool TailIntact() const {
    return std::all_of(mem.begin() + static_cast<ptrdiff_t>(size), mem.end(),
                       [](uint8_t b) { return b == kCanary; });
  }
  size_t size;
  std::vector<uint8_t> mem;
};

BootpHeader SampleHeader() {
  BootpHeader h;
  h.op = kOpBootReply;
  h.htype = 1;
  h.hlen = 6;
  h.hops = 3;
  h.xid = 0x11223344;
  h.secs = 7;
  h.flags = 0x8000;
  h.ciaddr = 0x0a000005;
  h.yiaddr = 0x0a000006;
  h.siaddr = 0x0a000007;
  h.giaddr = 0x0a000001;
  for (uint8_t i = 0; i < 6; ++i) h.chaddr[i] = static_cast<uint8_t>(0xa0 + i);
  return h;
}

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), uint8_t{1});
  return v;
}

TEST(MessageBuilder, HeaderRoundTripsThroughTheParser) {
  Guarded g(1500);
  MessageBuilder b(g.span());
  b.SetHeader(SampleHeader());
  b.AddMessageType(MessageType::kLeaseActive);
  const size_t n = b.Finish();
  ASSERT_EQ(n, kBootpMinLen);
  ParsedMessage m;
  ASSERT_EQ(ParseMessage({g.mem.data(), n}, m), std::nullopt);
  EXPECT_EQ(m.op, kOpBootReply);
  EXPECT_EQ(m.htype, 1);
  EXPECT_EQ(m.hlen, 6);
  EXPECT_EQ(m.hops, 3);
  EXPECT_EQ(m.xid, 0x11223344u);
  EXPECT_EQ(m.secs, 7);
  EXPECT_EQ(m.flags, 0x8000);
  EXPECT_EQ(m.ciaddr, 0x0a000005u);
  EXPECT_EQ(m.yiaddr, 0x0a000006u);
  EXPECT_EQ(m.siaddr, 0x0a000007u);
  EXPECT_EQ(m.giaddr, 0x0a000001u);
  EXPECT_TRUE(std::equal(m.chaddr, m.chaddr + kChaddrLen, SampleHeader().chaddr));
  EXPECT_EQ(m.message_type, MessageType::kLeaseActive);
  EXPECT_EQ(m.overload, 0);
  EXPECT_TRUE(g.TailIntact());
}

TEST(MessageBuilder, WritesExactBytesAndPadsToBootpMinimum) {
  Guarded g(1500);
  std::fill(g.mem.begin(), g.mem.begin() + 1500, 0x77);  // stale buffer contents
  MessageBuilder b(g.span());
  b.SetHeader(SampleHeader());
  b.AddU8(opt::kMessageType, 13);
  b.AddU32(opt::kLeaseTime, 0x01020304);
  b.AddOption(opt::kHostName, {});
  EXPECT_EQ(b.size(), kMinMessageLen + 3 + 6 + 2);
  ASSERT_EQ(b.Finish(), kBootpMinLen);
  const std::vector<uint8_t> opts(g.mem.begin() + kOffOptions, g.mem.begin() + kOffOptions + 12);
  EXPECT_EQ(opts, (std::vector<uint8_t>{53, 1, 13, 51, 4, 1, 2, 3, 4, 12, 0, 255}));
  // sname, file and the padding are zeroed, whatever the buffer held.
  EXPECT_TRUE(std::all_of(&g.mem[kOffSname], &g.mem[kOffCookie], [](uint8_t x) { return x == 0; }));
  EXPECT_TRUE(std::all_of(&g.mem[kOffOptions + 12], &g.mem[kBootpMinLen], [](uint8_t x) { return x == 0; }));
  EXPECT_EQ(g.mem[kBootpMinLen], 0x77);  // nothing written beyond the message
  EXPECT_EQ(LoadBe32(&g.mem[kOffCookie]), kMagicCookie);
}

TEST(MessageBuilder, PaddingBoundary) {
  // Message length with END, before padding -> length returned by Finish.
  for (const size_t unpadded : {298, 299, 300, 301}) {
    const size_t value_len = unpadded - kMinMessageLen - 3 - 2 - 1;
    Guarded g(1500);
    MessageBuilder b(g.span());
    b.SetHeader(SampleHeader());
    b.AddMessageType(MessageType::kLeaseActive);
    b.AddOption(opt::kVendorClass, Pattern(value_len));
    EXPECT_EQ(b.Finish(), std::max(unpadded, kBootpMinLen)) << unpadded;
    EXPECT_EQ(g.mem[unpadded - 1], opt::kEnd);
  }
}

TEST(MessageBuilder, LongMessageIsNotPadded) {
  Guarded g(1500);
  MessageBuilder b(g.span());
  b.SetHeader(SampleHeader());
  b.AddMessageType(MessageType::kLeaseActive);
  b.AddOption(opt::kVendorClass, Pattern(100));
  EXPECT_EQ(b.Finish(), kMinMessageLen + 3 + 102 + 1);
}

struct SplitCase {
  size_t len;
  std::vector<uint8_t> instance_lens;
};

class SplitTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitTest, SplitsAt255AndTheParserReassembles) {
  const SplitCase& c = GetParam();
  const std::vector<uint8_t> value = Pattern(c.len);
  Guarded g(1500);
  MessageBuilder b(g.span());
  b.SetHeader(SampleHeader());
  b.AddMessageType(MessageType::kLeaseActive);
  b.AddOption(opt::kVendorClass, value);
  const size_t n = b.Finish();
  ASSERT_GT(n, 0u);

  // Wire layout: consecutive instances of the same code.
  size_t p = kOffOptions + 3;
  for (uint8_t len : c.instance_lens) {
    EXPECT_EQ(g.mem[p], opt::kVendorClass);
    EXPECT_EQ(g.mem[p + 1], len);
    p += 2 + len;
  }
  EXPECT_EQ(g.mem[p], opt::kEnd);

  ParsedMessage m;
  ASSERT_EQ(ParseMessage({g.mem.data(), n}, m), std::nullopt);
  const OptionView* o = m.Find(opt::kVendorClass);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(std::vector<uint8_t>(o->data, o->data + o->len), value);
}

INSTANTIATE_TEST_SUITE_P(Lengths, SplitTest,
                         ::testing::Values(SplitCase{0, {0}}, SplitCase{1, {1}}, SplitCase{255, {255}},
                                           SplitCase{256, {255, 1}}, SplitCase{300, {255, 45}},
                                           SplitCase{510, {255, 255}}, SplitCase{511, {255, 255, 1}}),
                         [](const auto& info) { return "len_" + std::to_string(info.param.len); });

TEST(MessageBuilder, AddressListSplitsOnWholeAddresses) {
  // 100 addresses: 63 + 37, each instance a valid list on its own.
  std::vector<uint32_t> addrs(100);
  for (uint32_t i = 0; i < addrs.size(); ++i) addrs[i] = 0x0a000000 + i * 0x01010101;
  Guarded g(1500);
  MessageBuilder b(g.span());
  b.SetHeader(SampleHeader());
  b.AddMessageType(MessageType::kLeaseActive);
  b.AddAddressList(opt::kAssociatedIp, addrs);
  const size_t n = b.Finish();
  ASSERT_EQ(n, kMinMessageLen + 3 + (2 + 252) + (2 + 148) + 1);
  EXPECT_EQ(g.mem[kOffOptions + 3], opt::kAssociatedIp);
  EXPECT_EQ(g.mem[kOffOptions + 4], 252);
  EXPECT_EQ(g.mem[kOffOptions + 3 + 254], opt::kAssociatedIp);
  EXPECT_EQ(g.mem[kOffOptions + 3 + 255], 148);

  ParsedMessage m;
  ASSERT_EQ(ParseMessage({g.mem.data(), n}, m), std::nullopt);
  const OptionView* o = m.Find(opt::kAssociatedIp);
  ASSERT_NE(o, nullptr);
  ASSERT_EQ(o->len, 400);
  for (size_t i = 0; i < addrs.size(); ++i) EXPECT_EQ(LoadBe32(o->data + 4 * i), addrs[i]) << i;
  EXPECT_TRUE(g.TailIntact());
}

TEST(MessageBuilder, AddressListInstanceCounts) {
  for (const size_t count : {0, 1, 63, 64, 126, 127}) {
    std::vector<uint32_t> addrs(count, 0x01020304);
    Guarded g(1500);
    MessageBuilder b(g.span());
    b.SetHeader(SampleHeader());
    b.AddAddressList(opt::kAssociatedIp, addrs);
    const size_t instances = count == 0 ? 1 : (count + 62) / 63;
    EXPECT_EQ(b.size(), kMinMessageLen + 4 * count + 2 * instances) << count;
  }
}

TEST(MessageBuilder, OverflowOnATinyBuffer) {
  Guarded g(100);
  MessageBuilder b(g.span());
  b.SetHeader(SampleHeader());
  EXPECT_TRUE(b.overflowed());
  b.AddMessageType(MessageType::kLeaseActive);
  EXPECT_EQ(b.Finish(), 0u);
  EXPECT_TRUE(g.TailIntact());
  EXPECT_TRUE(std::all_of(g.mem.begin(), g.mem.end(), [](uint8_t x) { return x == kCanary; }));
}

TEST(MessageBuilder, BufferMustHoldThePadding) {
  for (size_t size : {kMinMessageLen + 4, kBootpMinLen - 1}) {
    Guarded g(size);
    MessageBuilder b(g.span());
    b.SetHeader(SampleHeader());
    b.AddMessageType(MessageType::kLeaseActive);
    EXPECT_FALSE(b.overflowed());
    EXPECT_EQ(b.Finish(), 0u) << size;
    EXPECT_TRUE(b.overflowed());
    EXPECT_TRUE(g.TailIntact());
  }
  Guarded exact(kBootpMinLen);
  MessageBuilder b(exact.span());
  b.SetHeader(SampleHeader());
  b.AddMessageType(MessageType::kLeaseActive);
  EXPECT_EQ(b.Finish(), kBootpMinLen);
  EXPECT_TRUE(exact.TailIntact());
}

TEST(MessageBuilder, OptionThatDoesNotFitIsNotWrittenAtAll) {
  Guarded g(kBootpMinLen + 10);
  MessageBuilder b(g.span());
  b.SetHeader(SampleHeader());
  b.AddMessageType(MessageType::kLeaseActive);
  const size_t before = b.size();
  b.AddOption(opt::kVendorClass, Pattern(400));  // needs 404 bytes
  EXPECT_TRUE(b.overflowed());
  EXPECT_EQ(b.size(), before);
  EXPECT_EQ(g.mem[before], kCanary);  // not even the code byte
  // Overflow is sticky: a later option that would fit is refused too.
  b.AddU8(opt::kOverload, 1);
  EXPECT_EQ(b.size(), before);
  EXPECT_EQ(b.Finish(), 0u);
  EXPECT_TRUE(g.TailIntact());
}

// The size helpers the engine plans option 92 with agree with what the
// builder writes: AddressesThatFit(k) addresses take at most k bytes and
// one more would not fit; OptionBytes() is AddOption()'s size.
TEST(MessageBuilder, SizeHelpersMatchWhatIsWritten) {
  for (size_t room = 0; room <= 1200; ++room) {
    const size_t n = MessageBuilder::AddressesThatFit(room);
    for (const size_t count : {n, n + 1}) {
      if (count == 0) continue;  // an empty list still writes code, 0
      std::vector<uint32_t> addrs(count, 0x0a000001);
      Guarded g(kMinMessageLen + room);
      MessageBuilder b(g.span());
      b.SetHeader(SampleHeader());
      ASSERT_EQ(b.room(), room);
      b.AddAddressList(opt::kAssociatedIp, addrs);
      ASSERT_EQ(b.overflowed(), count > n) << "room " << room << ", " << count << " addresses";
      ASSERT_TRUE(g.TailIntact());
    }
  }
  for (const size_t len : {0, 1, 254, 255, 256, 510, 511, 1000}) {
    Guarded g(1500);
    MessageBuilder b(g.span());
    b.SetHeader(SampleHeader());
    b.AddOption(opt::kRelayAgentInfo, Pattern(len));
    EXPECT_EQ(b.size() - kMinMessageLen, MessageBuilder::OptionBytes(len)) << len;
  }
  EXPECT_EQ(MessageBuilder::AddressesThatFit(2 + 4 * 63), 63u);
  EXPECT_EQ(MessageBuilder::AddressesThatFit(2 + 4 * 63 + 5), 63u);
  EXPECT_EQ(MessageBuilder::AddressesThatFit(2 + 4 * 63 + 6), 64u);
}

TEST(MessageBuilder, EveryBufferSizeEitherFitsOrOverflowsCleanly) {
  std::vector<uint32_t> addrs(70, 0x0a0a0a0a);
  const std::vector<uint8_t> rai = Pattern(20);
  for (size_t size = 0; size <= 700; ++size) {
    Guarded g(size);
    MessageBuilder b(g.span());
    b.SetHeader(SampleHeader());
    b.AddMessageType(MessageType::kLeaseActive);
    b.AddAddressList(opt::kAssociatedIp, addrs);
    b.AddOption(opt::kRelayAgentInfo, rai);
    const size_t n = b.Finish();
    ASSERT_TRUE(g.TailIntact()) << size;
    const size_t need = kMinMessageLen + 3 + (2 + 252) + (2 + 28) + 22 + 1;
    ASSERT_EQ(n, size >= need ? need : 0) << size;
  }
}

TEST(MessageBuilder, MisuseIsFlagged) {
  Guarded g(1500);
  {
    MessageBuilder b(g.span());
    b.AddMessageType(MessageType::kLeaseActive);  // before SetHeader
    EXPECT_TRUE(b.overflowed());
    EXPECT_EQ(b.Finish(), 0u);
  }
  {
    MessageBuilder b(g.span());
    EXPECT_EQ(b.Finish(), 0u);  // no header at all
  }
  for (uint8_t code : {opt::kPad, opt::kEnd}) {
    MessageBuilder b(g.span());
    b.SetHeader(SampleHeader());
    b.AddOption(code, Pattern(3));
    EXPECT_TRUE(b.overflowed()) << int{code};
    EXPECT_EQ(b.Finish(), 0u);
  }
}

TEST(MessageBuilder, SetHeaderResetsTheBuilder) {
  Guarded g(1500);
  MessageBuilder b(g.span());
  b.AddU8(opt::kMessageType, 1);  // misuse: overflowed
  ASSERT_TRUE(b.overflowed());
  b.SetHeader(SampleHeader());
  EXPECT_FALSE(b.overflowed());
  EXPECT_EQ(b.size(), kMinMessageLen);
  b.AddMessageType(MessageType::kLeaseUnknown);
  EXPECT_EQ(b.Finish(), kBootpMinLen);
}

}  // namespace
}  // namespace lqd::dhcp
