// SPDX-License-Identifier: Apache-2.0
// File: dataplane/config.cc
#include "dataplane/config.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"

#include "control/log.h"

#include "engine/auth.h"

namespace lqd::dataplane {

using nlohmann::json;

std::optional<uint32_t> ParseIpv4Strict(std::string_view s) {
  uint32_t ip = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t start = i;
    uint32_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) v = v * 10 + (s[i++] - '0');
    const size_t digits = i - start;
    if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0')) return std::nullopt;
    ip = ip << 8 | v;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return ip;
}

std::string FormatIpv4(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

std::string DeviceWithDefaults(const std::string& device) {
  constexpr std::string_view kAfPacket = "net_af_packet";
  if (device.compare(0, kAfPacket.size(), kAfPacket) != 0) return device;
  // Arguments are the comma-separated key=value parts after the name.
  for (size_t pos = device.find(','); pos != std::string::npos; pos = device.find(',', pos + 1))
    if (device.compare(pos + 1, 9, "framecnt=") == 0) return device;
  return device + ",framecnt=4096";
}

std::vector<uint32_t> Config::AllAddresses() const {
  std::vector<uint32_t> all;
  for (const auto& p : ports) all.insert(all.end(), p.addresses.begin(), p.addresses.end());
  return all;
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Quote(const json& v) {
  if (v.is_string()) return "'" + v.get<std::string>() + "'";
  return v.dump();
}

// Walks the document, collecting every error with its path.
class Loader {
 public:
  explicit Loader(std::vector<std::string>& errors) : errors_(errors) {}

  void Error(const std::string& path, const std::string& msg) { errors_.push_back(path + ": " + msg); }

  // Reports keys not in `known`, suggesting the closest known one.
  bool CheckObject(const json& v, const std::string& path, std::initializer_list<const char*> known) {
    if (!v.is_object()) {
      Error(path.empty() ? "(top level)" : path, "must be an object, got " + std::string(v.type_name()));
      return false;
    }
    for (const auto& item : v.items()) {
      const std::string key = item.key();  // a copy: clang forbids capturing structured bindings
      if (std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) continue;
      std::string best;
      size_t best_d = 3;  // suggest only close matches
      for (const char* k : known) {
        size_t d = EditDistance(key, k);
        if (d < best_d) best_d = d, best = k;
      }
      std::string msg = "unknown key '" + key + "'";
      if (!best.empty()) msg += " (did you mean '" + best + "'?)";
      else {
        msg += " (known keys:";
        for (const char* k : known) msg += std::string(" ") + k;
        msg += ")";
      }
      Error(Join(path, key), msg);
    }
    return true;
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string Index(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  std::optional<uint32_t> Ipv4(const json& v, const std::string& path) {
    if (!v.is_string()) {
      Error(path, "must be an IPv4 address string, got " + Quote(v));
      return std::nullopt;
    }
    auto ip = ParseIpv4Strict(v.get<std::string>());
    if (!ip) Error(path, Quote(v) + " is not an IPv4 address");
    return ip;
  }

  // An address lqd answers on or names itself by (port addresses,
  // server-id): one a relay can send a unicast leasequery to and take as a
  // reply's source. Not 0/8 (this host), 127/8 (loopback), multicast or
  // 240/4 (reserved, with the limited broadcast 255.255.255.255).
  std::optional<uint32_t> UnicastIpv4(const json& v, const std::string& path) {
    auto ip = Ipv4(v, path);
    if (!ip) return ip;
    const uint32_t first = *ip >> 24;
    const char* why = first == 0     ? "is in 0.0.0.0/8 (this host: not an address relays can reach)"
                      : first == 127 ? "is a loopback address"
                      : first >= 224 && first < 240 ? "is a multicast address"
                      : first >= 240 ? "is reserved or the broadcast address"
                                     : nullptr;
    if (why == nullptr) return ip;
    Error(path, Quote(v) + " " + why + "; give a unicast address of this appliance");
    return std::nullopt;
  }

  std::optional<uint64_t> Uint(const json& v, const std::string& path, uint64_t min, uint64_t max) {
    if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0)) {
      Error(path, "must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                      "], got " + Quote(v));
      return std::nullopt;
    }
    uint64_t x = v.get<uint64_t>();
    if (x < min || x > max) {
      Error(path, Quote(v) + " is out of range [" + std::to_string(min) + ", " +
                      std::to_string(max) + "]");
      return std::nullopt;
    }
    return x;
  }

  std::optional<std::string> String(const json& v, const std::string& path) {
    if (!v.is_string() || v.get<std::string>().empty()) {
      Error(path, "must be a non-empty string, got " + Quote(v));
      return std::nullopt;
    }
    return v.get<std::string>();
  }

  const json* Array(const json& v, const std::string& path) {
    if (!v.is_array()) {
      Error(path, "must be a list, got " + std::string(v.type_name()));
      return nullptr;
    }
    return &v;
  }

  // "a.b.c.d/len" or "a.b.c.d" (/32). Host bits must be clear.
  std::optional<Ipv4Prefix> Prefix(const json& v, const std::string& path) {
    if (!v.is_string()) {
      Error(path, "must be a prefix string like \"10.0.0.0/8\", got " + Quote(v));
      return std::nullopt;
    }
    const std::string s = v.get<std::string>();
    const size_t slash = s.find('/');
    auto ip = ParseIpv4Strict(std::string_view(s).substr(0, slash));
    int len = 32;
    if (slash != std::string::npos) {
      const std::string l = s.substr(slash + 1);
      const bool digits = !l.empty() && l.size() <= 2 &&
                          std::all_of(l.begin(), l.end(), [](char c) { return c >= '0' && c <= '9'; });
      len = digits ? std::stoi(l) : -1;
    }
    if (!ip || len < 0 || len > 32) {
      Error(path, Quote(v) + " is not an IPv4 prefix (a.b.c.d/len)");
      return std::nullopt;
    }
    Ipv4Prefix p{*ip, static_cast<uint8_t>(len)};
    const uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    if ((*ip & ~mask) != 0) {
      Error(path, Quote(v) + " has host bits set (did you mean '" + FormatIpv4(*ip & mask) + "/" +
                      std::to_string(len) + "'?)");
      return std::nullopt;
    }
    return p;
  }

  // "first-last" or a CIDR prefix.
  std::optional<AddressRange> Range(const json& v, const std::string& path) {
    if (v.is_string()) {
      const std::string s = v.get<std::string>();
      const size_t dash = s.find('-');
      if (dash != std::string::npos) {
        auto first = ParseIpv4Strict(std::string_view(s).substr(0, dash));
        auto last = ParseIpv4Strict(std::string_view(s).substr(dash + 1));
        if (!first || !last) {
          Error(path, Quote(v) + " is not a range (a.b.c.d-e.f.g.h or a.b.c.d/len)");
          return std::nullopt;
        }
        if (*first > *last) {
          Error(path, Quote(v) + ": first address is above the last");
          return std::nullopt;
        }
        return AddressRange{kGlobalVpn, *first, *last};
      }
    }
    auto p = Prefix(v, path);
    if (!p) return std::nullopt;
    const uint32_t host = p->len == 0 ? ~uint32_t{0} : ~(~uint32_t{0} << (32 - p->len));
    return AddressRange{kGlobalVpn, p->addr, p->addr | host};
  }

  void OptionCodes(const json& v, const std::string& path, const std::function<void(uint8_t)>& add) {
    if (!Array(v, path)) return;
    for (size_t i = 0; i < v.size(); ++i)
      if (auto c = Uint(v[i], Index(path, i), 1, 254)) add(static_cast<uint8_t>(*c));
  }

  void Prefixes(const json& v, const std::string& path, std::vector<Ipv4Prefix>& out) {
    if (!Array(v, path)) return;
    for (size_t i = 0; i < v.size(); ++i)
      if (auto p = Prefix(v[i], Index(path, i))) out.push_back(*p);
  }

  void Ports(const json& v, Config& c) {
    if (!Array(v, "ports")) return;
    if (v.empty()) Error("ports", "needs at least one port");
    if (v.size() > kMaxPorts)
      Error("ports", absl::StrFormat("%u ports listed, at most %u are supported (each lcore polls every port)",
                                     v.size(), kMaxPorts));
    std::set<std::string> devices;
    std::set<uint32_t> addrs;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string path = Index("ports", i);
      const json& p = v[i];
      if (!CheckObject(p, path, {"device", "addresses", "vlan"})) continue;
      PortConfig port;
      if (!p.contains("device")) Error(path, "missing 'device' (PCI address or vdev string)");
      else if (auto d = String(p["device"], Join(path, "device"))) {
        port.device = *d;
        if (!devices.insert(*d).second) Error(Join(path, "device"), "'" + *d + "' is listed twice");
      }
      if (!p.contains("addresses")) {
        Error(path, "missing 'addresses' (the IPv4 addresses lqd answers on)");
      } else if (const json* a = Array(p["addresses"], Join(path, "addresses"))) {
        if (a->empty()) Error(Join(path, "addresses"), "needs at least one address");
        for (size_t j = 0; j < a->size(); ++j) {
          const std::string ap = Index(Join(path, "addresses"), j);
          if (auto ip = UnicastIpv4((*a)[j], ap)) {
            if (!addrs.insert(*ip).second) Error(ap, "'" + FormatIpv4(*ip) + "' is used twice");
            port.addresses.push_back(*ip);
          }
        }
      }
      if (p.contains("vlan"))
        if (auto vid = Uint(p["vlan"], Join(path, "vlan"), 0, 4094)) port.vlan = static_cast<uint16_t>(*vid);
      c.ports.push_back(std::move(port));
    }
  }

  // policy.auth: RFC 3118 delayed authentication (engine/auth.h).
  void AuthSection(const json& v, Config& c) {
    const std::string path = "policy.auth";
    if (!CheckObject(v, path, {"mode", "keys"})) return;
    AuthConfig a;
    if (v.contains("mode")) {
      const json& m = v["mode"];
      const std::string s = m.is_string() ? m.get<std::string>() : "";
      if (s == "off") a.mode = AuthMode::kOff;
      else if (s == "optional") a.mode = AuthMode::kOptional;
      else if (s == "required") a.mode = AuthMode::kRequired;
      else Error(Join(path, "mode"), "must be \"off\", \"optional\" or \"required\", got " + Quote(m));
    }
    const size_t errors_before = errors_.size();
    if (v.contains("keys") && Array(v["keys"], Join(path, "keys"))) {
      for (size_t i = 0; i < v["keys"].size(); ++i) {
        const std::string kp = Index(Join(path, "keys"), i);
        const json& k = v["keys"][i];
        if (!CheckObject(k, kp, {"id", "secret", "secret-hex", "requesters"})) continue;
        AuthKeyConfig key;
        if (!k.contains("id")) Error(kp, "missing 'id' (the RFC 3118 secret ID, 0..4294967295)");
        else if (auto id = Uint(k["id"], Join(kp, "id"), 0, 0xffffffffu)) key.id = static_cast<uint32_t>(*id);
        // Never quote a secret in an error: config errors end up in logs.
        if (k.contains("secret") == k.contains("secret-hex")) {
          Error(kp, "needs exactly one of 'secret' (text) and 'secret-hex' (hex digits)");
        } else if (k.contains("secret")) {
          if (!k["secret"].is_string() || k["secret"].get<std::string>().empty())
            Error(Join(kp, "secret"), "must be a non-empty string");
          else for (char ch : k["secret"].get<std::string>()) key.secret.push_back(static_cast<uint8_t>(ch));
        } else {
          const std::string h = k["secret-hex"].is_string() ? k["secret-hex"].get<std::string>() : "";
          auto nib = [](char ch) -> int {
            if (ch >= '0' && ch <= '9') return ch - '0';
            if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
            if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
            return -1;
          };
          bool ok = !h.empty() && h.size() % 2 == 0;
          for (size_t j = 0; ok && j < h.size(); j += 2) {
            const int hi = nib(h[j]), lo = nib(h[j + 1]);
            ok = hi >= 0 && lo >= 0;
            if (ok) key.secret.push_back(static_cast<uint8_t>(hi << 4 | lo));
          }
          if (!ok) Error(Join(kp, "secret-hex"), "must be an even number of hex digits (value not shown)");
        }
        if (!k.contains("requesters")) Error(kp, "missing 'requesters' (giaddr prefixes that use this key, e.g. [\"10.0.0.0/8\"])");
        else {
          Prefixes(k["requesters"], Join(kp, "requesters"), key.requesters);
          if (k["requesters"].is_array() && k["requesters"].empty())
            Error(Join(kp, "requesters"), "needs at least one prefix");
        }
        for (const auto& other : a.keys)
          for (const auto& p : other.requesters)
            for (const auto& q : key.requesters)
              if (other.id == key.id && p.addr == q.addr && p.len == q.len)
                Error(kp, "key id " + std::to_string(key.id) + " is already defined for " +
                              FormatIpv4(q.addr) + "/" + std::to_string(q.len));
        a.keys.push_back(std::move(key));
      }
    }
    if (a.mode == AuthMode::kRequired && a.keys.empty() && errors_.size() == errors_before)
      Error(Join(path, "keys"), "mode 'required' needs at least one key");
    if (errors_.size() != errors_before || a.mode == AuthMode::kOff) return;
    auto ring = AuthKeyring::Create(a, static_cast<uint64_t>(std::time(nullptr)));
    if (!ring.ok()) Error(path, std::string(ring.status().message()));
    else c.policy.auth = *std::move(ring);
  }

  void PolicySection(const json& v, Config& c) {
    if (!CheckObject(v, "policy",
                     {"non-sensitive-options", "default-options", "lenient-requesters",
                      "max-associated-ips", "auth"}))
      return;
    if (v.contains("auth")) AuthSection(v["auth"], c);
    if (v.contains("non-sensitive-options"))
      OptionCodes(v["non-sensitive-options"], "policy.non-sensitive-options",
                  [&](uint8_t code) { c.policy.non_sensitive.set(code); });
    if (v.contains("default-options")) {
      c.policy.default_options.clear();
      OptionCodes(v["default-options"], "policy.default-options",
                  [&](uint8_t code) { c.policy.default_options.push_back(code); });
    }
    if (v.contains("lenient-requesters"))
      Prefixes(v["lenient-requesters"], "policy.lenient-requesters", c.policy.lenient_requesters);
    if (v.contains("max-associated-ips"))
      if (auto n = Uint(v["max-associated-ips"], "policy.max-associated-ips", 0, 1024))
        c.policy.max_associated_ips = static_cast<uint32_t>(*n);
  }

  void Load(const json& doc, const std::string& base_dir, Config& c) {
    if (!CheckObject(doc, "",
                     {"ports", "lcores", "server-id", "authoritative-ranges", "leases", "policy",
                      "acl", "rate-limit", "exception-port", "control", "log-level"}))
      return;
    if (!doc.contains("ports")) Error("ports", "missing: at least one port is required");
    else Ports(doc["ports"], c);

    if (doc.contains("lcores") && Array(doc["lcores"], "lcores")) {
      std::set<unsigned> seen;
      for (size_t i = 0; i < doc["lcores"].size(); ++i) {
        const std::string path = Index("lcores", i);
        if (auto id = Uint(doc["lcores"][i], path, 0, 1023)) {
          if (!seen.insert(static_cast<unsigned>(*id)).second) Error(path, "lcore " + std::to_string(*id) + " is listed twice");
          c.lcores.push_back(static_cast<unsigned>(*id));
        }
      }
    }
    if (doc.contains("server-id")) {
      if (auto ip = UnicastIpv4(doc["server-id"], "server-id")) c.server_id = *ip;
    } else if (!c.ports.empty() && !c.ports[0].addresses.empty()) {
      c.server_id = c.ports[0].addresses[0];
    }
    if (doc.contains("authoritative-ranges") &&
        Array(doc["authoritative-ranges"], "authoritative-ranges")) {
      for (size_t i = 0; i < doc["authoritative-ranges"].size(); ++i)
        if (auto r = Range(doc["authoritative-ranges"][i], Index("authoritative-ranges", i)))
          c.ranges.push_back(*r);
    }
    if (doc.contains("leases")) {
      if (auto p = String(doc["leases"], "leases")) {
        c.leases_path = (!base_dir.empty() && (*p)[0] != '/') ? base_dir + "/" + *p : *p;
      }
    }
    if (doc.contains("log-level"))
      if (auto p = String(doc["log-level"], "log-level")) {
        if (auto l = log::ParseLevel(*p); l.ok()) c.log_level = *l;
        else Error("log-level", std::string(l.status().message()));
      }
    if (doc.contains("exception-port"))
      if (auto p = String(doc["exception-port"], "exception-port")) c.exception_port = *p;
    if (doc.contains("policy")) PolicySection(doc["policy"], c);
    if (doc.contains("control")) {
      c.control = control::ParseControlConfig(doc["control"], "control", &errors_, base_dir);
      if (!base_dir.empty() && !c.control.state_dir.empty() && c.control.state_dir[0] != '/')
        c.control.state_dir = base_dir + "/" + c.control.state_dir;
      for (auto& f : c.control.followers)  // lease files too, like state-dir
        if (!base_dir.empty() && !f.path.empty() && f.path[0] != '/') f.path = base_dir + "/" + f.path;
    }
    if (doc.contains("acl") && CheckObject(doc["acl"], "acl", {"allow"}) && doc["acl"].contains("allow"))
      Prefixes(doc["acl"]["allow"], "acl.allow", c.acl_allow);
    if (doc.contains("rate-limit") &&
        CheckObject(doc["rate-limit"], "rate-limit", {"per-requester-pps", "burst"})) {
      const json& r = doc["rate-limit"];
      if (r.contains("per-requester-pps"))
        if (auto n = Uint(r["per-requester-pps"], "rate-limit.per-requester-pps", 0, 100'000'000))
          c.rate_limit.per_requester_pps = static_cast<uint32_t>(*n);
      if (r.contains("burst"))
        if (auto n = Uint(r["burst"], "rate-limit.burst", 0, 100'000'000))
          c.rate_limit.burst = static_cast<uint32_t>(*n);
    }
  }

 private:
  std::vector<std::string>& errors_;
};

// Reports a key given twice in one object. JSON leaves that undefined and
// the parser keeps the last silently: {"acl": {...}, "acl": {}} would turn
// a requester ACL into allow-all with no word said.
class DuplicateKeyCheck {
 public:
  explicit DuplicateKeyCheck(std::vector<std::string>& errors) : errors_(errors) {}
  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        NextElement();
        frames_.push_back(Frame{event == json::parse_event_t::object_start, {}, {}, -1});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case json::parse_event_t::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& f = frames_.back();
          f.key = parsed.get<std::string>();
          if (!f.keys.insert(f.key).second)
            errors_.push_back(Path() + ": given twice in the same object (the parser would keep the last one "
                                       "silently); remove one");
        }
        break;
      case json::parse_event_t::value:
        NextElement();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;  // objects: the member being parsed
    long index;       // arrays: the element being parsed
  };
  void NextElement() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  std::string Path() const {
    std::string p;
    for (const Frame& f : frames_) {
      if (f.object) p += (p.empty() ? "" : ".") + f.key;
      else p += "[" + std::to_string(f.index) + "]";
    }
    return p;
  }
  std::vector<std::string>& errors_;
  std::vector<Frame> frames_;
};

}  // namespace

ConfigResult ParseConfig(std::string_view text, const std::string& base_dir) {
  ConfigResult result;
  json doc;
  try {
    doc = json::parse(text, DuplicateKeyCheck(result.errors), /*allow_exceptions=*/true,
                      /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    // parse_error ("[json.exception.parse_error.101] parse error at line 3,
    // column 5: ...") or out_of_range for a number too large for a double
    // ("[json.exception.out_of_range.406] number overflow parsing '20E999'":
    // found by config_fuzz).
    std::string msg = e.what();
    if (auto pos = msg.find("] "); pos != std::string::npos) msg = msg.substr(pos + 2);
    result.errors.push_back("(syntax): " + msg);
    return result;
  }
  if (!result.errors.empty()) return result;  // duplicate keys
  Config c;
  c.policy = DefaultPolicy();
  Loader(result.errors).Load(doc, base_dir, c);
  if (result.errors.empty()) result.config = std::move(c);
  return result;
}

ConfigResult LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigResult r;
    r.errors.push_back(path + ": cannot open for reading");
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const size_t slash = path.rfind('/');
  return ParseConfig(ss.str(), slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace lqd::dataplane
