// SPDX-License-Identifier: Apache-2.0
// File: tests/control/dhcpd_leases_test.cc
#include "control/dhcpd_leases.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"

namespace lqd::control {
namespace {

constexpr uint32_t kIp10 = 0xC633640A, kIp11 = 0xC633640B, kIp12 = 0xC633640C;  // 198.51.100.10-12
constexpr uint32_t k20261129_071445 = 1795936485;  // 2026/11/29 07:14:45 UTC

std::string Rai(std::initializer_list<std::pair<int, std::string>> subs) {
  std::string s;
  for (const auto& [code, v] : subs) s += std::string{static_cast<char>(code), static_cast<char>(v.size())} + v;
  return s;
}

const DhcpdLeaseRecord* Find(const DhcpdLeasesResult& r, uint32_t ip, int nth = 0) {
  for (const auto& rec : r.records)
    if (rec.lease.ip == ip && nth-- == 0) return &rec;
  return nullptr;
}

TEST(DhcpdLeases, CapturedFileParsesIntoTheExpectedLeases) {
  if (!std::ifstream(LQD_SHARED_REFERENCE "/kea/captured/dhcpd.leases"))
    GTEST_SKIP() << "shared reference captures not present beside the checkout";
  auto r = LoadDhcpdLeases(LQD_SHARED_REFERENCE "/kea/captured/dhcpd.leases");
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& e : r->errors) ADD_FAILURE() << "line " << e.line << ": " << e.reason;
  ASSERT_EQ(r->records.size(), 5u);

  const Lease& a = r->records[0].lease;
  EXPECT_EQ(r->records[0].line, 9u);
  EXPECT_EQ(a.ip, kIp10);
  EXPECT_EQ(a.state, LeaseState::kActive);
  EXPECT_EQ(a.cltt, k20261129_071445);
  EXPECT_EQ(a.expire, k20261129_071445 + 3600);
  EXPECT_EQ(a.hw.htype, 1);
  ASSERT_EQ(a.hw.hlen, 6);
  EXPECT_EQ(a.hw.bytes[5], 1);
  EXPECT_EQ(a.client_id, std::string("\x01\x02\x00\x00\x00\x00\x01", 7));
  EXPECT_EQ(a.vendor_class, "docsis3.0");
  EXPECT_EQ(a.relay_agent_info, Rai({{1, "eth0/1/1:100"}, {2, "RID-0001"}}));
  // Byte for byte what Kea stored for the same relay (kea-leases4.before-lfc.csv).
  EXPECT_EQ(a.relay_agent_info, std::string("\x01\x0C" "eth0/1/1:100" "\x02\x08" "RID-0001"));

  const Lease& b = Find(*r, kIp11, 0)->lease;
  EXPECT_EQ(b.state, LeaseState::kActive);
  EXPECT_EQ(b.vendor_class, "MSFT 5.0");
  EXPECT_EQ(b.relay_agent_info, Rai({{1, "ge-0/0/2.200"}, {2, "00:11:22:33:44:55"}, {6, "SUB-42"}}));

  std::vector<Lease> fold = FoldDhcpdLeases(r->records);
  ASSERT_EQ(fold.size(), 3u);
  EXPECT_EQ(fold[0].ip, kIp10);
  // RELEASE: the later block wins whole; uid and agent options are gone.
  EXPECT_EQ(fold[1].ip, kIp11);
  EXPECT_EQ(fold[1].state, LeaseState::kFree);
  EXPECT_EQ(fold[1].cltt, k20261129_071445 + 1);
  EXPECT_EQ(fold[1].expire, k20261129_071445 + 2);
  EXPECT_TRUE(fold[1].relay_agent_info.empty());
  EXPECT_TRUE(fold[1].vendor_class.empty());
  EXPECT_EQ(fold[1].hw.hlen, 6);
  // DECLINE: abandoned, no client identity, ends a day later.
  EXPECT_EQ(fold[2].ip, kIp12);
  EXPECT_EQ(fold[2].state, LeaseState::kDeclined);
  EXPECT_TRUE(fold[2].hw.empty());
  EXPECT_TRUE(fold[2].client_id.empty());
  EXPECT_EQ(fold[2].expire, k20261129_071445 + 3 + 86400);
}

TEST(DhcpdLeases, BindingStatesMapToLeaseStates) {
  const std::pair<const char*, LeaseState> cases[] = {
      {"active", LeaseState::kActive},   {"free", LeaseState::kFree},         {"backup", LeaseState::kFree},
      {"reset", LeaseState::kFree},      {"expired", LeaseState::kExpired},   {"released", LeaseState::kReleased},
      {"abandoned", LeaseState::kDeclined}};
  for (const auto& [name, want] : cases) {
    auto r = ParseDhcpdLeases(absl::StrCat("lease 10.0.0.1 {\n  ends epoch 100;\n  binding state ", name, ";\n}\n"));
    ASSERT_EQ(r.records.size(), 1u) << name;
    EXPECT_EQ(r.records[0].lease.state, want) << name;
  }
}

TEST(DhcpdLeases, OctalEscapedUidAndOtherEscapes) {
  auto r = ParseDhcpdLeases(
      "lease 10.0.0.1 {\n"
      "  ends never;\n"
      "  binding state active;\n"
      "  uid \"\\001\\002\\000\\377A\\\"\\\\\\x41\\$z\";\n"
      "  set vendor-class-identifier = \"a\\\"b\";\n"
      "}\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].reason;
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].lease.client_id, std::string("\x01\x02\x00\xff" "A\"\\A$z", 10));
  EXPECT_EQ(r.records[0].lease.vendor_class, "a\"b");
  EXPECT_EQ(r.records[0].lease.expire, kInfiniteTime);
}

TEST(DhcpdLeases, HexUidAndHexAgentOptionsGiveExactOption82Bytes) {
  auto r = ParseDhcpdLeases(
      "lease 10.0.0.2 {\n"
      "  starts 3 2030/01/02 03:04:05;\n"
      "  ends 3 2030/01/02 04:04:05;\n"
      "  binding state active;\n"
      "  hardware ethernet 2:0:5e:a:b:c;\n"
      "  uid 1:2:0:5e:a:b:c;\n"
      "  option agent.circuit-id 0:1a:2b;\n"          // not printable: unpadded colon hex
      "  option agent.remote-id \"\\000\\021\\\"3DU\";\n"  // quoted with escapes
      "  option agent.agent-id 192.0.2.9;\n"          // "I": dotted quad
      "  option agent.DOCSIS-device-class 258;\n"     // "L": decimal uint32
      "  option agent.link-selection 198.51.100.0;\n"
      "  option agent.unknown-151 \"vpn-a\";\n"
      "  option agent.relay-port;\n"
      "  option domain-name \"ignored.example\";\n"
      "}\n");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].reason;
  ASSERT_EQ(r.records.size(), 1u);
  const Lease& l = r.records[0].lease;
  EXPECT_EQ(l.cltt, l.expire - 3600);  // no cltt: starts
  EXPECT_EQ(l.hw.hlen, 6);
  EXPECT_EQ(l.hw.bytes[0], 2);
  EXPECT_EQ(l.hw.bytes[3], 0x0a);
  EXPECT_EQ(l.client_id, std::string("\x01\x02\x00\x5e\x0a\x0b\x0c", 7));
  EXPECT_EQ(l.relay_agent_info,
            std::string("\x01\x03\x00\x1a\x2b"
                        "\x02\x06\x00\x11\x22\x33\x44\x55"
                        "\x03\x04\xc0\x00\x02\x09"
                        "\x04\x04\x00\x00\x01\x02"
                        "\x05\x04\xc6\x33\x64\x00"
                        "\x97\x05vpn-a"
                        "\x13\x00",
                        2 + 3 + 2 + 6 + 2 + 4 + 2 + 4 + 2 + 4 + 2 + 5 + 2));
}

// The DOCSIS device class ("L") is decimal even when its digits would also
// read as colon hex ("12", "1"); a colon-hex value (a length dhcpd could
// not print as "L") stays hex.
TEST(DhcpdLeases, DocsisDeviceClassIsDecimalNotHex) {
  for (const auto& [text, bytes] : {std::pair<std::string, std::string>{"12", std::string("\x00\x00\x00\x0c", 4)},
                                    {"1", std::string("\x00\x00\x00\x01", 4)},
                                    {"4294967295", std::string("\xff\xff\xff\xff", 4)},
                                    {"1:2", std::string("\x01\x02", 2)}}) {
    auto r = ParseDhcpdLeases("lease 10.0.0.7 {\n  ends epoch 200;\n  binding state active;\n"
                              "  option agent.DOCSIS-device-class " + text + ";\n}\n");
    ASSERT_TRUE(r.errors.empty()) << text << ": " << r.errors[0].reason;
    ASSERT_EQ(r.records.size(), 1u) << text;
    EXPECT_EQ(r.records[0].lease.relay_agent_info, std::string("\x04") + static_cast<char>(bytes.size()) + bytes)
        << text;
  }
}

TEST(DhcpdLeases, LaterBlockForTheSameAddressWins) {
  auto r = ParseDhcpdLeases(
      "lease 10.0.0.3 {\n  cltt epoch 100;\n  ends epoch 200;\n  binding state active;\n"
      "  hardware ethernet 02:00:00:00:00:03;\n  option agent.circuit-id \"x\";\n}\n"
      "lease 10.0.0.4 {\n  cltt epoch 100;\n  ends epoch 200;\n  binding state active;\n}\n"
      "lease 10.0.0.3 {\n  cltt epoch 150;\n  ends epoch 160;\n  binding state released;\n}\n");
  ASSERT_EQ(r.records.size(), 3u);
  auto fold = FoldDhcpdLeases(r.records);
  ASSERT_EQ(fold.size(), 2u);
  EXPECT_EQ(fold[0].ip, 0x0A000003u);
  EXPECT_EQ(fold[0].state, LeaseState::kReleased);
  EXPECT_EQ(fold[0].cltt, 150u);
  EXPECT_EQ(fold[0].expire, 160u);
  EXPECT_TRUE(fold[0].relay_agent_info.empty());
  EXPECT_TRUE(fold[0].hw.empty());
}

TEST(DhcpdLeases, EverythingElseIsSkippedSafely) {
  auto r = ParseDhcpdLeases(
      "# comment with a { brace and \"quote\n"
      "authoring-byte-order little-endian;\n"
      "server-duid \"\\000\\001\\000\\0012\\236\\215c;{}\";\n"
      "db-time-format local;\n"
      "failover peer \"dhcp-failover\" state {\n"
      "  my state normal at 2 2030/01/01 00:00:00;\n"
      "  partner state normal at 2 2030/01/01 00:00:00;\n"
      "}\n"
      "host fixed { dynamic; hardware ethernet 02:00:00:00:00:09; fixed-address 10.0.0.9; }\n"
      "lease 10.0.0.5 {\n"
      "  starts epoch 1000; # Thu Jan  1 00:16:40 1970\n"
      "  ends epoch 2000; # comment\n"
      "  tstp epoch 2000;\n"
      "  tsfp epoch 2000;\n"
      "  atsfp epoch 2000;\n"
      "  cltt epoch 1000;\n"
      "  binding state active;\n"
      "  next binding state free;\n"
      "  rewind binding state free;\n"
      "  client-hostname \"host;with}braces\";\n"
      "  on expiry { set ddns-fwd-name = \"x\"; }\n"
      "  set ddns-rev-name = \"5.0.0.10.in-addr.arpa.\";\n"
      "  billing class \"abc\";\n"
      "  some-future-keyword 1 2 3;\n"
      "}\n"
      "subclass \"c\" 1:2:3:4:5:6:7;\n");
  for (const auto& e : r.errors) ADD_FAILURE() << "line " << e.line << ": " << e.reason;
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].line, 10u);
  EXPECT_EQ(r.records[0].lease.cltt, 1000u);
  EXPECT_EQ(r.records[0].lease.expire, 2000u);
}

// Each malformed block is reported once, at the right line, and skipped;
// the good block after it is kept.
TEST(DhcpdLeases, MalformedBlocksAreReportedWithTheirLineAndSkipped) {
  struct Case {
    const char* name;
    std::string text;  // starts at line 1
    size_t line;
    const char* reason;
  };
  const std::string kHead = "lease 10.0.0.7 {\n  ends epoch 200;\n";
  const Case cases[] = {
      {"bad address", "lease 10.0.0.300 {\n  ends epoch 1;\n  binding state active;\n}\n", 1, "not an IPv4"},
      {"no brace", "lease 10.0.0.7 ends;\n", 1, "not followed by '{'"},
      {"bad date", kHead + "  cltt 2 2030/02/30 00:00:00;\n  binding state active;\n}\n", 3, "bad time"},
      {"bad time", kHead + "  starts 2 2030/01/01 25:00:00;\n  binding state active;\n}\n", 3, "bad time"},
      {"bad epoch", kHead + "  cltt epoch soon;\n  binding state active;\n}\n", 3, "bad time"},
      {"bad state", kHead + "  binding state sleepy;\n}\n", 3, "binding state 'sleepy'"},
      {"no state", kHead + "  hardware ethernet 1:2:3:4:5:6;\n}\n", 1, "no 'binding state'"},
      {"active without ends", "lease 10.0.0.7 {\n  binding state active;\n}\n", 1, "without 'ends'"},
      {"bad hardware", kHead + "  binding state active;\n  hardware ethernet 1:2:zz;\n}\n", 4, "hardware"},
      {"bad hw type", kHead + "  binding state active;\n  hardware pigeon 1:2:3;\n}\n", 4, "hardware"},
      {"bad uid", kHead + "  binding state active;\n  uid 1:2:345;\n}\n", 4, "uid"},
      {"unknown agent", kHead + "  binding state active;\n  option agent.frobnicator \"x\";\n}\n", 4,
       "unknown relay sub-option"},
      {"bad agent value", kHead + "  binding state active;\n  option agent.circuit-id nothex;\n}\n", 4,
       "option agent.circuit-id"},
      {"agent too long", kHead + "  binding state active;\n  option agent.circuit-id \"" + std::string(200, 'a') +
                             "\";\n  option agent.remote-id \"" + std::string(100, 'b') + "\";\n}\n",
       1, "more than option 82"},
      {"missing semicolon", kHead + "  binding state active\n}\n", 4, "lacks its ';'"},
      {"unclosed before next", kHead + "  binding state active;\n", 4, "not closed"},
      {"stray brace", "}\n", 1, "without a matching"},
  };
  const std::string kGood = "lease 10.0.0.8 {\n  ends epoch 300;\n  binding state active;\n}\n";
  for (const Case& c : cases) {
    auto r = ParseDhcpdLeases(c.text + kGood);
    ASSERT_EQ(r.errors.size(), 1u) << c.name;
    EXPECT_EQ(r.errors[0].line, c.line) << c.name << ": " << r.errors[0].reason;
    EXPECT_NE(r.errors[0].reason.find(c.reason), std::string::npos) << c.name << ": " << r.errors[0].reason;
    ASSERT_EQ(r.records.size(), 1u) << c.name;
    EXPECT_EQ(r.records[0].lease.ip, 0x0A000008u) << c.name;
    EXPECT_EQ(r.consumed, c.text.size() + kGood.size()) << c.name;
  }
}

TEST(DhcpdLeases, UnterminatedLastBlockIsLeftForLaterUnlessAtEof) {
  const std::string done = "lease 10.0.0.1 {\n  ends epoch 5;\n  binding state active;\n}\n";
  for (const std::string partial : {"lease 10.0.0.2 {\n  ends epoch 5;\n  binding st",
                                    "lease 10.0.0.2 {\n  uid \"\\001", "# a comment being writ"}) {
    auto live = ParseDhcpdLeases(done + partial, 1, /*at_eof=*/false);
    EXPECT_TRUE(live.errors.empty());
    ASSERT_EQ(live.records.size(), 1u);
    EXPECT_EQ(live.consumed, done.size());
    EXPECT_EQ(live.consumed_lines, 4u);
  }
  auto whole = ParseDhcpdLeases(done + "lease 10.0.0.2 {\n  ends epoch 5;\n", 1, /*at_eof=*/true);
  ASSERT_EQ(whole.errors.size(), 1u);
  EXPECT_EQ(whole.errors[0].line, 5u);
  EXPECT_NE(whole.errors[0].reason.find("not terminated"), std::string::npos);
  // Line numbers continue from first_line.
  auto later = ParseDhcpdLeases("\n\nlease 10.0.0.300 { }\n", 41, false);
  ASSERT_EQ(later.errors.size(), 1u);
  EXPECT_EQ(later.errors[0].line, 43u);
}

// dhcpd_leases_fuzz: at the end of the file, an unterminated quoted string
// made the parser consume every byte but count only the lines before it.
TEST(DhcpdLeases, UnterminatedStringAtEofCountsEveryConsumedLine) {
  const std::string text = "lease 10.0.0.1 {\n  uid \"\\\n# a comment\nauthoring-byte-order x;\n";
  auto r = ParseDhcpdLeases(text, 1, /*at_eof=*/true);
  EXPECT_EQ(r.consumed, text.size());
  EXPECT_EQ(r.consumed_lines, 4u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 1u);  // the unterminated statement starts there
}

// dhcpd_leases_fuzz: a backslash before a newline inside a quoted string
// hid that line from the line count, so every later line number was off.
TEST(DhcpdLeases, EscapedNewlineInAStringStillCountsAsALine) {
  const std::string text =
      "lease 10.0.0.1 {\n  uid \"a\\\nb\";\n  binding state free;\n}\n"
      "lease 10.0.0.2 {\n  binding state bogus;\n}\n";
  auto r = ParseDhcpdLeases(text, 1, /*at_eof=*/true);
  EXPECT_EQ(r.consumed, text.size());
  EXPECT_EQ(r.consumed_lines, 8u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 7u) << r.errors[0].reason;  // "binding state bogus"
}

// dhcpd_leases_fuzz finding 4: a read that ended inside a word starting with
// "lease" (here "  lease|note x", a statement lqd ignores) gave the lexer a
// word "lease", which inside a block means "this block lost its '}'", so the
// block ended there. The follower then parsed the rest from "leasenote" as
// an unknown top-level statement running to the next ';' or '{ }', which
// swallowed the next block: its error (or its lease) was silently lost.
// A word the read cut off must wait for the rest, like a cut string.
TEST(DhcpdLeases, ReadEndingInsideAWordThatStartsWithLeaseLosesNoBlock) {
  const std::string head_text = "lease 10.0.0.1 {\n  binding state free;\n  lease";
  const std::string bad_next = "lease 10.0.0.2 {\n  binding state bogus;\n}\n";
  const std::string good_next = "lease 10.0.0.2 {\n  binding state free;\n}\n";
  for (const std::string& next : {bad_next, good_next}) {
    const std::string text = head_text + "note x\n}\n" + next;
    const auto whole = ParseDhcpdLeases(text, 1, /*at_eof=*/true);
    // Block 1 lacks a ';' before its '}' (line 4); block 2 is on lines 5-7.
    ASSERT_FALSE(whole.errors.empty());
    EXPECT_EQ(whole.errors[0].line, 4u) << whole.errors[0].reason;
    if (next == bad_next) {
      ASSERT_EQ(whole.errors.size(), 2u);
      EXPECT_EQ(whole.errors[1].line, 6u) << whole.errors[1].reason;
      EXPECT_TRUE(whole.records.empty());
    } else {
      ASSERT_EQ(whole.errors.size(), 1u);
      ASSERT_EQ(whole.records.size(), 1u);
      EXPECT_EQ(whole.records[0].lease.ip, 0x0A000002u);
    }

    // The follower's way: the first read ends right after "lease".
    const auto head = ParseDhcpdLeases(text.substr(0, head_text.size()), 1, /*at_eof=*/false);
    EXPECT_TRUE(head.errors.empty()) << head.errors[0].reason;
    EXPECT_TRUE(head.records.empty());
    EXPECT_EQ(head.consumed, 0u);  // block 1 is not complete yet
    const auto tail = ParseDhcpdLeases(text.substr(head.consumed), 1 + head.consumed_lines, /*at_eof=*/true);
    ASSERT_EQ(tail.errors.size(), whole.errors.size());
    for (size_t i = 0; i < whole.errors.size(); ++i) {
      EXPECT_EQ(tail.errors[i].line, whole.errors[i].line);
      EXPECT_EQ(tail.errors[i].reason, whole.errors[i].reason);
    }
    ASSERT_EQ(tail.records.size(), whole.records.size());
    for (size_t i = 0; i < whole.records.size(); ++i) {
      EXPECT_EQ(tail.records[i].lease.ip, whole.records[i].lease.ip);
      EXPECT_EQ(tail.records[i].line, whole.records[i].line);
    }
  }
}

}  // namespace
}  // namespace lqd::control
