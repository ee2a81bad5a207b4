// SPDX-License-Identifier: Apache-2.0
// File: engine/policy.cc
#include "engine/policy.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace lqd {

absl::StatusOr<uint32_t> ParseIpv4(const char* text) {
  in_addr a{};
  if (text == nullptr || inet_pton(AF_INET, text, &a) != 1)
    return absl::InvalidArgumentError(
        absl::StrCat("'", text ? text : "", "' is not an IPv4 address (expected a.b.c.d)"));
  return ntohl(a.s_addr);
}

absl::StatusOr<Ipv4Prefix> ParseIpv4Prefix(const char* text) {
  if (text == nullptr) return absl::InvalidArgumentError("empty prefix");
  std::string s(text);
  Ipv4Prefix p;
  p.len = 32;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    const std::string len = s.substr(slash + 1);
    char* end = nullptr;
    long v = std::strtol(len.c_str(), &end, 10);
    if (len.empty() || *end != '\0' || v < 0 || v > 32)
      return absl::InvalidArgumentError(
          absl::StrCat("'", s, "': prefix length must be 0..32 (like 10.0.0.0/8)"));
    p.len = static_cast<uint8_t>(v);
    s.resize(slash);
  }
  auto addr = ParseIpv4(s.c_str());
  if (!addr.ok())
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': ", addr.status().message()));
  p.addr = *addr;
  return p;
}

Policy DefaultPolicy() { return Policy{}; }

}  // namespace lqd
