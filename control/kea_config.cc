// SPDX-License-Identifier: Apache-2.0
// File: control/kea_config.cc
#include "control/kea_config.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lqd::control {
namespace {

using nlohmann::json;

bool Ip(absl::string_view s, uint32_t* out) {
  const std::string t(absl::StripAsciiWhitespace(s));
  in_addr a{};
  if (inet_pton(AF_INET, t.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

// "a-b", "a - b" or "a/len".
bool Pool(absl::string_view s, AddressRange* r) {
  if (size_t dash = s.find('-'); dash != absl::string_view::npos)
    return Ip(s.substr(0, dash), &r->first) && Ip(s.substr(dash + 1), &r->last) && r->first <= r->last;
  if (size_t slash = s.find('/'); slash != absl::string_view::npos) {
    uint32_t len = 0;
    if (!Ip(s.substr(0, slash), &r->first) ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(s.substr(slash + 1)), &len) || len > 32)
      return false;
    const uint32_t host = len == 0 ? 0xffffffffu : (len == 32 ? 0u : (1u << (32 - len)) - 1);
    r->first &= ~host;
    r->last = r->first | host;
    return true;
  }
  return false;
}

absl::Status Subnets(const json& list, const std::string& path, std::vector<AddressRange>* out) {
  if (!list.is_array()) return absl::DataLossError(path + ": not a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const json& sn = list[i];
    const std::string sp = absl::StrCat(path, "[", i, "]");
    if (!sn.is_object()) return absl::DataLossError(sp + ": not a map");
    if (sn.contains("pools")) {
      const json& pools = sn["pools"];
      if (!pools.is_array()) return absl::DataLossError(sp + ".pools: not a list");
      for (size_t k = 0; k < pools.size(); ++k) {
        const std::string pp = absl::StrCat(sp, ".pools[", k, "].pool");
        if (!pools[k].is_object() || !pools[k].contains("pool") || !pools[k]["pool"].is_string())
          return absl::DataLossError(pp + ": missing");
        AddressRange r;
        const std::string text = pools[k]["pool"].get<std::string>();
        if (!Pool(text, &r)) return absl::DataLossError(absl::StrCat(pp, ": '", text, "' is not a pool"));
        out->push_back(r);
      }
    }
    if (sn.contains("reservations") && sn["reservations"].is_array()) {
      for (const json& h : sn["reservations"]) {
        AddressRange r;
        if (h.is_object() && h.contains("ip-address") && h["ip-address"].is_string() &&
            Ip(h["ip-address"].get<std::string>(), &r.first) && r.first != 0) {
          r.last = r.first;
          out->push_back(r);
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<AddressRange>> KeaRangesFromConfigGet(const json& answer) {
  if (!answer.is_array() || answer.empty() || !answer[0].is_object() || !answer[0].contains("result"))
    return absl::DataLossError("config-get answer is not a list holding a result map");
  const json& r = answer[0];
  if (!r["result"].is_number_integer() || r["result"].get<int>() != 0)
    return absl::UnavailableError(absl::StrCat("config-get failed: ", r.value("text", std::string("no text"))));
  if (!r.contains("arguments") || !r["arguments"].is_object() || !r["arguments"].contains("Dhcp4") ||
      !r["arguments"]["Dhcp4"].is_object())
    return absl::DataLossError("config-get: arguments.Dhcp4 missing");
  const json& d = r["arguments"]["Dhcp4"];
  std::vector<AddressRange> out;
  if (d.contains("subnet4"))
    if (absl::Status st = Subnets(d["subnet4"], "Dhcp4.subnet4", &out); !st.ok()) return st;
  if (d.contains("shared-networks")) {
    const json& nets = d["shared-networks"];
    if (!nets.is_array()) return absl::DataLossError("Dhcp4.shared-networks: not a list");
    for (size_t i = 0; i < nets.size(); ++i)
      if (nets[i].is_object() && nets[i].contains("subnet4"))
        if (absl::Status st = Subnets(nets[i]["subnet4"], absl::StrCat("Dhcp4.shared-networks[", i, "].subnet4"), &out);
            !st.ok())
          return st;
  }
  return out;
}

absl::StatusOr<std::vector<AddressRange>> FetchKeaRanges(const HttpEndpoint& agent) {
  const json cmd = {{"command", "config-get"}, {"service", {"dhcp4"}}};
  auto reply = HttpPost(agent, "/", "application/json", cmd.dump());
  if (!reply.ok()) return reply.status();
  if (reply->status == 401)
    return absl::PermissionDeniedError("kea-ctrl-agent refused the credentials for config-get (HTTP 401)");
  if (reply->status != 200) return absl::UnavailableError(absl::StrCat("kea-ctrl-agent answered HTTP ", reply->status));
  json j = json::parse(reply->body, nullptr, false);
  if (j.is_discarded()) return absl::DataLossError("config-get answer is not JSON");
  return KeaRangesFromConfigGet(j);
}

}  // namespace lqd::control
