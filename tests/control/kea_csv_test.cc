// SPDX-License-Identifier: Apache-2.0
// File: tests/control/kea_csv_test.cc
#include "control/kea_csv.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "control/kea_user_context.h"
#include "tests/temp_dir.h"

namespace lqd::control {
namespace {

constexpr char kHeader22[] =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,"
    "user_context\n";

TEST(KeaCsv, ParsesKea22RowsLikeTheCapturedFile) {
  std::string text = std::string(kHeader22) +
      "198.51.100.10,02:00:00:00:00:01,01:02:00:00:00:00:01,3600,1795939966,1,0,0,cpe-0001,0,"
      "{ \"ISC\": { \"relay-agent-info\": \"0x010C657468302F312F313A31303002085249442D30303031\" } }\n";
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_TRUE(r->errors.empty());
  const Lease& l = r->records[0].lease;
  EXPECT_EQ(l.ip, 0xC633640Au);
  EXPECT_EQ(l.hw.hlen, 6);
  EXPECT_EQ(l.hw.bytes[5], 1);
  EXPECT_EQ(l.client_id, std::string("\x01\x02\x00\x00\x00\x00\x01", 7));
  EXPECT_EQ(l.expire, 1795939966u);
  EXPECT_EQ(l.cltt, 1795939966u - 3600);
  EXPECT_EQ(l.state, LeaseState::kActive);
  EXPECT_EQ(l.subnet_id, 1u);
  EXPECT_EQ(l.relay_agent_info.size(), 24u);
  EXPECT_EQ(l.relay_agent_info.substr(2, 12), "eth0/1/1:100");
}

TEST(KeaCsv, HeaderDrivenColumnsAcceptKea24PoolId) {
  std::string text =
      "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,"
      "user_context,pool_id\n"
      "10.0.0.5,02:00:00:00:00:05,,600,2000000000,3,0,0,,0,"
      "{ \"ISC\": { \"relay-agent-info\": { \"sub-options\": \"0x0103414243\"&#x2c \"remote-id\": \"00\" } } },0\n";
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->records.size(), 1u) << (r->errors.empty() ? "" : r->errors[0].reason);
  EXPECT_EQ(r->records[0].lease.relay_agent_info, std::string("\x01\x03" "ABC", 5));
  EXPECT_EQ(r->records[0].lease.subnet_id, 3u);
}

TEST(KeaCsv, EscapedCommasInUserContextAndHostname) {
  std::string text = std::string(kHeader22) +
      "198.51.100.99,02:00:00:00:00:99,,3600,1795939982,1,0,0,api&#x2cadded,0,"
      "{ \"ISC\": { \"relay-agent-info\": \"0x0103414243\" }&#x2c \"note\": \"x&#x2cy\" }\n";
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u) << (r->errors.empty() ? "" : r->errors[0].reason);
  EXPECT_EQ(r->records[0].lease.relay_agent_info, std::string("\x01\x03" "ABC", 5));
}

TEST(KeaCsv, BadLinesAreReportedWithLineNumberAndSkipped) {
  std::string text = std::string(kHeader22) +
      "10.0.0.1,02:00:00:00:00:01,,3600,2000000000,1,0,0,,0,\n"       // line 2 ok
      "10.0.0.300,02:00:00:00:00:02,,3600,2000000000,1,0,0,,0,\n"     // line 3 bad address
      "10.0.0.3,02:zz:00:00:00:03,,3600,2000000000,1,0,0,,0,\n"       // line 4 bad hwaddr
      "10.0.0.4,02:00:00:00:00:04,,3600\n"                             // line 5 truncated
      "10.0.0.5,02:00:00:00:00:05,,3600,2000000000,1,0,0,,9,\n"       // line 6 bad state
      "10.0.0.6,02:00:00:00:00:06,,3600,2000000000,1,0,0,,0,{ \"ISC\": { \"relay-agent-info\": \"0x0105AB\" } }\n"  // line 7 bad 82
      "10.0.0.7,02:00:00:00:00:07,,3600,2000000000,1,0,0,,0,\n";      // line 8 ok
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].lease.ip, 0x0A000001u);
  EXPECT_EQ(r->records[1].lease.ip, 0x0A000007u);
  ASSERT_EQ(r->errors.size(), 5u);
  const size_t want_lines[] = {3, 4, 5, 6, 7};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(r->errors[i].line, want_lines[i]) << r->errors[i].reason;
    EXPECT_FALSE(r->errors[i].reason.empty());
  }
  EXPECT_NE(r->errors[0].reason.find("10.0.0.300"), std::string::npos);
}

// Kea writes expire = cltt + valid_lifetime in 64 bits: an infinite lease
// (valid 4294967295, e.g. Kea's BOOTP leases) has an expire past 2^32. It
// loads as infinite with its real cltt; a clipped expire (4294967295) loads
// as infinite too; a pair whose cltt would not fit 32 bits is a bad line.
TEST(KeaCsv, InfiniteLeasesKeepTheirClttAndNeverExpire) {
  std::string text = std::string(kHeader22) +
      "10.0.0.1,02:00:00:00:00:01,,4294967295,6090903661,1,0,0,,0,\n"   // cltt 1795936366
      "10.0.0.2,02:00:00:00:00:02,,4294967295,4294967295,1,0,0,,0,\n"   // clipped
      "10.0.0.3,02:00:00:00:00:03,,3600,4294967400,1,0,0,,0,\n"         // ends after 2106
      "10.0.0.4,02:00:00:00:00:04,,60,8000000000,1,0,0,,0,\n"           // cltt past 32 bits
      "10.0.0.5,02:00:00:00:00:05,,3600,1795939966,1,0,0,,0,\n";
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_EQ(r->records[0].lease.cltt, 1795936366u);
  EXPECT_EQ(r->records[0].lease.expire, kInfiniteTime);
  EXPECT_EQ(r->records[1].lease.cltt, 0u);
  EXPECT_EQ(r->records[1].lease.expire, kInfiniteTime);
  EXPECT_EQ(r->records[2].lease.cltt, 4294963800u);
  EXPECT_EQ(r->records[2].lease.expire, kInfiniteTime);
  EXPECT_EQ(r->records[3].lease.ip, 0x0a000005u);
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_EQ(r->errors[0].line, 5u);
  EXPECT_NE(r->errors[0].reason.find("does not fit 32 bits"), std::string::npos) << r->errors[0].reason;
}

TEST(KeaCsv, MissingRequiredColumnIsRefused) {
  auto r = ParseKeaCsv("address,hwaddr,client_id\n10.0.0.1,,\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("valid_lifetime"), std::string::npos);
  EXPECT_FALSE(ParseKeaCsv("").ok());
}

TEST(KeaCsv, FoldAppliesReplacementsAndDeletes) {
  std::string text = std::string(kHeader22) +
      "10.0.0.1,02:00:00:00:00:01,,3600,2000000000,1,0,0,,0,\n"
      "10.0.0.2,02:00:00:00:00:02,,3600,2000000000,1,0,0,,0,\n"
      "10.0.0.2,02:00:00:00:00:02,,0,1999996400,1,0,0,,0,\n"          // release = delete
      "10.0.0.1,02:00:00:00:00:01,,3600,2000000100,1,0,0,,0,\n"       // renew
      "10.0.0.3,,,600,2000000000,1,0,0,,1,\n";                         // declined, no MAC
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok());
  auto leases = FoldKeaCsv(r->records);
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0].ip, 0x0A000001u);
  EXPECT_EQ(leases[0].expire, 2000000100u);
  EXPECT_EQ(leases[1].state, LeaseState::kDeclined);
  EXPECT_TRUE(leases[1].hw.empty());
}

TEST(KeaUserContext, BothLayoutsAndErrors) {
  EXPECT_EQ(*RelayAgentInfoFromUserContext(R"({"ISC":{"relay-agent-info":"0x0102AABB"}})"),
            std::string("\x01\x02\xaa\xbb", 4));
  EXPECT_EQ(*RelayAgentInfoFromUserContext(
                R"({"ISC":{"relay-agent-info":{"sub-options":"0x0102AABB","remote-id":"AABB"}}})"),
            std::string("\x01\x02\xaa\xbb", 4));
  EXPECT_EQ(*RelayAgentInfoFromUserContext(R"({"other":1})"), "");
  EXPECT_FALSE(RelayAgentInfoFromUserContext("{not json").ok());
  EXPECT_FALSE(RelayAgentInfoFromUserContext(R"({"ISC":{"relay-agent-info":"0x01"}})").ok());
  EXPECT_FALSE(RelayAgentInfoFromUserContext(R"({"ISC":{"relay-agent-info":"0xZZ"}})").ok());
  EXPECT_FALSE(RelayAgentInfoFromUserContext(R"({"ISC":{"relay-agent-info":42}})").ok());
}

TEST(KeaCsv, CapturedLfcFileLoads) {
  auto r = LoadKeaCsv(std::string(LQD_SHARED_REFERENCE) + "/kea/captured/kea-leases4.before-lfc.csv");
  if (!r.ok() && r.status().code() == absl::StatusCode::kNotFound)
    GTEST_SKIP() << "shared reference captures not present: " << r.status();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->errors.empty()) << r->errors[0].line << ": " << r->errors[0].reason;
  EXPECT_GE(r->records.size(), 5u);
  auto leases = FoldKeaCsv(r->records);
  EXPECT_FALSE(leases.empty());
}

// A file of several MiB is parsed in parallel chunks: records stay in file
// order, bad lines keep their true line numbers, and the fold sees a later
// line or a deletion in another chunk than the line it overrides.
TEST(KeaCsv, LargeFileChunksKeepOrderLineNumbersAndFold) {
  std::string text = kHeader22;
  size_t line = 1;
  std::vector<size_t> bad_lines;
  const uint32_t kLeases = 60000;  // ~6 MiB: more than one chunk
  auto row = [](uint32_t i, uint32_t valid) {
    return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
           std::to_string(i & 255) + ",02:00:00:00:00:01,01:02,"+ std::to_string(valid) +
           ",2000000000,1,0,0,host-padding-padding-padding-padding,0,"
           "{ \"ISC\": { \"relay-agent-info\": \"0x0103414243\" } }\n";
  };
  for (uint32_t i = 0; i < kLeases; ++i) {
    text += row(i, 3600);
    ++line;
    if (i % 9973 == 0) {
      text += "10.0.0.300,,,3600,2000000000,1,0,0,,0,\n";
      bad_lines.push_back(++line);
    }
    if (i % 5000 == 0) {
      text += "\n";
      ++line;
    }
  }
  text += row(7, 0);      // deletes the lease of line 9 (first chunk)
  text += row(11, 1200);  // a later copy of 10.0.0.11 wins
  ASSERT_GT(text.size(), size_t{5} << 20);
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), kLeases + 2);
  for (uint32_t i = 0; i < kLeases; ++i) ASSERT_EQ(r->records[i].lease.ip, 0x0A000000u + i) << i;
  ASSERT_EQ(r->errors.size(), bad_lines.size());
  for (size_t k = 0; k < bad_lines.size(); ++k) EXPECT_EQ(r->errors[k].line, bad_lines[k]);
  EXPECT_EQ(r->records.back().line, line + 2);
  const std::vector<Lease> folded = FoldKeaCsv(std::move(r->records));
  ASSERT_EQ(folded.size(), kLeases - 1);
  EXPECT_EQ(folded[7].ip, 0x0A000008u);        // 10.0.0.7 deleted
  EXPECT_EQ(folded[10].ip, 0x0A00000Bu);
  EXPECT_EQ(folded[10].expire - folded[10].cltt, 1200u);  // the later line
  EXPECT_EQ(folded[10].relay_agent_info, std::string("\x01\x03" "ABC", 5));
}

void ExpectSameLeases(const KeaCsvLeaseSet& set, const std::vector<Lease>& want) {
  ASSERT_EQ(set.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const Lease a = set.at(i);
    const Lease& b = want[i];
    ASSERT_EQ(a.ip, b.ip) << i;
    ASSERT_TRUE(a.hw == b.hw) << i;
    ASSERT_EQ(a.client_id, b.client_id) << i;
    ASSERT_EQ(a.state, b.state) << i;
    ASSERT_EQ(a.cltt, b.cltt) << i;
    ASSERT_EQ(a.expire, b.expire) << i;
    ASSERT_EQ(a.subnet_id, b.subnet_id) << i;
    ASSERT_EQ(a.relay_agent_info, b.relay_agent_info) << i;
    LeaseRef r;
    set.Get(i, &r);
    ASSERT_EQ(r.ip, b.ip);
    ASSERT_EQ(r.relay_agent_info, b.relay_agent_info);
  }
}

// lqd's start-up load (packed records, folded by pointer) keeps exactly the
// leases that ParseKeaCsv + FoldKeaCsv keep, and the same bad lines: across
// chunks, out of address order (the sort), with replacements, deletions,
// Kea 2.4's map layout and every kind of bad line.
TEST(KeaCsv, StartUpLoadMatchesParseAndFold) {
  std::string text = kHeader22;
  std::mt19937 rng(4388);
  for (uint32_t i = 0; i < 70000; ++i) {
    const uint32_t host = rng() % 50000;  // repeats: later lines replace
    const uint32_t valid = rng() % 7 == 0 ? 0 : 600 + rng() % 4000;  // some deletions
    text += "10." + std::to_string(host >> 16) + "." + std::to_string((host >> 8) & 255) + "." +
            std::to_string(host & 255) + ",02:00:00:00:" + (i % 3 ? "1a" : "2b") + ":0" + std::to_string(i % 10) +
            "," + (i % 4 ? "01:02:03" : "") + "," + std::to_string(valid) + "," + std::to_string(1900000000 + i) +
            ",7,0,0,host," + std::to_string(rng() % 4) + ",";
    switch (i % 5) {
      case 0: text += "{ \"ISC\": { \"relay-agent-info\": \"0x0103414243\" } }"; break;
      case 1: text += "{ \"ISC\": { \"relay-agent-info\": { \"sub-options\": \"0x0201AA\" } } }"; break;
      case 2: text += "{ \"ISC\": { \"relay-agent-info\": \"0x0105AB\" } }"; break;  // bad option 82
      default: break;
    }
    text += "\n";
    if (i % 997 == 0) text += "10.0.0.1,02:00\n";          // truncated
    if (i % 1009 == 0) text += "10.0.0.999,,,60,1,1,0,0,,0,\n";  // bad address
  }
  ASSERT_GT(text.size(), size_t{4} << 20);  // more than one chunk
  auto parsed = ParseKeaCsv(text);
  ASSERT_TRUE(parsed.ok());
  auto set = ParseKeaCsvLeases(text);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->records(), parsed->records.size());
  ASSERT_EQ(set->errors().size(), parsed->errors.size());
  EXPECT_GT(parsed->errors.size(), 14000u);
  for (size_t i = 0; i < parsed->errors.size(); ++i) {
    EXPECT_EQ(set->errors()[i].line, parsed->errors[i].line);
    EXPECT_EQ(set->errors()[i].reason, parsed->errors[i].reason);
  }
  const std::vector<Lease> folded = FoldKeaCsv(parsed->records);
  EXPECT_GT(folded.size(), 25000u);
  ExpectSameLeases(*set, folded);
  set->clear();
  EXPECT_TRUE(set->empty());
}

TEST(KeaCsv, StartUpLoadReadsTheFileAndSaysWhyItCannot) {
  lqd::testutil::TempDir dir("kea_csv_test");
  const std::string path = dir.Path("kea-leases4.csv");
  const std::string text = std::string(kHeader22) +
      "10.0.0.2,02:00:00:00:00:02,,3600,2000000000,1,0,0,,0,\n"
      "10.0.0.1,02:00:00:00:00:01,,3600,2000000000,1,0,0,,0,\n"
      "10.0.0.x,02:00:00:00:00:01,,3600,2000000000,1,0,0,,0,\n";
  std::ofstream(path) << text;
  auto set = LoadKeaCsvLeases(path);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->at(0).ip, 0x0A000001u);
  EXPECT_EQ(set->at(1).ip, 0x0A000002u);
  ASSERT_EQ(set->errors().size(), 1u);
  EXPECT_EQ(set->errors()[0].line, 4u);
  // A last line without a line end is a write Kea had not finished: here it
  // still has every field but user_context, and would pass as a lease
  // without its option 82. The start-up load skips and reports it; a
  // whole-text parse (the follower only hands it complete lines) keeps it.
  const std::string unfinished = text + "10.0.0.9,02:00:00:00:00:09,,3600,2000000000,1,0,0,,0";
  std::ofstream(path, std::ios::trunc) << unfinished;
  auto cut = LoadKeaCsvLeases(path);
  ASSERT_TRUE(cut.ok()) << cut.status();
  EXPECT_EQ(cut->size(), 2u);
  ASSERT_EQ(cut->errors().size(), 2u);
  EXPECT_EQ(cut->errors()[1].line, 5u);
  EXPECT_NE(cut->errors()[1].reason.find("line end"), std::string::npos) << cut->errors()[1].reason;
  EXPECT_EQ(ParseKeaCsvLeases(unfinished)->size(), 3u);
  std::ofstream(path, std::ios::trunc) << text + "   \t";  // only blanks after the last line end: nothing cut
  auto blank_tail = LoadKeaCsvLeases(path);
  ASSERT_TRUE(blank_tail.ok());
  EXPECT_EQ(blank_tail->size(), 2u);
  EXPECT_EQ(blank_tail->errors().size(), 1u);
  std::ofstream(path, std::ios::trunc) << "no,header,here\n";
  auto bad = LoadKeaCsvLeases(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path), std::string::npos) << bad.status();
  unlink(path.c_str());
  auto missing = LoadKeaCsvLeases(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

// The address parser is as strict as inet_pton(AF_INET), which it replaced:
// hand-picked edge cases, then 20,000 random strings over its alphabet.
TEST(KeaCsv, AddressParsingAgreesWithInetPton) {
  std::vector<std::string> addrs = {"1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3.04",
                                    "1.2.3.0", "00.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", " 1.2.3.4", "1.2.3.4 ",
                                    "1.2.3.-1", "1.2.3.4a", "", ".1.2.3", "1.2.3.", "1234.1.1.1", "1.2.3.255",
                                    "0.1.1.1", "1.2.3.2555", "+1.2.3.4", "1.2.3.4\t", "0x1.2.3.4", "1.2.3.000"};
  std::mt19937 rng(3046);
  // Near-valid: 3 to 5 parts of 0 to 4 digits (leading zeros, > 255, empty
  // parts), then sometimes one byte changed to a digit, a dot, a blank or 'x'.
  const char mutations[] = "0123456789. x";
  for (int k = 0; k < 20000; ++k) {
    std::string a;
    for (int part = 0, parts = 3 + static_cast<int>(rng() % 3); part < parts; ++part) {
      if (part > 0) a += '.';
      const int digits = static_cast<int>(rng() % 5);
      for (int d = 0; d < digits; ++d) a += static_cast<char>('0' + (d == 0 ? rng() % 3 : rng() % 10));
    }
    if (rng() % 4 == 0 && !a.empty()) a[rng() % a.size()] = mutations[rng() % (sizeof(mutations) - 1)];
    addrs.push_back(a);
  }
  std::string text = kHeader22;
  for (const std::string& a : addrs) text += a + ",,,60,2000000000,1,0,0,,0,\n";
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok());
  size_t rec = 0, err = 0, accepted = 0;
  for (size_t i = 0; i < addrs.size(); ++i) {
    in_addr want{};
    const bool ok = inet_pton(AF_INET, addrs[i].c_str(), &want) == 1;
    const size_t line = i + 2;
    if (rec < r->records.size() && r->records[rec].line == line) {
      EXPECT_TRUE(ok) << "'" << addrs[i] << "' was accepted";
      if (ok) {
        EXPECT_EQ(r->records[rec].lease.ip, ntohl(want.s_addr)) << addrs[i];
      }
      ++rec;
      ++accepted;
    } else {
      ASSERT_LT(err, r->errors.size());
      ASSERT_EQ(r->errors[err].line, line);
      EXPECT_FALSE(ok) << "'" << addrs[i] << "' was refused: " << r->errors[err].reason;
      ++err;
    }
  }
  EXPECT_GT(accepted, 150u);  // the random strings do hit valid addresses (214 with this seed)
}

// MACs and client-ids: one or two hex digits per colon-separated byte, as
// Kea writes them; anything else is a bad line.
TEST(KeaCsv, ColonHexIsStrict) {
  const std::string text = std::string(kHeader22) +
      "10.0.0.1,2:0:a:B:0c:Fd,1:ff,60,2000000000,1,0,0,,0,\n"   // ok
      "10.0.0.2,02:00:00:00:00:0g,,60,2000000000,1,0,0,,0,\n"   // bad digit
      "10.0.0.3,02:00::00:00:01,,60,2000000000,1,0,0,,0,\n"     // empty part
      "10.0.0.4,-1:00:00:00:00:01,,60,2000000000,1,0,0,,0,\n"   // sign
      "10.0.0.5,02:00:00:00:00:001,,60,2000000000,1,0,0,,0,\n"  // three digits
      "10.0.0.6,02:00:00:00:00:01:,,60,2000000000,1,0,0,,0,\n"  // trailing colon
      "10.0.0.7,00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10,,60,2000000000,1,0,0,,0,\n";  // 17 bytes
  auto r = ParseKeaCsv(text);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_EQ(r->records[0].lease.hw.hlen, 6);
  EXPECT_EQ(r->records[0].lease.hw.bytes[5], 0xfd);
  EXPECT_EQ(r->records[0].lease.client_id, std::string("\x01\xff", 2));
  ASSERT_EQ(r->errors.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(r->errors[i].line, i + 3);
    EXPECT_NE(r->errors[i].reason.find("hwaddr"), std::string::npos) << r->errors[i].reason;
  }
}

std::string ColonHexOf(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i != 0) s += ':';
    s += "a5";
  }
  return s;
}

// Option 82 of n bytes in total: sub-option 1 (circuit-id) of n - 2 bytes.
std::string RaiHex(size_t n) {
  static const char* kHex = "0123456789ABCDEF";
  std::string h = "0x01";
  h += kHex[(n - 2) >> 4];
  h += kHex[(n - 2) & 15];
  for (size_t i = 2; i < n; ++i) h += "41";
  return h;
}

// The packed record keeps client-id and option 82 lengths in one byte each:
// 255 bytes load whole, 256 are a bad line, on Kea 2.2's hex fast path and
// on the JSON path (2.4's map) alike; never a silently cut value.
TEST(KeaCsv, ClientIdAndOption82LengthLimits) {
  const std::string text = std::string(kHeader22) +
      "10.0.0.1,02:00:00:00:00:01," + ColonHexOf(255) + ",60,2000000000,1,0,0,,0,\n" +           // 2: ok
      "10.0.0.2,02:00:00:00:00:02," + ColonHexOf(256) + ",60,2000000000,1,0,0,,0,\n" +           // 3: too long
      "10.0.0.3,02:00:00:00:00:03,,60,2000000000,1,0,0,,0,{ \"ISC\": { \"relay-agent-info\": \"" +
      RaiHex(255) + "\" } }\n" +                                                                  // 4: ok
      "10.0.0.4,02:00:00:00:00:04,,60,2000000000,1,0,0,,0,{ \"ISC\": { \"relay-agent-info\": \"" +
      RaiHex(256) + "\" } }\n" +                                                                  // 5: too long
      "10.0.0.5,02:00:00:00:00:05,,60,2000000000,1,0,0,,0,{ \"ISC\": { \"relay-agent-info\": "
      "{ \"sub-options\": \"" + RaiHex(255) + "\" } } }\n" +                                     // 6: ok
      "10.0.0.6,02:00:00:00:00:06,,60,2000000000,1,0,0,,0,{ \"ISC\": { \"relay-agent-info\": "
      "{ \"sub-options\": \"" + RaiHex(256) + "\" } } }\n";                                      // 7: too long
  for (bool packed : {false, true}) {
    SCOPED_TRACE(packed ? "ParseKeaCsvLeases" : "ParseKeaCsv");
    std::vector<Lease> leases;
    std::vector<LineError> errors;
    if (packed) {
      auto set = ParseKeaCsvLeases(text);
      ASSERT_TRUE(set.ok());
      for (size_t i = 0; i < set->size(); ++i) leases.push_back(set->at(i));
      errors = set->errors();
    } else {
      auto r = ParseKeaCsv(text);
      ASSERT_TRUE(r.ok());
      leases = FoldKeaCsv(r->records);
      errors = r->errors;
    }
    ASSERT_EQ(leases.size(), 3u);
    EXPECT_EQ(leases[0].client_id, std::string(255, '\xa5'));
    EXPECT_EQ(leases[1].relay_agent_info.size(), 255u);
    EXPECT_EQ(leases[1].relay_agent_info.substr(0, 3), "\x01\xfd" "A");
    EXPECT_EQ(leases[2].relay_agent_info, leases[1].relay_agent_info);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0].line, 3u);
    EXPECT_EQ(errors[1].line, 5u);
    EXPECT_EQ(errors[2].line, 7u);
  }
}

}  // namespace
}  // namespace lqd::control
