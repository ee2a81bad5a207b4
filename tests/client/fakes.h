// SPDX-License-Identifier: Apache-2.0
// File: tests/client/fakes.h
//
// Test doubles for the requester library: a transport that records what was
// sent, a Random with a fixed answer, and a builder for server answers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "client/clock.h"
#include "client/transport.h"
#include "dhcp/message.h"
#include "dhcp/message_builder.h"
#include "dhcp/wire.h"

namespace lqd::client::testing {

struct Sent {
  uint32_t server;
  std::vector<uint8_t> bytes;
  uint32_t xid() const { return dhcp::LoadBe32(&bytes[dhcp::kOffXid]); }
  uint32_t ciaddr() const { return dhcp::LoadBe32(&bytes[dhcp::kOffCiaddr]); }
  uint32_t giaddr() const { return dhcp::LoadBe32(&bytes[dhcp::kOffGiaddr]); }
  uint16_t secs() const { return dhcp::LoadBe16(&bytes[dhcp::kOffSecs]); }
};

class RecordingTransport final : public Transport {
 public:
  absl::Status Send(uint32_t server, std::span<const uint8_t> m) override {
    sent.push_back({server, {m.begin(), m.end()}});
    return absl::OkStatus();
  }
  size_t CountTo(uint32_t server) const {
    size_t n = 0;
    for (const auto& s : sent) n += s.server == server;
    return n;
  }
  std::vector<Sent> sent;
};

// Uniform() always returns `fraction` of the way from lo to hi (0.5 = the
// middle, so backoff waits are exactly 4, 8, 16 ... s); xids count up.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double fraction = 0.5) : fraction_(fraction) {}
  uint32_t NextU32() override { return next_xid_++; }
  double Uniform(double lo, double hi) override { return lo + (hi - lo) * fraction_; }
  void set_fraction(double f) { fraction_ = f; }

 private:
  double fraction_;
  uint32_t next_xid_ = 0x1000;
};

struct AnswerSpec {
  dhcp::MessageType type = dhcp::MessageType::kLeaseActive;
  uint32_t xid = 0;
  uint32_t ciaddr = 0;
  uint32_t giaddr = 0;
  std::vector<uint8_t> mac;
  std::optional<uint32_t> lease_time;
  std::optional<uint32_t> t1, t2, server_id, cltt;
  std::vector<uint8_t> rai;
  std::vector<uint8_t> client_id;
  std::vector<uint32_t> associated;
};

inline std::vector<uint8_t> BuildAnswer(const AnswerSpec& s) {
  std::vector<uint8_t> buf(1500);
  dhcp::BootpHeader h;
  h.op = dhcp::kOpBootReply;
  h.xid = s.xid;
  h.ciaddr = s.ciaddr;
  h.giaddr = s.giaddr;
  if (!s.mac.empty()) {
    h.htype = 1;
    h.hlen = static_cast<uint8_t>(s.mac.size());
    std::copy(s.mac.begin(), s.mac.end(), h.chaddr);
  }
  dhcp::MessageBuilder b(buf);
  b.SetHeader(h);
  b.AddMessageType(s.type);
  if (s.server_id) b.AddU32(dhcp::opt::kServerId, *s.server_id);
  if (s.lease_time) b.AddU32(dhcp::opt::kLeaseTime, *s.lease_time);
  if (s.t1) b.AddU32(dhcp::opt::kRenewalTime, *s.t1);
  if (s.t2) b.AddU32(dhcp::opt::kRebindingTime, *s.t2);
  if (!s.client_id.empty()) b.AddOption(dhcp::opt::kClientId, s.client_id);
  if (!s.rai.empty()) b.AddOption(dhcp::opt::kRelayAgentInfo, s.rai);
  if (s.cltt) b.AddU32(dhcp::opt::kClientLastTransactionTime, *s.cltt);
  if (!s.associated.empty()) b.AddAddressList(dhcp::opt::kAssociatedIp, s.associated);
  buf.resize(b.Finish());
  return buf;
}

// The answer a server gives to `query` (its xid and ciaddr echoed).
inline std::vector<uint8_t> AnswerTo(const Sent& query, dhcp::MessageType type,
                                     std::optional<uint32_t> lease_time = std::nullopt,
                                     std::optional<uint32_t> cltt = std::nullopt) {
  AnswerSpec s;
  s.type = type;
  s.xid = query.xid();
  s.ciaddr = query.ciaddr();
  s.giaddr = query.giaddr();
  s.lease_time = lease_time;
  s.cltt = cltt;
  if (type == dhcp::MessageType::kLeaseActive) s.mac = {2, 0, 0, 0, 0, 1};
  return BuildAnswer(s);
}

constexpr uint32_t Ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

}  // namespace lqd::client::testing
