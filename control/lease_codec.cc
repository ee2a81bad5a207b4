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

// Straight-line: the record's length is known, so each variable part is
// bounds-checked once against it (a snapshot start-up decodes 10 M records
// twice: once to verify them, once into the store).
bool DecodeLeaseRef(std::string_view bytes, LeaseUpdate::Kind* kind_out, FeedSource* source_out,
                    LeaseRef* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  // kind, source, ip, vpn, htype, hlen
  if (n < 12) return false;
  const uint8_t kind = p[0], source = p[1], hlen = p[11];
  if (kind > 1 || source >= static_cast<uint8_t>(FeedSource::kCount) || hlen > 16) return false;
  LeaseRef& l = *out;
  std::memcpy(&l.ip, p + 2, 4);
  std::memcpy(&l.vpn, p + 6, 4);
  l.hw.htype = p[10];
  l.hw.hlen = hlen;
  size_t pos = 12 + size_t{hlen};
  // state, cltt, expire, t1, t2, server_id, subnet_id, client-id length
  if (n < pos + 26) return false;
  std::memset(l.hw.bytes, 0, sizeof(l.hw.bytes));
  std::memcpy(l.hw.bytes, p + 12, hlen);
  const uint8_t state = p[pos];
  if (state > 4) return false;
  l.state = static_cast<LeaseState>(state);
  uint32_t v[6];
  std::memcpy(v, p + pos + 1, sizeof(v));
  l.cltt = v[0];
  l.expire = v[1];
  l.t1 = v[2];
  l.t2 = v[3];
  l.server_id = v[4];
  l.subnet_id = v[5];
  pos += 25;
  // Three u8-length strings, then the u16-length extra options.
  std::string_view* s8[3] = {&l.client_id, &l.relay_agent_info, &l.vendor_class};
  for (int k = 0; k < 3; ++k) {
    if (n < pos + 1) return false;
    const size_t len = p[pos++];
    if (n < pos + len) return false;
    *s8[k] = bytes.substr(pos, len);
    pos += len;
  }
  if (n < pos + 2) return false;
  uint16_t extra;
  std::memcpy(&extra, p + pos, 2);
  pos += 2;
  if (n != pos + extra) return false;
  l.extra_options = bytes.substr(pos, extra);
  *kind_out = static_cast<LeaseUpdate::Kind>(kind);
  *source_out = static_cast<FeedSource>(source);
  return true;
}

std::optional<LeaseUpdate> DecodeLeaseUpdate(std::string_view bytes) {
  LeaseUpdate u;
  LeaseRef ref;
  if (!DecodeLeaseRef(bytes, &u.kind, &u.source, &ref)) return std::nullopt;
  u.lease = ref.ToLease();
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
