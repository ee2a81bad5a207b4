// SPDX-License-Identifier: Apache-2.0
// File: dhcp/wire.cc
#include "dhcp/wire.h"

namespace lqd::dhcp {

const char* MessageTypeName(MessageType t) {
  // Names as the RFCs spell them, so logs grep the same as packet captures.
  switch (t) {
    case MessageType::kNone: return "none";
    case MessageType::kDiscover: return "DHCPDISCOVER";
    case MessageType::kOffer: return "DHCPOFFER";
    case MessageType::kRequest: return "DHCPREQUEST";
    case MessageType::kDecline: return "DHCPDECLINE";
    case MessageType::kAck: return "DHCPACK";
    case MessageType::kNak: return "DHCPNAK";
    case MessageType::kRelease: return "DHCPRELEASE";
    case MessageType::kInform: return "DHCPINFORM";
    case MessageType::kForceRenew: return "DHCPFORCERENEW";
    case MessageType::kLeaseQuery: return "DHCPLEASEQUERY";
    case MessageType::kLeaseUnassigned: return "DHCPLEASEUNASSIGNED";
    case MessageType::kLeaseUnknown: return "DHCPLEASEUNKNOWN";
    case MessageType::kLeaseActive: return "DHCPLEASEACTIVE";
    case MessageType::kBulkLeaseQuery: return "DHCPBULKLEASEQUERY";
    case MessageType::kLeaseQueryDone: return "DHCPLEASEQUERYDONE";
    case MessageType::kActiveLeaseQuery: return "DHCPACTIVELEASEQUERY";
    case MessageType::kLeaseQueryStatus: return "DHCPLEASEQUERYSTATUS";
    case MessageType::kTls: return "DHCPTLS";
  }
  // The parser accepts any option 53 value, so callers may log one we do
  // not name; never hand them a nullptr to print.
  return "unknown";
}

}  // namespace lqd::dhcp
