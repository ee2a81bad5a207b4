// SPDX-License-Identifier: Apache-2.0
// File: client/storm_kernel.h
//
// lq-storm's default path: one kernel UDP socket per emulated concentrator,
// bound to its giaddr and the server port as a relay agent binds, polled
// with epoll. Works against any server on any network.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "client/storm.h"
#include "client/udp_socket.h"

namespace lqd::client {

class KernelStormIo final : public StormIo {
 public:
  // One socket per concentrator of `conc` (a worker's share), in order.
  // freebind: the giaddrs need not be configured on this host.
  static absl::StatusOr<std::unique_ptr<KernelStormIo>> Create(
      const std::vector<StormConcentrator*>& conc, uint32_t server, uint16_t port, bool freebind);
  ~KernelStormIo() override;

  void Send(size_t ci, std::span<const uint8_t> dhcp) override;
  size_t Receive(absl::Duration wait,
                 absl::FunctionRef<void(size_t, std::span<const uint8_t>)> on_answer) override;
  uint64_t stray() const override { return stray_; }

 private:
  KernelStormIo(uint32_t server, uint16_t port) : server_(server), port_(port) {}
  uint32_t server_;
  uint16_t port_;
  int epfd_ = -1;
  std::vector<UdpSocket> sockets_;
  uint64_t stray_ = 0;
  std::array<uint8_t, 2048> buf_;
};

}  // namespace lqd::client
