// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/config_test.cc
#include "dataplane/config.h"

#include "engine/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace lqd::dataplane {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ConfigResult Parse(const std::string& text) { return ParseConfig(text); }

TEST(ConfigTest, FullExampleWithComments) {
  auto r = Parse(R"({
    // The demo port.
    "ports": [ { "device": "net_af_packet0,iface=veth1", "addresses": ["192.0.2.1", "192.0.2.2"],
                 "vlan": 100 },
               { "device": "0000:3b:00.0", "addresses": ["198.51.100.1"] } ],
    "lcores": [1, 2],
    /* block comment */
    "server-id": "192.0.2.53",
    "authoritative-ranges": ["198.51.100.0/24", "203.0.113.10-203.0.113.99"],
    "leases": "/var/lib/kea/kea-leases4.csv",
    "exception-port": "net_tap0,iface=lqd-exc",
    "policy": { "non-sensitive-options": [1, 3, 6], "default-options": [51, 82],
                "lenient-requesters": ["10.0.0.0/8"], "max-associated-ips": 64 },
    "acl": { "allow": ["10.0.0.0/8", "192.0.2.7"] },
    "rate-limit": { "per-requester-pps": 1000, "burst": 2000 }
  })");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  const Config& c = *r.config;
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].device, "net_af_packet0,iface=veth1");
  EXPECT_THAT(c.ports[0].addresses, ElementsAre(0xc0000201, 0xc0000202));
  EXPECT_EQ(c.ports[0].vlan, 100);
  EXPECT_FALSE(c.ports[1].vlan.has_value());
  EXPECT_THAT(c.lcores, ElementsAre(1u, 2u));
  EXPECT_EQ(c.server_id, 0xc0000235u);
  ASSERT_EQ(c.ranges.size(), 2u);
  EXPECT_EQ(c.ranges[0].first, 0xc6336400u);
  EXPECT_EQ(c.ranges[0].last, 0xc63364ffu);
  EXPECT_EQ(c.ranges[1].first, 0xcb00710au);
  EXPECT_EQ(c.ranges[1].last, 0xcb007163u);
  EXPECT_EQ(c.leases_path, "/var/lib/kea/kea-leases4.csv");
  EXPECT_EQ(c.exception_port, "net_tap0,iface=lqd-exc");
  EXPECT_TRUE(c.policy.non_sensitive.test(3));
  EXPECT_FALSE(c.policy.non_sensitive.test(4));
  EXPECT_THAT(c.policy.default_options, ElementsAre(51, 82));
  ASSERT_EQ(c.policy.lenient_requesters.size(), 1u);
  EXPECT_EQ(c.policy.max_associated_ips, 64u);
  ASSERT_EQ(c.acl_allow.size(), 2u);
  EXPECT_EQ(c.acl_allow[1].len, 32);
  EXPECT_EQ(c.rate_limit.per_requester_pps, 1000u);
  EXPECT_EQ(c.rate_limit.burst, 2000u);
  EXPECT_THAT(c.AllAddresses(), ElementsAre(0xc0000201, 0xc0000202, 0xc6336401));
}

TEST(ConfigTest, MinimalDefaults) {
  auto r = Parse(R"({"ports": [{"device": "net_null0", "addresses": ["10.0.0.1"]}]})");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  EXPECT_EQ(r.config->server_id, 0x0a000001u) << "server-id defaults to the first address";
  EXPECT_TRUE(r.config->lcores.empty());
  EXPECT_TRUE(r.config->acl_allow.empty());
  EXPECT_EQ(r.config->rate_limit.per_requester_pps, 0u);
  EXPECT_EQ(r.config->policy.default_options, DefaultPolicy().default_options);
}

TEST(ConfigTest, EveryErrorNamesItsPathAllAtOnce) {
  auto r = Parse(R"({
    "ports": [ { "device": "net_null0", "addresses": ["10.0.0.1", "10.0.0.300"] },
               { "device": "net_null1", "adresses": ["10.0.0.2"], "vlan": 5000 } ],
    "lcores": [1, -1, 1],
    "authoritative-ranges": ["10.0.0.9-10.0.0.1", "10.0.0.5/24", "nope"],
    "policy": { "non-sensitive-options": [0, 300, "x"], "max-associated-ips": 5000 },
    "acl": { "allow": ["10.0.0.0/33"] },
    "rate-limit": { "pps": 5 },
    "lease": "x.csv"
  })");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_THAT(r.errors, ::testing::UnorderedElementsAre(
      "ports[0].addresses[1]: '10.0.0.300' is not an IPv4 address",
      "ports[1].adresses: unknown key 'adresses' (did you mean 'addresses'?)",
      "ports[1]: missing 'addresses' (the IPv4 addresses lqd answers on)",
      "ports[1].vlan: 5000 is out of range [0, 4094]",
      "lcores[1]: must be an integer in [0, 1023], got -1",
      "lcores[2]: lcore 1 is listed twice",
      "authoritative-ranges[0]: '10.0.0.9-10.0.0.1': first address is above the last",
      "authoritative-ranges[1]: '10.0.0.5/24' has host bits set (did you mean '10.0.0.0/24'?)",
      "authoritative-ranges[2]: 'nope' is not an IPv4 prefix (a.b.c.d/len)",
      "policy.non-sensitive-options[0]: 0 is out of range [1, 254]",
      "policy.non-sensitive-options[1]: 300 is out of range [1, 254]",
      "policy.non-sensitive-options[2]: must be an integer in [1, 254], got 'x'",
      "policy.max-associated-ips: 5000 is out of range [0, 1024]",
      "acl.allow[0]: '10.0.0.0/33' is not an IPv4 prefix (a.b.c.d/len)",
      "rate-limit.pps: unknown key 'pps' (known keys: per-requester-pps burst)",
      "lease: unknown key 'lease' (did you mean 'leases'?)"));
}

TEST(ConfigTest, StructuralErrors) {
  EXPECT_THAT(Parse("{}").errors, ElementsAre("ports: missing: at least one port is required"));
  EXPECT_THAT(Parse(R"({"ports": []})").errors, ElementsAre("ports: needs at least one port"));
  EXPECT_THAT(Parse(R"({"ports": {}})").errors, ElementsAre("ports: must be a list, got object"));
  EXPECT_THAT(Parse("[]").errors, ElementsAre("(top level): must be an object, got array"));
  auto dup = Parse(R"({"ports": [{"device": "a", "addresses": ["10.0.0.1"]},
                                 {"device": "a", "addresses": ["10.0.0.1"]}]})");
  EXPECT_THAT(dup.errors, ElementsAre("ports[1].device: 'a' is listed twice",
                                      "ports[1].addresses[0]: '10.0.0.1' is used twice"));
}

// JSON leaves a repeated key undefined and the parser keeps the last one:
// a second "acl" would silently replace the first. Refused, with its path.
TEST(ConfigTest, DuplicateKeysAreRefusedWithTheirPath) {
  auto r = Parse(R"({"ports": [{"device": "a", "addresses": ["10.0.0.1"]},
                               {"device": "b", "addresses": ["10.0.0.2"], "vlan": 1, "vlan": 2}],
                    "acl": {"allow": ["10.0.0.0/8"]}, "acl": {"allow": []},
                    "policy": {"auth": {"keys": [{"id": 1, "id": 2}]}}})");
  EXPECT_FALSE(r.config.has_value());
  const char* kTail = ": given twice in the same object (the parser would keep the last one silently); remove one";
  EXPECT_THAT(r.errors, ::testing::UnorderedElementsAre(std::string("ports[1].vlan") + kTail,
                                                        std::string("acl") + kTail,
                                                        std::string("policy.auth.keys[0].id") + kTail));
  // The same key in different objects is fine.
  EXPECT_TRUE(Parse(R"({"ports": [{"device": "a", "addresses": ["10.0.0.1"]},
                                  {"device": "b", "addresses": ["10.0.0.2"]}]})").config.has_value());
}

// lqd answers on these and names itself by server-id: a relay must be able
// to send a unicast query there and take it as a reply's source.
TEST(ConfigTest, PortAddressesAndServerIdMustBeUnicast) {
  for (const char* bad : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.255.255.255", "240.0.0.1",
                          "255.255.255.255"}) {
    auto r = Parse(std::string(R"({"ports": [{"device": "a", "addresses": [")") + bad + R"("]}]})");
    ASSERT_EQ(r.errors.size(), 1u) << bad;
    EXPECT_THAT(r.errors[0], HasSubstr(std::string("ports[0].addresses[0]: '") + bad + "' is "));
    EXPECT_THAT(r.errors[0], HasSubstr("give a unicast address of this appliance"));
    auto sid = Parse(std::string(R"({"ports": [{"device": "a", "addresses": ["10.0.0.1"]}], "server-id": ")") +
                     bad + R"("})");
    ASSERT_EQ(sid.errors.size(), 1u) << bad;
    EXPECT_THAT(sid.errors[0], HasSubstr(std::string("server-id: '") + bad + "' is "));
  }
  for (const char* good : {"1.0.0.1", "10.0.0.1", "126.255.255.254", "128.0.0.1", "223.255.255.254"})
    EXPECT_TRUE(Parse(std::string(R"({"ports": [{"device": "a", "addresses": [")") + good + R"("]}]})")
                    .config.has_value())
        << good;
}

// --check-config must refuse what start refuses.
TEST(ConfigTest, MorePortsThanSupportedIsRefused) {
  std::string ports;
  for (unsigned i = 0; i <= kMaxPorts; ++i)
    ports += (i ? "," : "") + std::string(R"({"device": "net_null)") + std::to_string(i) +
             R"(", "addresses": ["10.0.0.)" + std::to_string(i + 1) + R"("]})";
  auto r = Parse(R"({"ports": [)" + ports + "]}");
  EXPECT_THAT(r.errors, ElementsAre("ports: 9 ports listed, at most 8 are supported (each lcore polls every port)"));
  ports.resize(ports.rfind(",{"));
  EXPECT_TRUE(Parse(R"({"ports": [)" + ports + "]}").config.has_value());
}

TEST(ConfigTest, SyntaxErrorHasLineAndColumn) {
  auto r = Parse("{\n  \"ports\": [\n  ,\n}");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0], HasSubstr("line 3"));
}

TEST(ConfigTest, Ipv4Strict) {
  EXPECT_EQ(ParseIpv4Strict("1.2.3.4"), 0x01020304u);
  EXPECT_EQ(ParseIpv4Strict("255.255.255.255"), 0xffffffffu);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.4 ", "a.b.c.d",
                          "1..2.3", "1.2.3.4/8", "1234.1.1.1"})
    EXPECT_FALSE(ParseIpv4Strict(bad).has_value()) << bad;
  EXPECT_EQ(FormatIpv4(0xc0000201), "192.0.2.1");
}

TEST(ConfigTest, LoadFileResolvesRelativeLeases) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/lqd-config-test.json";
  std::ofstream(path) << R"({"ports": [{"device": "net_null0", "addresses": ["10.0.0.1"]}],
                           "leases": "leases.csv"})";
  auto r = LoadConfig(path);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  EXPECT_EQ(r.config->leases_path.substr(r.config->leases_path.size() - 11), "/leases.csv");
  EXPECT_NE(r.config->leases_path, "leases.csv");
  std::remove(path.c_str());
  EXPECT_THAT(LoadConfig("/nonexistent/lqd.json").errors,
              ElementsAre("/nonexistent/lqd.json: cannot open for reading"));
}

}  // namespace
}  // namespace lqd::dataplane

namespace lqd::dataplane {
namespace {
// Regression (config_fuzz): a number too large for a double made
// nlohmann::json throw out_of_range, which escaped ParseConfig and killed lqd.
TEST(ConfigFuzzRegression, HugeNumberIsASyntaxErrorNotACrash) {
  ConfigResult r = ParseConfig(R"({"ports": [{"device": "net_null0", "addresses": ["192.0.2.1"]}],
                                   "rate-limit": {"burst": 20E999}})");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("number overflow"), std::string::npos) << r.errors[0];
}
}  // namespace
}  // namespace lqd::dataplane

namespace lqd::dataplane {
namespace {

// policy.auth (RFC 3118 delayed authentication, engine/auth.h).
TEST(ConfigAuthTest, KeysFromTextOrHexBecomeAKeyring) {
  auto r = ParseConfig(R"({"ports": [{"device": "net_null0", "addresses": ["10.0.0.1"]}],
    "policy": {"auth": {"mode": "required", "keys": [
      {"id": 1, "secret": "text-secret", "requesters": ["10.0.0.0/8"]},
      {"id": 2, "secret-hex": "00ff10AB", "requesters": ["192.0.2.7", "198.51.100.0/24"]}]}}})");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  ASSERT_NE(r.config->policy.auth, nullptr);
  EXPECT_EQ(r.config->policy.auth->mode(), AuthMode::kRequired);
  EXPECT_EQ(r.config->policy.auth->num_keys(), 2u);
}

TEST(ConfigAuthTest, OffOrAbsentInstallsNoKeyring) {
  for (const char* auth : {"", R"(, "policy": {"auth": {"mode": "off", "keys": [
       {"id": 1, "secret": "s", "requesters": ["10.0.0.0/8"]}]}})"}) {
    auto r = ParseConfig(std::string(R"({"ports": [{"device": "net_null0", "addresses": ["10.0.0.1"]}])") +
                         auth + "}");
    ASSERT_TRUE(r.errors.empty()) << r.errors[0];
    EXPECT_EQ(r.config->policy.auth, nullptr);
  }
}

TEST(ConfigAuthTest, EveryMistakeNamedWithoutShowingTheSecret) {
  auto r = ParseConfig(R"({"ports": [{"device": "net_null0", "addresses": ["10.0.0.1"]}],
    "policy": {"auth": {"mode": "mandatory", "keys": [
      {"id": 1, "secret": "topsecret", "secret-hex": "00", "requesters": ["10.0.0.0/8"]},
      {"id": -1, "secret-hex": "xyz-topsecret", "requesters": []},
      {"secret": "s"},
      {"id": 4, "secret": "a", "requesters": ["10.0.0.0/8"]},
      {"id": 4, "secret": "b", "requesters": ["10.0.0.0/8"]}]}}})");
  ASSERT_FALSE(r.config.has_value());
  const std::string all = [&] {
    std::string s;
    for (const auto& e : r.errors) s += e + "\n";
    return s;
  }();
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.mode: must be \"off\", \"optional\" or \"required\""));
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.keys[0]: needs exactly one of 'secret'"));
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.keys[1].id:"));
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.keys[1].secret-hex: must be an even number of hex digits"));
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.keys[1].requesters: needs at least one prefix"));
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.keys[2]: missing 'id'"));
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.keys[2]: missing 'requesters'"));
  EXPECT_THAT(all, ::testing::HasSubstr("policy.auth.keys[4]: key id 4 is already defined for 10.0.0.0/8"));
  EXPECT_THAT(all, ::testing::Not(::testing::HasSubstr("topsecret")));
}

TEST(ConfigAuthTest, RequiredWithoutKeysIsAnError) {
  auto r = ParseConfig(R"({"ports": [{"device": "net_null0", "addresses": ["10.0.0.1"]}],
    "policy": {"auth": {"mode": "required"}}})");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "policy.auth.keys: mode 'required' needs at least one key");
}

// net_af_packet gets a deeper kernel ring unless the operator chose one;
// every other device string is attached as written.
TEST(DeviceWithDefaultsTest, AfPacketGetsFramecntUnlessSet) {
  EXPECT_EQ(DeviceWithDefaults("net_af_packet0,iface=veth1"), "net_af_packet0,iface=veth1,framecnt=4096");
  EXPECT_EQ(DeviceWithDefaults("net_af_packet0,iface=veth1,qpairs=2"),
            "net_af_packet0,iface=veth1,qpairs=2,framecnt=4096");
  EXPECT_EQ(DeviceWithDefaults("net_af_packet0,framecnt=1024,iface=veth1"), "net_af_packet0,framecnt=1024,iface=veth1");
  EXPECT_EQ(DeviceWithDefaults("net_af_packet0,iface=veth1,framecnt=8192"), "net_af_packet0,iface=veth1,framecnt=8192");
  // A key that only ends in "framecnt" is not framecnt.
  EXPECT_EQ(DeviceWithDefaults("net_af_packet0,iface=veth1,xframecnt=1"),
            "net_af_packet0,iface=veth1,xframecnt=1,framecnt=4096");
  EXPECT_EQ(DeviceWithDefaults("net_tap0,iface=lqd0"), "net_tap0,iface=lqd0");
  EXPECT_EQ(DeviceWithDefaults("0000:3b:00.0"), "0000:3b:00.0");
  EXPECT_EQ(DeviceWithDefaults("net_memif0,role=server,socket=/run/lqd.sock"),
            "net_memif0,role=server,socket=/run/lqd.sock");
}

}  // namespace
}  // namespace lqd::dataplane
