// SPDX-License-Identifier: Apache-2.0
// File: lease-store/lease.cc
#include "lease-store/lease.h"

#include <cstring>

namespace lqd {

const char* LeaseStateName(LeaseState s) {
  switch (s) {
    case LeaseState::kActive: return "active";
    case LeaseState::kFree: return "free";
    case LeaseState::kExpired: return "expired";
    case LeaseState::kReleased: return "released";
    case LeaseState::kDeclined: return "declined";
  }
  return "invalid";
}

LeaseRef LeaseRef::Of(const Lease& l) {
  LeaseRef r;
  r.ip = l.ip;
  r.vpn = l.vpn;
  r.hw = l.hw;
  r.state = l.state;
  r.cltt = l.cltt;
  r.expire = l.expire;
  r.t1 = l.t1;
  r.t2 = l.t2;
  r.server_id = l.server_id;
  r.subnet_id = l.subnet_id;
  r.client_id = l.client_id;
  r.relay_agent_info = l.relay_agent_info;
  r.vendor_class = l.vendor_class;
  r.extra_options = l.extra_options;
  return r;
}

Lease LeaseRef::ToLease() const {
  Lease l;
  l.ip = ip;
  l.vpn = vpn;
  l.hw = hw;
  l.state = state;
  l.cltt = cltt;
  l.expire = expire;
  l.t1 = t1;
  l.t2 = t2;
  l.server_id = server_id;
  l.subnet_id = subnet_id;
  l.client_id = std::string(client_id);
  l.relay_agent_info = std::string(relay_agent_info);
  l.vendor_class = std::string(vendor_class);
  l.extra_options = std::string(extra_options);
  return l;
}

bool operator==(const HwAddr& a, const HwAddr& b) {
  if (a.htype != b.htype || a.hlen != b.hlen) return false;
  const size_t n = a.hlen <= sizeof(a.bytes) ? a.hlen : sizeof(a.bytes);
  return std::memcmp(a.bytes, b.bytes, n) == 0;
}

}  // namespace lqd
