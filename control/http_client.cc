// SPDX-License-Identifier: Apache-2.0
// File: control/http_client.cc
#include "control/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lqd::control {
namespace {

// Waits until fd is ready for `events` or the deadline passes.
bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

absl::StatusOr<HttpEndpoint> ParseHttpUrl(const std::string& url) {
  HttpEndpoint ep;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    return absl::UnimplementedError(absl::StrCat("'", url, "': https is not supported for pulls yet; use http on a trusted network"));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "' is not an http:// URL"));
  }
  if (size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 || port > 65535)
      return absl::InvalidArgumentError(absl::StrCat("'", url, "': bad port"));
    ep.port = static_cast<uint16_t>(port);
    rest.resize(colon);
  } else {
    ep.port = 80;
  }
  in_addr a{};
  if (inet_pton(AF_INET, rest.c_str(), &a) != 1)
    return absl::InvalidArgumentError(absl::StrCat("'", url, "': host must be an IPv4 literal"));
  ep.host = rest;
  return ep;
}

absl::StatusOr<HttpReply> HttpPost(const HttpEndpoint& ep, const std::string& path,
                                   const std::string& content_type, const std::string& body) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ep.timeout_ms);
  const std::string where = absl::StrCat("http://", ep.host, ":", ep.port, path);
  Fd s;
  s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(ep.port);
  inet_pton(AF_INET, ep.host.c_str(), &sa.sin_addr);
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS)
    return absl::UnavailableError(absl::StrCat(where, ": connect: ", strerror(errno)));
  if (!WaitFor(s.fd, POLLOUT, deadline)) return absl::DeadlineExceededError(absl::StrCat(where, ": connect timed out"));
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return absl::UnavailableError(absl::StrCat(where, ": connect: ", strerror(err)));

  std::string req = absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", ep.host, "\r\nContent-Type: ", content_type,
                                 "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n");
  if (!ep.user.empty())
    absl::StrAppend(&req, "Authorization: Basic ", absl::Base64Escape(absl::StrCat(ep.user, ":", ep.password)), "\r\n");
  absl::StrAppend(&req, "\r\n", body);
  size_t off = 0;
  while (off < req.size()) {
    if (!WaitFor(s.fd, POLLOUT, deadline)) return absl::DeadlineExceededError(absl::StrCat(where, ": send timed out"));
    ssize_t n = send(s.fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return absl::UnavailableError(absl::StrCat(where, ": send: ", strerror(errno)));
    if (n > 0) off += static_cast<size_t>(n);
  }
  std::string in;
  for (;;) {
    if (!WaitFor(s.fd, POLLIN, deadline)) return absl::DeadlineExceededError(absl::StrCat(where, ": no complete answer in time"));
    char buf[65536];
    ssize_t n = recv(s.fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat(where, ": recv: ", strerror(errno)));
    }
    in.append(buf, static_cast<size_t>(n));
    // Stop early once Content-Length bytes arrived.
    size_t hend = in.find("\r\n\r\n");
    if (hend != std::string::npos) {
      std::string head = absl::AsciiStrToLower(in.substr(0, hend));
      size_t p = head.find("content-length:");
      size_t cl = 0;
      if (p != std::string::npos && absl::SimpleAtoi(absl::StripAsciiWhitespace(head.substr(p + 15, head.find("\r\n", p) - p - 15)), &cl) &&
          in.size() >= hend + 4 + cl)
        break;
    }
  }
  size_t hend = in.find("\r\n\r\n");
  if (in.rfind("HTTP/1.", 0) != 0 || hend == std::string::npos || in.size() < 12)
    return absl::DataLossError(absl::StrCat(where, ": answer is not HTTP"));
  HttpReply r;
  if (!absl::SimpleAtoi(in.substr(9, 3), &r.status)) return absl::DataLossError(absl::StrCat(where, ": bad status line"));
  r.body = in.substr(hend + 4);
  return r;
}

}  // namespace lqd::control
