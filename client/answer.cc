// SPDX-License-Identifier: Apache-2.0
// File: client/answer.cc
#include "client/answer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dhcp/message.h"
#include "dhcp/relay_agent_info.h"

namespace lqd::client {
namespace {

absl::Status BadLength(uint8_t code, size_t len, const char* want) {
  return absl::InvalidArgumentError(
      absl::StrCat("option ", code, " has length ", len, ", expected ", want));
}

}  // namespace

const char* LeaseStateName(LeaseState s) {
  switch (s) {
    case LeaseState::kActive: return "ACTIVE";
    case LeaseState::kUnassigned: return "UNASSIGNED";
    case LeaseState::kUnknown: return "UNKNOWN";
  }
  return "?";
}

std::optional<LeaseState> StateOf(dhcp::MessageType t) {
  switch (t) {
    case dhcp::MessageType::kLeaseActive: return LeaseState::kActive;
    case dhcp::MessageType::kLeaseUnassigned: return LeaseState::kUnassigned;
    case dhcp::MessageType::kLeaseUnknown: return LeaseState::kUnknown;
    default: return std::nullopt;
  }
}

bool Answer::HasHardwareAddress() const {
  return htype != 0 && std::any_of(chaddr.begin(), chaddr.end(), [](uint8_t b) { return b; });
}

absl::StatusOr<Answer> DecodeAnswer(std::span<const uint8_t> bytes) {
  dhcp::ParsedMessage m;
  if (auto err = dhcp::ParseMessage(bytes, m)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed DHCP message: ",
                                                   dhcp::ParseErrorName(*err), " (",
                                                   dhcp::ParseErrorDescription(*err), ")"));
  }
  if (m.op != dhcp::kOpBootReply) return absl::InvalidArgumentError("not a BOOTREPLY");
  const auto state = StateOf(m.message_type);
  if (!state) {
    const char* name = dhcp::MessageTypeName(m.message_type);
    return absl::InvalidArgumentError(
        absl::StrCat("not a leasequery answer: message type ", static_cast<int>(m.message_type),
                     " (", name ? name : "?", ")"));
  }
  Answer a;
  a.type = m.message_type;
  a.state = *state;
  a.xid = m.xid;
  a.secs = m.secs;
  a.flags = m.flags;
  a.ciaddr = m.ciaddr;
  a.yiaddr = m.yiaddr;
  a.siaddr = m.siaddr;
  a.giaddr = m.giaddr;
  a.htype = m.htype;
  a.hlen = m.hlen;
  a.chaddr.assign(m.chaddr, m.chaddr + m.hlen);  // the parser guarantees hlen <= 16

  for (const dhcp::OptionView& o : m.options()) {
    const auto v = o.bytes();
    a.options.push_back({o.code, {v.begin(), v.end()}});
    auto u32 = [&](std::optional<uint32_t>& field) -> absl::Status {
      if (v.size() != 4) return BadLength(o.code, v.size(), "4");
      field = dhcp::LoadBe32(v.data());
      return absl::OkStatus();
    };
    absl::Status s;
    switch (o.code) {
      case dhcp::opt::kLeaseTime: s = u32(a.lease_time); break;
      case dhcp::opt::kServerId: s = u32(a.server_id); break;
      case dhcp::opt::kRenewalTime: s = u32(a.renewal_time); break;
      case dhcp::opt::kRebindingTime: s = u32(a.rebinding_time); break;
      case dhcp::opt::kClientLastTransactionTime: s = u32(a.client_last_transaction_time); break;
      case dhcp::opt::kVendorClass: a.vendor_class.emplace(v.begin(), v.end()); break;
      case dhcp::opt::kClientId: a.client_id.emplace(v.begin(), v.end()); break;
      case dhcp::opt::kAssociatedIp:
        if (v.empty() || v.size() % 4 != 0) {
          s = BadLength(o.code, v.size(), "a non-zero multiple of 4");
          break;
        }
        for (size_t i = 0; i < v.size(); i += 4) a.associated_ips.push_back(dhcp::LoadBe32(&v[i]));
        break;
      case dhcp::opt::kRelayAgentInfo: {
        const auto rai = dhcp::RelayAgentInfo::Parse(v);
        if (!rai) {
          s = absl::InvalidArgumentError("option 82 sub-options are malformed");
          break;
        }
        a.relay_agent_info.emplace(v.begin(), v.end());
        for (const dhcp::SubOptionView sub : *rai) {
          a.relay_sub_options.push_back({sub.code, {sub.value.begin(), sub.value.end()}});
        }
        break;
      }
      default: break;
    }
    if (!s.ok()) return s;
  }
  return a;
}

}  // namespace lqd::client
