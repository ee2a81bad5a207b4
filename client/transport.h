// SPDX-License-Identifier: Apache-2.0
// File: client/transport.h
//
// How the requester logic hands a datagram to the network. Receiving is the
// owner's job: it reads datagrams however it likes and passes each one to
// Requester::OnDatagram(), so the rules themselves never touch a socket.
#pragma once

#include <cstdint>
#include <span>

#include "absl/status/status.h"

namespace lqd::client {

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one DHCP message to `server` (IPv4, host order) on the server port.
  virtual absl::Status Send(uint32_t server, std::span<const uint8_t> message) = 0;
};

}  // namespace lqd::client
