// SPDX-License-Identifier: Apache-2.0
// File: client/storm_kernel.cc
#include "client/storm_kernel.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/text.h"

namespace lqd::client {

absl::StatusOr<std::unique_ptr<KernelStormIo>> KernelStormIo::Create(
    const std::vector<StormConcentrator*>& conc, uint32_t server, uint16_t port, bool freebind) {
  std::unique_ptr<KernelStormIo> io(new KernelStormIo(server, port));
  io->epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (io->epfd_ < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", std::strerror(errno)));
  for (size_t i = 0; i < conc.size(); ++i) {
    auto s = UdpSocket::Bind(conc[i]->giaddr, port, freebind);
    if (!s.ok()) {
      return absl::Status(s.status().code(), absl::StrCat("concentrator ", FormatIpv4(conc[i]->giaddr),
                                                          ": ", s.status().message()));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(io->epfd_, EPOLL_CTL_ADD, s->fd(), &ev) != 0) {
      return absl::InternalError(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
    }
    io->sockets_.push_back(*std::move(s));
  }
  return io;
}

KernelStormIo::~KernelStormIo() {
  if (epfd_ >= 0) close(epfd_);
}

void KernelStormIo::Send(size_t ci, std::span<const uint8_t> dhcp) {
  (void)sockets_[ci].SendTo(server_, port_, dhcp);
}

size_t KernelStormIo::Receive(absl::Duration wait,
                              absl::FunctionRef<void(size_t, std::span<const uint8_t>)> on_answer) {
  epoll_event evs[64];
  const int ms = static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(wait), 0, 100));
  const int n = epoll_wait(epfd_, evs, 64, ms);
  size_t got = 0;
  for (int i = 0; i < n; ++i) {
    const size_t ci = evs[i].data.u64;
    for (int k = 0; k < 256; ++k) {
      auto d = sockets_[ci].Receive(buf_, absl::ZeroDuration());
      if (!d.ok() || !d->has_value()) break;
      if ((*d)->from != server_) {
        ++stray_;
        continue;
      }
      ++got;
      on_answer(ci, std::span<const uint8_t>(buf_.data(), (*d)->len));
    }
  }
  return got;
}

}  // namespace lqd::client
