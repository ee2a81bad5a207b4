// SPDX-License-Identifier: Apache-2.0
// File: control/lease_codec.cc
#include "control/lease_codec.h"

#include <cstring>

namespace lqd::control {
namespace {

template <typename T>
void Put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

void PutBytes8(std::string& out, const std::string& s) {
  Put<uint8_t>(out, static_cast<uint8_t>(s.size()));
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  template <typename T>
  bool Get(T* v) {
    if (b_.size() < sizeof(T)) return false;
    std::memcpy(v, b_.data(), sizeof(T));
    b_.remove_prefix(sizeof(T));
    return true;
  }
  bool GetBytes(size_t n, std::string* s) {
    if (b_.size() < n) return false;
    s->assign(b_.data(), n);
    b_.remove_prefix(n);
    return true;
  }
  bool GetBytes8(std::string* s) {
    uint8_t n;
    return Get(&n) && GetBytes(n, s);
  }
  bool done() const { return b_.empty(); }

 private:
  std::string_view b_;
};

}  // namespace

void EncodeLeaseUpdate(const LeaseUpdate& u, std::string& out) {
  const Lease& l = u.lease;
  Put<uint8_t>(out, static_cast<uint8_t>(u.kind));
  Put<uint8_t>(out, static_cast<uint8_t>(u.source));
  Put(out, l.ip);
  Put(out, l.vpn);
  Put(out, l.hw.htype);
  Put(out, l.hw.hlen);
  out.append(reinterpret_cast<const char*>(l.hw.bytes), l.hw.hlen > 16 ? 16 : l.hw.hlen);
  Put<uint8_t>(out, static_cast<uint8_t>(l.state));
  for (uint32_t v : {l.cltt, l.expire, l.t1, l.t2, l.server_id, l.subnet_id}) Put(out, v);
  PutBytes8(out, l.client_id);
  PutBytes8(out, l.relay_agent_info);
  PutBytes8(out, l.vendor_class);
  Put<uint16_t>(out, static_cast<uint16_t>(l.extra_options.size()));
  out.append(l.extra_options);
}

std::optional<LeaseUpdate> DecodeLeaseUpdate(std::string_view bytes) {
  Reader r(bytes);
  LeaseUpdate u;
  Lease& l = u.lease;
  uint8_t kind, source, state;
  std::string hw;
  if (!r.Get(&kind) || kind > 1 || !r.Get(&source) || source >= static_cast<uint8_t>(FeedSource::kCount))
    return std::nullopt;
  u.kind = static_cast<LeaseUpdate::Kind>(kind);
  u.source = static_cast<FeedSource>(source);
  if (!r.Get(&l.ip) || !r.Get(&l.vpn) || !r.Get(&l.hw.htype) || !r.Get(&l.hw.hlen) || l.hw.hlen > 16 ||
      !r.GetBytes(l.hw.hlen, &hw) || !r.Get(&state) || state > 4)
    return std::nullopt;
  std::memcpy(l.hw.bytes, hw.data(), hw.size());
  l.state = static_cast<LeaseState>(state);
  for (uint32_t* v : {&l.cltt, &l.expire, &l.t1, &l.t2, &l.server_id, &l.subnet_id})
    if (!r.Get(v)) return std::nullopt;
  uint16_t extra = 0;
  if (!r.GetBytes8(&l.client_id) || !r.GetBytes8(&l.relay_agent_info) || !r.GetBytes8(&l.vendor_class) ||
      !r.Get(&extra) || !r.GetBytes(extra, &l.extra_options) || !r.done())
    return std::nullopt;
  return u;
}

LeaseUpdate UpdateFromRecord(const LeaseRecord& rec) {
  LeaseUpdate u;
  Lease& l = u.lease;
  l.ip = rec.ip;
  l.vpn = rec.vpn;
  l.hw.htype = rec.htype;
  l.hw.hlen = rec.hlen;
  std::memcpy(l.hw.bytes, rec.chaddr, 16);
  l.state = rec.state;
  l.cltt = rec.cltt;
  l.expire = rec.expire;
  l.t1 = rec.t1;
  l.t2 = rec.t2;
  l.server_id = rec.server_id;
  l.subnet_id = rec.subnet_id;
  auto s = [](std::span<const uint8_t> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); };
  l.client_id = s(rec.client_id());
  l.relay_agent_info = s(rec.relay_agent_info());
  l.vendor_class = s(rec.vendor_class());
  l.extra_options = s(rec.extra_options());
  return u;
}

}  // namespace lqd::control
