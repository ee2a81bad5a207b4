// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/hmac_md5_test.cc
//
// MD5 against the RFC 1321 test suite, HMAC-MD5 against RFC 2202, and the
// RFC 3118 option 90 codec and in-place message MAC against a reference
// computed the slow way (copy, zero hops/giaddr/MAC, HMAC the copy).
#include "dhcp/hmac_md5.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dhcp/auth_option.h"
#include "dhcp/message.h"
#include "dhcp/message_builder.h"

namespace lqd::dhcp {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string Hex(std::span<const uint8_t> d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) s += std::string{k[b >> 4], k[b & 15]};
  return s;
}

TEST(Md5, Rfc1321TestSuite) {
  const std::pair<std::string, std::string> v[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& [in, want] : v) EXPECT_EQ(Hex(Md5::Hash(Bytes(in))), want) << "'" << in << "'";
}

TEST(Md5, AnySplitOfTheInputGivesTheSameDigest) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(1000);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  const auto whole = Md5::Hash(data);
  for (int trial = 0; trial < 200; ++trial) {
    Md5 h;
    size_t i = 0;
    while (i < data.size()) {
      const size_t n = std::min<size_t>(rng() % 130, data.size() - i);
      h.Update({data.data() + i, n});
      i += n;
    }
    ASSERT_EQ(h.Final(), whole) << "trial " << trial;
  }
  Md5 z;
  z.Update(std::span<const uint8_t>(data).first(10));
  z.UpdateZeros(100);
  std::vector<uint8_t> ref(data.begin(), data.begin() + 10);
  ref.resize(110, 0);
  EXPECT_EQ(z.Final(), Md5::Hash(ref));
}

TEST(HmacMd5, Rfc2202TestCases) {
  struct Case {
    std::string key, data, want;
  };
  const Case cases[] = {
      {std::string(16, '\x0b'), "Hi There", "9294727a3638bb1c13f48ef8158bfc9d"},
      {"Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
      {std::string(16, '\xaa'), std::string(50, '\xdd'), "56be34521d144c88dbb8c733f0e8b3f6"},
      {std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13"
                   "\x14\x15\x16\x17\x18\x19"),
       std::string(50, '\xcd'), "697eaf0aca3a3aea3a75164746ffaa79"},
      {std::string(16, '\x0c'), "Test With Truncation", "56461ef2342edc00f9bab995690efd4c"},
      {std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
      {std::string(80, '\xaa'),
       "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       "6f630fad67cda0ee1fb1f562db3aa53e"},
  };
  int i = 1;
  for (const auto& c : cases) {
    EXPECT_EQ(Hex(HmacMd5Key(Bytes(c.key)).Mac(Bytes(c.data))), c.want) << "RFC 2202 case " << i;
    ++i;
  }
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  const uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 3}, c[] = {1, 2, 4};
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(a, c));
  EXPECT_FALSE(ConstantTimeEqual(a, std::span<const uint8_t>(b).first(2)));
}

TEST(AuthOption, PackThenParseRoundTrips) {
  const auto v = PackDelayedAuth(0x0102030405060708ull, 0xa1b2c3d4);
  ASSERT_EQ(v.size(), 31u);
  auto a = AuthOption::Parse(v);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->protocol, 1);
  EXPECT_EQ(a->algorithm, 1);
  EXPECT_EQ(a->rdm, 0);
  EXPECT_EQ(a->replay, 0x0102030405060708ull);
  EXPECT_TRUE(a->IsDelayedHmacMd5());
  ASSERT_TRUE(a->HasMac());
  EXPECT_EQ(a->secret_id(), 0xa1b2c3d4u);
  for (uint8_t b : a->mac()) EXPECT_EQ(b, 0);
  EXPECT_EQ(v[3], 0x01);  // replay counter in network order
  EXPECT_EQ(v[10], 0x08);
}

TEST(AuthOption, ShortValuesAreRejectedAndDiscoverStyleHasNoMac) {
  for (size_t n = 0; n < 11; ++n) {
    std::vector<uint8_t> v(n, 1);
    EXPECT_FALSE(AuthOption::Parse(v).has_value()) << n;
  }
  const std::vector<uint8_t> discover = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  auto a = AuthOption::Parse(discover);
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->info.empty());
  EXPECT_FALSE(a->HasMac());
  EXPECT_EQ(a->replay, 9u);
}

// Builds a leasequery-like message with option 90 and signs it.
std::vector<uint8_t> SignedMessage(const HmacMd5Key& key, uint32_t id, uint64_t replay,
                                   uint8_t hops, uint32_t giaddr, size_t* mac_at) {
  uint8_t buf[600];
  MessageBuilder b(buf);
  BootpHeader h;
  h.op = kOpBootRequest;
  h.hops = hops;
  h.xid = 0x11223344;
  h.ciaddr = 0x0a010203;
  h.giaddr = giaddr;
  b.SetHeader(h);
  b.AddMessageType(MessageType::kLeaseQuery);
  const uint8_t prl[] = {51, 82, 91};
  b.AddOption(opt::kParamRequestList, prl);
  *mac_at = AddDelayedAuthOption(b, replay, id);
  const size_t n = b.Finish();
  EXPECT_GT(n, 0u);
  std::vector<uint8_t> msg(buf, buf + n);
  SignMessage(key, msg, *mac_at);
  return msg;
}

TEST(MessageMac, EqualsHmacOfACopyWithHopsGiaddrAndMacZeroed) {
  const std::string secret = "relay-secret";
  HmacMd5Key key(Bytes(secret));
  size_t at = 0;
  auto msg = SignedMessage(key, 7, 42, 3, 0x0a000001, &at);
  std::vector<uint8_t> copy = msg;
  copy[kOffHops] = 0;
  std::fill_n(copy.begin() + kOffGiaddr, 4, 0);
  std::fill_n(copy.begin() + static_cast<long>(at), 16, 0);
  const auto want = key.Mac(copy);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), msg.begin() + static_cast<long>(at)));
  EXPECT_NE(Hex(want), std::string(32, '0'));
}

TEST(VerifyDelayedAuth, AcceptsTheSignerRejectsEveryAlteration) {
  HmacMd5Key key(Bytes(std::string("k1")));
  size_t at = 0;
  auto msg = SignedMessage(key, 7, 42, 0, 0x0a000001, &at);
  ParsedMessage m;
  ASSERT_FALSE(ParseMessage(msg, m).has_value());
  uint64_t replay = 0;
  EXPECT_EQ(VerifyDelayedAuth(m, 7, key, &replay), MacCheck::kOk);
  EXPECT_EQ(replay, 42u);
  EXPECT_EQ(VerifyDelayedAuth(m, 8, key, &replay), MacCheck::kWrongKeyId);
  EXPECT_EQ(VerifyDelayedAuth(m, 7, HmacMd5Key(Bytes(std::string("k2"))), &replay),
            MacCheck::kBadMac);

  // RFC 3118 5: a relay may rewrite hops and giaddr; the MAC still holds.
  auto relayed = msg;
  relayed[kOffHops] = 4;
  relayed[kOffGiaddr + 3] = 9;
  ASSERT_FALSE(ParseMessage(relayed, m).has_value());
  EXPECT_EQ(VerifyDelayedAuth(m, 7, key, &replay), MacCheck::kOk);

  // Any other byte flipped (header, options, padding) breaks it.
  for (size_t i : {size_t{4}, size_t{12}, size_t{30}, kOffOptions + 2, msg.size() - 1}) {
    auto bad = msg;
    bad[i] ^= 0x01;
    ASSERT_FALSE(ParseMessage(bad, m).has_value()) << i;
    EXPECT_EQ(VerifyDelayedAuth(m, 7, key, &replay), MacCheck::kBadMac) << "byte " << i;
  }
  // The replay counter is covered by the MAC.
  auto bumped = msg;
  bumped[at - 4 - 1] ^= 0x01;  // last byte of the counter
  ASSERT_FALSE(ParseMessage(bumped, m).has_value());
  EXPECT_EQ(VerifyDelayedAuth(m, 7, key, &replay), MacCheck::kBadMac);
}

TEST(VerifyDelayedAuth, MissingUnsupportedAndMalformed) {
  HmacMd5Key key(Bytes(std::string("k1")));
  uint8_t buf[400];
  auto build = [&](std::span<const uint8_t> value, bool with) {
    MessageBuilder b(buf);
    BootpHeader h;
    h.op = kOpBootRequest;
    b.SetHeader(h);
    b.AddMessageType(MessageType::kLeaseQuery);
    if (with) b.AddOption(auth::kOptionCode, value);
    return std::vector<uint8_t>(buf, buf + b.Finish());
  };
  ParsedMessage m;
  uint64_t r = 0;
  auto none = build({}, false);
  ASSERT_FALSE(ParseMessage(none, m).has_value());
  EXPECT_EQ(VerifyDelayedAuth(m, 1, key, &r), MacCheck::kMissing);

  auto token = PackDelayedAuth(1, 1);
  token[0] = auth::kProtocolConfigToken;
  auto msg = build(token, true);
  ASSERT_FALSE(ParseMessage(msg, m).has_value());
  EXPECT_EQ(VerifyDelayedAuth(m, 1, key, &r), MacCheck::kUnsupported);

  const uint8_t short_value[5] = {1, 1, 0, 0, 0};
  msg = build(short_value, true);
  ASSERT_FALSE(ParseMessage(msg, m).has_value());
  EXPECT_EQ(VerifyDelayedAuth(m, 1, key, &r), MacCheck::kMalformed);

  const auto packed = PackDelayedAuth(1, 1);
  auto odd = std::vector<uint8_t>(packed.begin(), packed.end());
  odd.pop_back();  // 19 bytes of info: neither empty nor ID + MAC
  msg = build(odd, true);
  ASSERT_FALSE(ParseMessage(msg, m).has_value());
  EXPECT_EQ(VerifyDelayedAuth(m, 1, key, &r), MacCheck::kMalformed);
}

TEST(MacOffsetIn, OnlyForAValueInsideTheMessage) {
  std::vector<uint8_t> msg(300, 0);
  std::span<const uint8_t> inside(msg.data() + 250, 31);
  EXPECT_EQ(MacOffsetIn(msg, inside), std::optional<size_t>(250 + 15));
  std::vector<uint8_t> elsewhere(31, 0);
  EXPECT_FALSE(MacOffsetIn(msg, elsewhere).has_value());
  EXPECT_FALSE(MacOffsetIn(msg, {msg.data() + 280, 31}).has_value());  // runs past the end
  EXPECT_FALSE(MacOffsetIn(msg, {msg.data() + 250, 30}).has_value());  // not 31 bytes
}

}  // namespace
}  // namespace lqd::dhcp
