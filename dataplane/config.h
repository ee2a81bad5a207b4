// SPDX-License-Identifier: Apache-2.0
// File: dataplane/config.h
//
// lqd's configuration file: JSON with // and /* */ comments.
//
//   {
//     "ports": [ { "device": "net_af_packet0,iface=veth1",   // PCI address or vdev
//                  "addresses": ["192.0.2.1"],               // IPv4 the appliance owns
//                  "vlan": 100 } ],                          // optional: outer VID required
//     "lcores": [1, 2],                 // optional; default: every worker lcore
//     "server-id": "192.0.2.1",         // optional; default: first port address
//     "authoritative-ranges": ["198.51.100.0/24", "203.0.113.10-203.0.113.99"],
//     "leases": "/var/lib/kea/kea-leases4.csv",   // Kea memfile CSV (optional)
//     "exception-port": "net_tap0,iface=lqd-exc", // optional kernel path
//     "policy": { "non-sensitive-options": [1, 3, 6], "default-options": [51, 82],
//                 "lenient-requesters": ["10.0.0.0/8"], "max-associated-ips": 64 },
//     "acl": { "allow": ["10.0.0.0/8"] },          // empty or absent = allow all
//     "rate-limit": { "per-requester-pps": 1000, "burst": 2000 }, // 0 = off
//     "control": { "state-dir": "/var/lib/lqd",                  // journal + snapshots
//                  "management": { "address": "127.0.0.1", "port": 8080 },
//                  "kea-ha": { "address": "192.0.2.1", "port": 8001, "user": "kea", "password": "..." },
//                  "kea-pull": { "url": "http://192.0.2.10:8000/", "user": "lqd", "password": "...",
//                                "interval-seconds": 300 },
//                  "followers": [{ "type": "dhcpd-leases", "path": "/var/lib/dhcp/dhcpd.leases" }],
//                  "stale-after-seconds": 900 }
//   }
//
// Loading reports every error at once, each with its JSON path
// ("ports[0].addresses[1]: '10.0.0.300' is not an IPv4 address"). Unknown
// keys are errors, so a typo never silently falls back to a default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/control_plane.h"
#include "control/log.h"
#include "engine/policy.h"
#include "lease-store/authoritative_ranges.h"

namespace lqd::dataplane {

// Ports one lqd serves (every lcore polls each of them).
inline constexpr unsigned kMaxPorts = 8;

struct PortConfig {
  std::string device;               // "0000:3b:00.0" or "net_af_packet0,iface=veth1"
  std::vector<uint32_t> addresses;  // host order, at least one
  std::optional<uint16_t> vlan;     // 0 = untagged only; absent = any tagging
};

struct RateLimitConfig {
  uint32_t per_requester_pps = 0;  // 0 = no rate limit
  uint32_t burst = 0;              // bucket depth; 0 = one second's worth
};

struct Config {
  std::vector<PortConfig> ports;
  std::vector<unsigned> lcores;       // empty = all worker lcores
  uint32_t server_id = 0;             // option 54; default: first port address
  std::vector<AddressRange> ranges;
  std::string leases_path;            // empty = start with no leases
  std::string exception_port;         // empty = drop exception frames
  Policy policy;
  std::vector<Ipv4Prefix> acl_allow;  // empty = allow all
  RateLimitConfig rate_limit;
  control::ControlConfig control;     // feeds, persistence, management API
  log::Level log_level = log::Level::kInfo;  // "log-level"; lqd --log-level wins

  // Every address the appliance owns, in port order.
  std::vector<uint32_t> AllAddresses() const;
};

struct ConfigResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<std::string> errors;  // "path: message", in document order
};

// Parses the text of a configuration file. Relative `leases` paths are
// taken relative to `base_dir` (the config file's directory) when given.
ConfigResult ParseConfig(std::string_view text, const std::string& base_dir = "");
// Reads and parses a file; a read failure is reported as one error.
ConfigResult LoadConfig(const std::string& path);

// "a.b.c.d" in host order, strict (no leading zeros tricks, exactly 4 parts).
std::optional<uint32_t> ParseIpv4Strict(std::string_view s);
std::string FormatIpv4(uint32_t ip);

// The device string lqd attaches: `device` plus lqd's defaults for the
// driver arguments it leaves out. Only net_af_packet has any: framecnt=4096
// (the driver's own default is 512 frames per queue's kernel ring). The
// kernel fills that ring while the lcore is off its CPU or busy with a
// burst; at 200,000 queries/s 512 frames last 2.5 ms, and a shared core's
// time slice is longer, so a storm lost queries there before lqd saw them
// (docs/performance-history.md). 4096 frames of 2 KiB: 8 MiB per ring.
// An explicit framecnt= is kept as written.
std::string DeviceWithDefaults(const std::string& device);

}  // namespace lqd::dataplane
