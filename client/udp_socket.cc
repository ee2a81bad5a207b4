// SPDX-License-Identifier: Apache-2.0
// File: client/udp_socket.cc
#include "client/udp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/text.h"

namespace lqd::client {
namespace {

sockaddr_in Sockaddr(uint32_t addr, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(addr);
  sa.sin_port = htons(port);
  return sa;
}

absl::Status Errno(const std::string& what) {
  return absl::ErrnoToStatus(errno, what);
}

}  // namespace

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<UdpSocket> UdpSocket::Bind(uint32_t addr, uint16_t port, bool freebind) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  UdpSocket s(fd);
  const int one = 1;
  if (freebind && setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one) != 0) {
    return Errno("setsockopt(IP_FREEBIND)");
  }
  // Room for bursts of answers in lq-storm.
  const int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const sockaddr_in sa = Sockaddr(addr, port);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    return Errno(absl::StrCat("bind ", FormatIpv4(addr), ":", port,
                              port < 1024 ? " (port < 1024 needs root)" : ""));
  }
  return s;
}

absl::Status UdpSocket::SendTo(uint32_t addr, uint16_t port, std::span<const uint8_t> bytes) {
  const sockaddr_in sa = Sockaddr(addr, port);
  const ssize_t n = sendto(fd_, bytes.data(), bytes.size(), 0,
                           reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  if (n < 0) return Errno(absl::StrCat("sendto ", FormatIpv4(addr), ":", port));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Datagram>> UdpSocket::Receive(std::span<uint8_t> buf,
                                                           absl::Duration timeout) {
  if (timeout > absl::ZeroDuration()) {
    pollfd p{fd_, POLLIN, 0};
    int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
    if (ms > 60'000) ms = 60'000;
    const int r = poll(&p, 1, static_cast<int>(ms));
    if (r < 0 && errno != EINTR) return Errno("poll");
    if (r <= 0) return std::optional<Datagram>();
  }
  sockaddr_in from{};
  socklen_t flen = sizeof from;
  const ssize_t n = recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                             reinterpret_cast<sockaddr*>(&from), &flen);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::optional<Datagram>();
    return Errno("recvfrom");
  }
  return std::optional<Datagram>(
      Datagram{ntohl(from.sin_addr.s_addr), ntohs(from.sin_port), static_cast<size_t>(n)});
}

absl::StatusOr<uint32_t> SourceAddressFor(uint32_t server, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  const sockaddr_in sa = Sockaddr(server, port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const absl::Status s = Errno(absl::StrCat("no route to ", FormatIpv4(server)));
    close(fd);
    return s;
  }
  sockaddr_in local{};
  socklen_t len = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  close(fd);
  return ntohl(local.sin_addr.s_addr);
}

}  // namespace lqd::client
