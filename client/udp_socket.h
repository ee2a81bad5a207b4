// SPDX-License-Identifier: Apache-2.0
// File: client/udp_socket.h
//
// A kernel UDP socket bound the way a relay agent binds: to its own address
// (giaddr) and the server port, 67, since the server answers a leasequery
// to giaddr:67. Used by lq-query and lq-storm; the rules library never
// sees it except through UdpTransport.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/transport.h"

namespace lqd::client {

struct Datagram {
  uint32_t from = 0;  // host order
  uint16_t from_port = 0;
  size_t len = 0;
};

class UdpSocket {
 public:
  // freebind: allow an address not (yet) configured on this host
  // (IP_FREEBIND), e.g. many 127.x.y.z or emulated concentrators.
  static absl::StatusOr<UdpSocket> Bind(uint32_t addr, uint16_t port, bool freebind = false);
  UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  absl::Status SendTo(uint32_t addr, uint16_t port, std::span<const uint8_t> bytes);
  // Waits up to `timeout` (0: do not wait) for one datagram into `buf`.
  // nullopt when none arrived in time.
  absl::StatusOr<std::optional<Datagram>> Receive(std::span<uint8_t> buf, absl::Duration timeout);

 private:
  explicit UdpSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The address this host would send from to reach `server` (route lookup),
// for a requester that was not told its giaddr.
absl::StatusOr<uint32_t> SourceAddressFor(uint32_t server, uint16_t port);

class UdpTransport final : public Transport {
 public:
  UdpTransport(UdpSocket& socket, uint16_t server_port) : socket_(socket), port_(server_port) {}
  absl::Status Send(uint32_t server, std::span<const uint8_t> message) override {
    return socket_.SendTo(server, port_, message);
  }

 private:
  UdpSocket& socket_;
  uint16_t port_;
};

}  // namespace lqd::client
