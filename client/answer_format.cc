// SPDX-License-Identifier: Apache-2.0
// File: client/answer_format.cc
#include "client/answer_format.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/text.h"
#include "dhcp/relay_agent_info.h"

namespace lqd::client {
namespace {

std::string Seconds(uint32_t s) {
  if (s == 0xffffffffu) return "infinite";
  return absl::StrCat(s, " s (", absl::FormatDuration(absl::Seconds(s)), ")");
}

std::string HexAndText(std::span<const uint8_t> v) {
  return absl::StrCat(HexColon(v), "  \"", Printable(v), "\"");
}

std::string SubOptionLabel(uint8_t code) {
  const char* n = dhcp::SubOptionName(code);
  return n ? std::string(n) : absl::StrCat("sub-option-", code);
}

std::string JsonBytes(std::span<const uint8_t> v) {
  return absl::StrCat("{\"hex\":", JsonString(HexColon(v)), ",\"text\":", JsonString(Printable(v)),
                      "}");
}

}  // namespace

std::string OptionName(uint8_t code) {
  switch (code) {
    case 51: return "lease-time";
    case 53: return "message-type";
    case 54: return "server-id";
    case 55: return "parameter-request-list";
    case 58: return "renewal-time";
    case 59: return "rebinding-time";
    case 60: return "vendor-class-id";
    case 61: return "client-id";
    case 82: return "relay-agent-info";
    case 90: return "authentication";
    case 91: return "client-last-transaction-time";
    case 92: return "associated-ip";
    case 151: return "status-code";
    case 152: return "base-time";
    case 153: return "start-time-of-state";
    case 156: return "dhcp-state";
    case 157: return "data-source";
    case 221: return "vss";
    default: return absl::StrCat("option-", code);
  }
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

std::string FormatAnswerTable(const Answer& a) {
  std::string s;
  auto row = [&s](const std::string& k, const std::string& v) {
    absl::StrAppendFormat(&s, "%-34s %s\n", k, v);
  };
  row("state", LeaseStateName(a.state));
  row("message type", absl::StrCat(dhcp::MessageTypeName(a.type), " (", static_cast<int>(a.type), ")"));
  row("xid", absl::StrFormat("0x%08x", a.xid));
  row("ciaddr", FormatIpv4(a.ciaddr));
  row("giaddr", FormatIpv4(a.giaddr));
  row("chaddr", a.HasHardwareAddress()
                    ? absl::StrCat(HexColon(a.chaddr), " (htype ", a.htype, ", hlen ", a.hlen, ")")
                    : std::string("(none)"));
  for (const RawOption& o : a.options) {
    const std::string key = absl::StrCat("option ", o.code, " ", OptionName(o.code));
    switch (o.code) {
      case 53: break;  // shown as message type
      case 51: row(key, Seconds(*a.lease_time)); break;
      case 58: row(key + " (T1)", Seconds(*a.renewal_time)); break;
      case 59: row(key + " (T2)", Seconds(*a.rebinding_time)); break;
      case 54: row(key, FormatIpv4(*a.server_id)); break;
      case 91:
        row(key, absl::StrCat(*a.client_last_transaction_time, " s ago (CLTT ",
                              absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                                               absl::Now() - absl::Seconds(
                                                   *a.client_last_transaction_time),
                                               absl::UTCTimeZone()),
                              ")"));
        break;
      case 92: {
        std::vector<std::string> ips;
        for (uint32_t ip : a.associated_ips) ips.push_back(FormatIpv4(ip));
        row(key, absl::StrJoin(ips, ", "));
        break;
      }
      case 82:
        row(key, absl::StrCat(o.value.size(), " bytes ", HexColon(o.value)));
        for (const RawOption& sub : a.relay_sub_options) {
          row(absl::StrCat("  ", static_cast<int>(sub.code), " ", SubOptionLabel(sub.code)),
              HexAndText(sub.value));
        }
        break;
      default: row(key, HexAndText(o.value)); break;
    }
  }
  return s;
}

std::string FormatAnswerJson(const Answer& a) {
  std::vector<std::string> f;
  f.push_back(absl::StrCat("\"state\":", JsonString(LeaseStateName(a.state))));
  f.push_back(absl::StrCat("\"message_type\":", JsonString(dhcp::MessageTypeName(a.type))));
  f.push_back(absl::StrCat("\"message_type_code\":", static_cast<int>(a.type)));
  f.push_back(absl::StrCat("\"xid\":", a.xid));
  f.push_back(absl::StrCat("\"ciaddr\":", JsonString(FormatIpv4(a.ciaddr))));
  f.push_back(absl::StrCat("\"giaddr\":", JsonString(FormatIpv4(a.giaddr))));
  f.push_back(absl::StrCat("\"htype\":", a.htype));
  f.push_back(absl::StrCat("\"hlen\":", a.hlen));
  f.push_back(absl::StrCat("\"chaddr\":", JsonString(HexColon(a.chaddr))));
  auto u32 = [&f](const char* k, const std::optional<uint32_t>& v) {
    if (v) f.push_back(absl::StrCat("\"", k, "\":", *v));
  };
  u32("lease_time", a.lease_time);
  u32("renewal_time", a.renewal_time);
  u32("rebinding_time", a.rebinding_time);
  u32("client_last_transaction_time", a.client_last_transaction_time);
  if (a.server_id) f.push_back(absl::StrCat("\"server_id\":", JsonString(FormatIpv4(*a.server_id))));
  if (a.vendor_class) f.push_back(absl::StrCat("\"vendor_class\":", JsonBytes(*a.vendor_class)));
  if (a.client_id) f.push_back(absl::StrCat("\"client_id\":", JsonBytes(*a.client_id)));
  if (a.relay_agent_info) {
    std::vector<std::string> subs;
    for (const RawOption& sub : a.relay_sub_options) {
      subs.push_back(absl::StrCat("{\"code\":", sub.code, ",\"name\":",
                                  JsonString(SubOptionLabel(sub.code)), ",\"hex\":",
                                  JsonString(HexColon(sub.value)), ",\"text\":",
                                  JsonString(Printable(sub.value)), "}"));
    }
    f.push_back(absl::StrCat("\"relay_agent_info\":{\"hex\":",
                             JsonString(HexColon(*a.relay_agent_info)), ",\"sub_options\":[",
                             absl::StrJoin(subs, ","), "]}"));
  }
  std::vector<std::string> ips;
  for (uint32_t ip : a.associated_ips) ips.push_back(JsonString(FormatIpv4(ip)));
  f.push_back(absl::StrCat("\"associated_ips\":[", absl::StrJoin(ips, ","), "]"));
  std::vector<std::string> opts;
  for (const RawOption& o : a.options) {
    opts.push_back(absl::StrCat("{\"code\":", o.code, ",\"name\":", JsonString(OptionName(o.code)),
                                ",\"hex\":", JsonString(HexColon(o.value)), "}"));
  }
  f.push_back(absl::StrCat("\"options\":[", absl::StrJoin(opts, ","), "]"));
  return absl::StrCat("{", absl::StrJoin(f, ","), "}");
}

}  // namespace lqd::client
