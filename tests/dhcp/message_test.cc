// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/message_test.cc
#include "dhcp/message.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "dhcp/relay_agent_info.h"
#include "tests/dhcp/test_packets.h"

namespace lqd::dhcp {
namespace {

using testing::LeaseQueryByIpWithRai;
using testing::Packet;

std::string Str(const OptionView* o) {
  return o == nullptr ? "<absent>" : std::string(o->data, o->data + o->len);
}

bool Inside(const uint8_t* p, size_t n, std::span<const uint8_t> s) {
  return p >= s.data() && p + n <= s.data() + s.size();
}

// ---- One table row per ParseError (at least), each a minimal packet.

struct ErrorCase {
  const char* name;
  ParseError want;
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> Truncated(std::vector<uint8_t> v, size_t n) {
  v.resize(n);
  return v;
}

std::vector<ErrorCase> ErrorCases() {
  const std::vector<uint8_t> type = {opt::kMessageType, 1, 10};
  std::vector<ErrorCase> c;
  c.push_back({"empty", ParseError::kTruncatedHeader, {}});
  c.push_back({"cookie_cut", ParseError::kTruncatedHeader, Truncated(Packet(), 239)});
  c.push_back({"bad_cookie", ParseError::kBadMagicCookie,
               Packet().Be32(kOffCookie, 0x63825364).Opt(type).Opt({255})});
  c.push_back({"op_0", ParseError::kBadOp, Packet().Set(kOffOp, {0}).Opt(type).Opt({255})});
  c.push_back({"op_3", ParseError::kBadOp, Packet().Set(kOffOp, {3}).Opt(type).Opt({255})});
  c.push_back({"hlen_17", ParseError::kHlenTooLong, Packet().Set(kOffHlen, {17}).Opt(type).Opt({255})});
  c.push_back({"no_length_byte", ParseError::kOptionTruncated, Packet().Opt(type).Opt({12})});
  c.push_back({"no_length_byte_in_file", ParseError::kOptionTruncated,
               Packet().Opt({52, 1, 1}).Opt(type).Opt({255}).Set(kOffFile + kFileLen - 1, {12})});
  c.push_back({"value_past_buffer", ParseError::kOptionOverrun, Packet().Opt(type).Opt({12, 5, 'a', 'b'})});
  // The file field ends where the cookie starts: its last option may not
  // borrow the cookie bytes.
  c.push_back({"value_past_file", ParseError::kOptionOverrun,
               Packet().Opt({52, 1, 1}).Opt(type).Opt({255}).Set(kOffFile + kFileLen - 3, {12, 5, 'a'})});
  c.push_back({"value_past_sname", ParseError::kOptionOverrun,
               Packet().Opt({52, 1, 2}).Opt(type).Opt({255}).Set(kOffSname + kSnameLen - 2, {12, 1})});
  c.push_back({"no_end", ParseError::kMissingEnd, Packet().Opt(type)});
  c.push_back({"pads_without_end", ParseError::kMissingEnd, Packet().Opt(type).Opt({0, 0, 0})});
  c.push_back({"no_options_at_all", ParseError::kMissingEnd, Packet()});
  c.push_back({"overload_4", ParseError::kBadOverload, Packet().Opt({52, 1, 4}).Opt(type).Opt({255})});
  c.push_back({"overload_0", ParseError::kBadOverload, Packet().Opt({52, 1, 0}).Opt(type).Opt({255})});
  c.push_back({"overload_len_2", ParseError::kBadOverload, Packet().Opt({52, 2, 1, 1}).Opt(type).Opt({255})});
  c.push_back({"overload_len_0", ParseError::kBadOverload, Packet().Opt({52, 0}).Opt(type).Opt({255})});
  c.push_back({"overload_split", ParseError::kBadOverload,
               Packet().Opt({52, 0, 52, 1, 1}).Opt(type).Opt({255})});
  c.push_back({"overload_in_file", ParseError::kOverloadNested,
               Packet().Opt({52, 1, 1}).Opt(type).Opt({255}).File({52, 1, 2, 255})});
  c.push_back({"overload_in_sname", ParseError::kOverloadNested,
               Packet().Opt({52, 1, 3}).Opt(type).Opt({255}).File({255}).Sname({52, 1, 1, 255})});
  {
    Packet p;
    p.Opt(type);
    for (uint8_t code = 100; code < 100 + ParsedMessage::kMaxOptions; ++code) p.Opt({code, 0});
    c.push_back({"49_distinct_codes", ParseError::kTooManyOptions, p.Opt({255})});
  }
  {
    Packet p;  // one code split 7 times: 1785 bytes > 1536 of scratch
    p.Opt(type);
    for (int i = 0; i < 7; ++i) p.OptFill(43, 255, 'x');
    c.push_back({"one_code_too_long", ParseError::kOptionsTooLong, p.Opt({255})});
  }
  {
    Packet p;  // two codes, each fitting alone, together too long
    p.Opt(type);
    for (int i = 0; i < 4; ++i) p.OptFill(43, 200, 'x').OptFill(60, 200, 'y');
    c.push_back({"two_codes_too_long", ParseError::kOptionsTooLong, p.Opt({255})});
  }
  c.push_back({"type_len_2", ParseError::kBadMessageTypeLength, Packet().Opt({53, 2, 10, 0, 255})});
  c.push_back({"type_len_0", ParseError::kBadMessageTypeLength, Packet().Opt({53, 0, 255})});
  c.push_back({"type_twice", ParseError::kDuplicateMessageType, Packet().Opt(type).Opt(type).Opt({255})});
  c.push_back({"type_again_in_file", ParseError::kDuplicateMessageType,
               Packet().Opt({52, 1, 1}).Opt(type).Opt({255}).File({53, 1, 10, 255})});
  c.push_back({"no_type", ParseError::kMissingMessageType, Packet().Opt({255})});
  c.push_back({"bootp_with_options", ParseError::kMissingMessageType, Packet().Opt({1, 4, 255, 255, 255, 0, 255})});
  c.push_back({"client_id_empty", ParseError::kEmptyClientId, Packet().Opt(type).Opt({61, 0, 255})});
  c.push_back({"rai_empty", ParseError::kBadRelayAgentInfo, Packet().Opt(type).Opt({82, 0, 255})});
  c.push_back({"rai_one_byte", ParseError::kBadRelayAgentInfo, Packet().Opt(type).Opt({82, 1, 1, 255})});
  c.push_back({"rai_sub_overrun", ParseError::kBadRelayAgentInfo,
               Packet().Opt(type).Opt({82, 4, 1, 5, 'a', 'b', 255})});
  return c;
}

class ParseErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParseErrorTest, RejectsWithTheRightReason) {
  const ErrorCase& c = GetParam();
  // An exact-size heap copy, so ASan catches a read one byte past the end.
  const std::vector<uint8_t> bytes(c.bytes);
  ParsedMessage m;
  const auto err = ParseMessage(bytes, m);
  ASSERT_TRUE(err.has_value()) << "parsed successfully";
  EXPECT_EQ(*err, c.want) << ParseErrorName(*err) << " vs " << ParseErrorName(c.want);
  EXPECT_TRUE(m.options().empty());
  EXPECT_EQ(m.Find(opt::kMessageType), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Table, ParseErrorTest, ::testing::ValuesIn(ErrorCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ParseErrorTable, EveryReasonHasARow) {
  std::set<ParseError> seen;
  for (const ErrorCase& c : ErrorCases()) seen.insert(c.want);
  for (size_t i = 0; i < static_cast<size_t>(ParseError::kCount); ++i) {
    EXPECT_TRUE(seen.count(static_cast<ParseError>(i))) << ParseErrorName(static_cast<ParseError>(i));
  }
}

TEST(ParseErrorNames, AreDistinctKebabCaseAndDescribed) {
  std::set<std::string> names;
  for (size_t i = 0; i < static_cast<size_t>(ParseError::kCount); ++i) {
    const auto e = static_cast<ParseError>(i);
    const std::string name = ParseErrorName(e);
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"), std::string::npos) << name;
    EXPECT_GT(std::strlen(ParseErrorDescription(e)), 10u) << name;
  }
  EXPECT_STREQ(ParseErrorName(ParseError::kBadMagicCookie), "bad-magic-cookie");
  EXPECT_STREQ(ParseErrorName(ParseError::kCount), "unknown");
  EXPECT_STREQ(ParseErrorName(static_cast<ParseError>(200)), "unknown");
}

TEST(MessageTypeNames, NameEveryType) {
  EXPECT_STREQ(MessageTypeName(MessageType::kLeaseQuery), "DHCPLEASEQUERY");
  EXPECT_STREQ(MessageTypeName(MessageType::kLeaseActive), "DHCPLEASEACTIVE");
  EXPECT_STREQ(MessageTypeName(MessageType::kLeaseUnassigned), "DHCPLEASEUNASSIGNED");
  EXPECT_STREQ(MessageTypeName(MessageType::kNone), "none");
  EXPECT_STREQ(MessageTypeName(static_cast<MessageType>(200)), "unknown");
  std::set<std::string> names;
  for (int t = 1; t <= static_cast<int>(MessageType::kTls); ++t) {
    const std::string n = MessageTypeName(static_cast<MessageType>(t));
    EXPECT_EQ(n.rfind("DHCP", 0), 0u) << t;
    EXPECT_TRUE(names.insert(n).second) << n;
  }
}

// ---- Successful parses.

TEST(ParseMessage, DecodesHeaderAndOptionsAsViewsIntoThePacket) {
  const std::vector<uint8_t> bytes = Packet()
                                         .Set(kOffHtype, {1, 6, 2})
                                         .Be32(kOffXid, 0xdeadbeef)
                                         .Set(kOffSecs, {0x01, 0x02, 0x80, 0x00})
                                         .Be32(kOffCiaddr, 0x0a000005)
                                         .Be32(kOffYiaddr, 0x0a000006)
                                         .Be32(kOffSiaddr, 0x0a000007)
                                         .Be32(kOffGiaddr, 0x0a000001)
                                         .Set(kOffChaddr, {0, 0x11, 0x22, 0x33, 0x44, 0x55})
                                         .Opt({53, 1, 10, 0, 61, 3, 1, 'a', 'b', 255, 9, 9, 9});
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  EXPECT_EQ(m.op, kOpBootRequest);
  EXPECT_EQ(m.htype, 1);
  EXPECT_EQ(m.hlen, 6);
  EXPECT_EQ(m.hops, 2);
  EXPECT_EQ(m.xid, 0xdeadbeefu);
  EXPECT_EQ(m.secs, 0x0102);
  EXPECT_EQ(m.flags, 0x8000);
  EXPECT_EQ(m.ciaddr, 0x0a000005u);
  EXPECT_EQ(m.yiaddr, 0x0a000006u);
  EXPECT_EQ(m.siaddr, 0x0a000007u);
  EXPECT_EQ(m.giaddr, 0x0a000001u);
  EXPECT_EQ(m.chaddr, bytes.data() + kOffChaddr);
  EXPECT_EQ(m.message_type, MessageType::kLeaseQuery);
  EXPECT_EQ(m.overload, 0);
  EXPECT_EQ(m.raw.data(), bytes.data());
  EXPECT_EQ(m.raw.size(), bytes.size());
  // Bytes after END (9, 9, 9) are ignored, not read as options.
  ASSERT_EQ(m.options().size(), 2u);
  EXPECT_EQ(m.options()[0].code, 53);
  EXPECT_EQ(m.options()[1].code, 61);
  EXPECT_EQ(Str(m.Find(61)), "\x01"
                             "ab");
  EXPECT_EQ(m.Find(61)->data, bytes.data() + kOffOptions + 6);  // zero-copy
  EXPECT_TRUE(m.Has(53));
  EXPECT_FALSE(m.Has(9));
  EXPECT_EQ(m.Find(0), nullptr);
  EXPECT_EQ(m.Find(255), nullptr);
}

TEST(ParseMessage, AcceptsBootReplyAndAnyTypeValue) {
  // The parser does not judge which types matter; the engine does.
  const std::vector<uint8_t> bytes = Packet().Set(kOffOp, {kOpBootReply}).Opt({53, 1, 200, 255});
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  EXPECT_EQ(m.op, kOpBootReply);
  EXPECT_EQ(static_cast<int>(m.message_type), 200);
}

TEST(ParseMessage, HlenSixteenIsTheLimit) {
  const std::vector<uint8_t> bytes = Packet().Set(kOffHlen, {16}).Opt({53, 1, 10, 255});
  ParsedMessage m;
  EXPECT_EQ(ParseMessage(bytes, m), std::nullopt);
}

TEST(ParseMessage, EmptyValuesOtherThanClientIdAreKept) {
  const std::vector<uint8_t> bytes = Packet().Opt({53, 1, 10, 12, 0, 255});
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  ASSERT_NE(m.Find(12), nullptr);
  EXPECT_EQ(m.Find(12)->len, 0);
}

TEST(ParseMessage, KeepsExactlyMaxOptionsDistinctCodes) {
  Packet p;
  p.Opt({53, 1, 10});
  for (uint8_t code = 100; code < 100 + ParsedMessage::kMaxOptions - 1; ++code) p.Opt({code, 1, code});
  const std::vector<uint8_t> bytes = p.Opt({255});
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  EXPECT_EQ(m.options().size(), ParsedMessage::kMaxOptions);
  EXPECT_EQ(Str(m.Find(146)), "\x92");
}

TEST(ParseMessage, ScratchAreaHoldsExactlyItsSize) {
  // 6 * 255 + 6 = 1536 bytes of one split code: fits; one more byte does not.
  for (const uint8_t last : {6, 7}) {
    Packet p;
    p.Opt({53, 1, 10});
    for (int i = 0; i < 6; ++i) p.OptFill(43, 255, static_cast<uint8_t>('a' + i));
    const std::vector<uint8_t> bytes = p.OptFill(43, last, 'z').Opt({255});
    ParsedMessage m;
    const auto err = ParseMessage(bytes, m);
    if (last == 6) {
      ASSERT_EQ(err, std::nullopt);
      const OptionView* o = m.Find(43);
      ASSERT_NE(o, nullptr);
      ASSERT_EQ(o->len, ParsedMessage::kScratchLen);
      EXPECT_EQ(o->data[0], 'a');
      EXPECT_EQ(o->data[255], 'b');
      EXPECT_EQ(o->data[1535], 'z');
    } else {
      EXPECT_EQ(err, ParseError::kOptionsTooLong);
    }
  }
}

// ---- Option overload (RFC 2131 4.1) and concatenation (RFC 3396).

struct OverloadCase {
  const char* name;
  uint8_t overload;
  std::vector<uint8_t> bytes;
  std::string host_name;  // option 12 as seen after parsing, "<absent>" if none
  std::string domain;     // option 15
};

std::vector<OverloadCase> OverloadCases() {
  auto base = [](uint8_t ov) { return Packet().Opt({52, 1, ov, 53, 1, 10, 255}); };
  std::vector<OverloadCase> c;
  // Garbage in the field that overload does not select must not matter.
  c.push_back({"file_only", 1,
               base(1).File({12, 2, 'h', 'f', 255}).Sname({12, 99, 0xff}),
               "hf", "<absent>"});
  c.push_back({"sname_only", 2,
               base(2).Sname({12, 2, 'h', 's', 255}).File({12, 99, 0xff}),
               "hs", "<absent>"});
  c.push_back({"both", 3,
               base(3).File({12, 1, 'f', 255}).Sname({15, 1, 's', 255}),
               "f", "s"});
  // Without END, a field ends at its boundary.
  c.push_back({"file_without_end", 1,
               base(1).File({0, 0, 12, 1, 'x'}).Set(kOffFile + kFileLen - 3, {15, 1, 'y'}),
               "x", "y"});
  c.push_back({"sname_without_end", 2,
               base(2).Sname({12, 1, 'x'}).Set(kOffSname + kSnameLen - 2, {15, 0}),
               "x", ""});
  // Options after END in file are ignored.
  c.push_back({"file_end_then_garbage", 1,
               base(1).File({12, 1, 'x', 255, 15, 200}),
               "x", "<absent>"});
  // RFC 3396 order is options field, file, sname.
  c.push_back({"split_across_all_three", 3,
               Packet().Opt({52, 1, 3, 12, 2, 'a', 'b', 53, 1, 10, 255})
                   .File({12, 2, 'c', 'd', 255})
                   .Sname({12, 2, 'e', 'f'}),
               "abcdef", "<absent>"});
  // The overload option may come after others; it still selects the fields.
  c.push_back({"overload_last", 1,
               Packet().Opt({53, 1, 10, 12, 1, 'a', 52, 1, 1, 255}).File({12, 1, 'b'}),
               "ab", "<absent>"});
  return c;
}

class OverloadTest : public ::testing::TestWithParam<OverloadCase> {};

TEST_P(OverloadTest, GathersOptionsFromSelectedFields) {
  const OverloadCase& c = GetParam();
  const std::vector<uint8_t> bytes(c.bytes);
  ParsedMessage m;
  const auto err = ParseMessage(bytes, m);
  ASSERT_EQ(err, std::nullopt) << ParseErrorName(*err);
  EXPECT_EQ(m.overload, c.overload);
  EXPECT_EQ(m.message_type, MessageType::kLeaseQuery);
  EXPECT_EQ(Str(m.Find(12)), c.host_name);
  EXPECT_EQ(Str(m.Find(15)), c.domain);
  std::set<uint8_t> codes;
  for (const OptionView& o : m.options()) EXPECT_TRUE(codes.insert(o.code).second) << int{o.code};
}

INSTANTIATE_TEST_SUITE_P(Table, OverloadTest, ::testing::ValuesIn(OverloadCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Concatenation, InterleavedSplitsKeepOrderAndFirstAppearance) {
  const std::vector<uint8_t> bytes =
      Packet().Opt({12, 1, 'a', 15, 2, 'x', 'y', 53, 1, 10, 12, 0, 12, 2, 'b', 'c', 15, 1, 'z', 12, 1, 'd', 255});
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  ASSERT_EQ(m.options().size(), 3u);
  EXPECT_EQ(m.options()[0].code, 12);
  EXPECT_EQ(m.options()[1].code, 15);
  EXPECT_EQ(m.options()[2].code, 53);
  EXPECT_EQ(Str(m.Find(12)), "abcd");
  EXPECT_EQ(Str(m.Find(15)), "xyz");
  // Concatenated values live in the message's scratch area, not the packet;
  // single ones stay in the packet.
  EXPECT_FALSE(Inside(m.Find(12)->data, 4, bytes));
  EXPECT_TRUE(Inside(m.Find(53)->data, 1, bytes));
}

TEST(Concatenation, SplitRelayAgentInfoIsValidatedWhole) {
  // The circuit-id sub-option straddles the two instances of option 82.
  const std::vector<uint8_t> bytes =
      Packet().Opt({53, 1, 10, 82, 3, 1, 4, 'p', 82, 3, 'o', 'r', 't', 255});
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  const auto rai = RelayAgentInfo::Parse(m.Find(82)->bytes());
  ASSERT_TRUE(rai.has_value());
  ASSERT_TRUE(rai->circuit_id().has_value());
  EXPECT_EQ(std::string(rai->circuit_id()->begin(), rai->circuit_id()->end()), "port");
}

TEST(Concatenation, ZeroLengthFragmentsDoNotMakeAnEmptyClientIdValid) {
  ParsedMessage m;
  const std::vector<uint8_t> empty = Packet().Opt({53, 1, 10, 61, 0, 61, 0, 255});
  EXPECT_EQ(ParseMessage(empty, m), ParseError::kEmptyClientId);
  const std::vector<uint8_t> split = Packet().Opt({53, 1, 10, 61, 0, 61, 2, 1, 7, 255});
  ASSERT_EQ(ParseMessage(split, m), std::nullopt);
  EXPECT_EQ(Str(m.Find(61)), "\x01\x07");
}

TEST(ParseMessage, ReusedMessageForgetsThePreviousPacket) {
  ParsedMessage m;
  const std::vector<uint8_t> split = Packet().Opt({53, 1, 10, 12, 1, 'a', 12, 1, 'b', 255});
  ASSERT_EQ(ParseMessage(split, m), std::nullopt);
  ASSERT_EQ(Str(m.Find(12)), "ab");

  const std::vector<uint8_t> bad = Packet().Opt({53, 1, 10, 61, 0, 255});
  ASSERT_EQ(ParseMessage(bad, m), ParseError::kEmptyClientId);
  EXPECT_TRUE(m.options().empty());
  EXPECT_EQ(m.Find(12), nullptr);
  EXPECT_EQ(m.message_type, MessageType::kNone);

  const std::vector<uint8_t> single = Packet().Opt({53, 1, 10, 12, 1, 'c', 255});
  ASSERT_EQ(ParseMessage(single, m), std::nullopt);
  EXPECT_EQ(Str(m.Find(12)), "c");
  EXPECT_EQ(m.options().size(), 2u);
}

TEST(ParseMessage, RelayAgentInfoOfARealQuery) {
  const std::vector<uint8_t> bytes = LeaseQueryByIpWithRai();
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  EXPECT_EQ(m.ciaddr, 0x0a000005u);
  EXPECT_FALSE(m.HasHardwareAddress());
  const auto rai = RelayAgentInfo::Parse(m.Find(opt::kRelayAgentInfo)->bytes());
  ASSERT_TRUE(rai.has_value());
  EXPECT_EQ(rai->relay_port(), 4096);
  EXPECT_EQ(rai->remote_id()->size(), 2u);
}

// ---- Every truncation of a valid query fails or succeeds predictably.

TEST(ParseMessage, EveryTruncationOfAValidQuery) {
  const std::vector<uint8_t> full = LeaseQueryByIpWithRai();
  ParsedMessage want;
  ASSERT_EQ(ParseMessage(full, want), std::nullopt);

  // Where each option TLV starts, and where END is.
  std::vector<size_t> starts;
  size_t end_at = kOffOptions;
  while (full[end_at] != opt::kEnd) {
    starts.push_back(end_at);
    end_at += 2 + full[end_at + 1];
  }
  auto expected = [&](size_t n) -> std::optional<ParseError> {
    if (n < kMinMessageLen) return ParseError::kTruncatedHeader;
    if (n > end_at) return std::nullopt;
    if (n == end_at) return ParseError::kMissingEnd;
    for (size_t s : starts) {
      if (n == s) return ParseError::kMissingEnd;
      if (n == s + 1) return ParseError::kOptionTruncated;
      if (n < s + 2 + full[s + 1]) return n > s ? std::optional(ParseError::kOptionOverrun) : std::nullopt;
    }
    return std::nullopt;  // unreachable for this packet
  };

  for (size_t n = 0; n <= full.size(); ++n) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const std::vector<uint8_t> cut(full.begin(), full.begin() + n);  // exact size for ASan
    ParsedMessage m;
    const auto err = ParseMessage(cut, m);
    ASSERT_EQ(err, expected(n)) << (err ? ParseErrorName(*err) : "ok");
    if (!err) {
      ASSERT_EQ(m.options().size(), want.options().size());
      for (size_t i = 0; i < m.options().size(); ++i) {
        EXPECT_EQ(m.options()[i].code, want.options()[i].code);
        EXPECT_EQ(m.options()[i].data - cut.data(), want.options()[i].data - full.data());
        EXPECT_EQ(m.options()[i].len, want.options()[i].len);
      }
    }
  }
}

// ---- Hardware address presence (RFC 4388 6.2).

struct HwCase {
  const char* name;
  uint8_t htype;
  uint8_t hlen;
  std::vector<uint8_t> chaddr;
  bool want;
};

class HardwareAddressTest : public ::testing::TestWithParam<HwCase> {};

TEST_P(HardwareAddressTest, Decides) {
  const HwCase& c = GetParam();
  Packet p;
  p.Set(kOffHtype, {c.htype, c.hlen});
  for (size_t i = 0; i < c.chaddr.size(); ++i) p.Set(kOffChaddr + i, {c.chaddr[i]});
  const std::vector<uint8_t> bytes = p.Opt({53, 1, 10, 255});
  ParsedMessage m;
  ASSERT_EQ(ParseMessage(bytes, m), std::nullopt);
  EXPECT_EQ(m.HasHardwareAddress(), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, HardwareAddressTest,
    ::testing::Values(HwCase{"ethernet", 1, 6, {0, 1, 2, 3, 4, 5}, true},
                      HwCase{"all_zero", 0, 0, {}, false},
                      HwCase{"zero_mac", 1, 6, {0, 0, 0, 0, 0, 0}, false},
                      // Non-zero bytes beyond hlen are not part of the address.
                      HwCase{"zero_within_hlen", 1, 2, {0, 0, 7}, false},
                      HwCase{"last_byte_within_hlen", 1, 2, {0, 7}, true},
                      HwCase{"htype_without_hlen", 1, 0, {1, 2, 3}, false},
                      HwCase{"hlen_without_htype", 0, 6, {1, 2, 3, 4, 5, 6}, false},
                      HwCase{"sixteen_bytes", 32, 16, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HardwareAddress, DefaultConstructedMessageHasNone) {
  ParsedMessage m;
  m.htype = 1;
  m.hlen = 6;
  EXPECT_FALSE(m.HasHardwareAddress());  // chaddr is null until a parse
}

}  // namespace
}  // namespace lqd::dhcp
