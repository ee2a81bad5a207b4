// SPDX-License-Identifier: Apache-2.0
// File: control/http_client.cc
#include "control/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
  SSL* ssl = nullptr;
  ~Fd() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) close(fd);
    ERR_clear_error();
  }
};

// One step of a non-blocking OpenSSL call: waits for what it needs.
// Returns 1 to retry, 0 on EOF (ZERO_RETURN), -1 on error/timeout.
int TlsWait(SSL* ssl, int r, int fd, std::chrono::steady_clock::time_point deadline) {
  switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ: return WaitFor(fd, POLLIN, deadline) ? 1 : -1;
    case SSL_ERROR_WANT_WRITE: return WaitFor(fd, POLLOUT, deadline) ? 1 : -1;
    case SSL_ERROR_ZERO_RETURN: return 0;
    default: return -1;
  }
}

}  // namespace

absl::StatusOr<HttpEndpoint> ParseHttpUrl(const std::string& url) {
  HttpEndpoint ep;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    ep.https = true;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "' is not an http:// or https:// URL"));
  }
  if (size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 || port > 65535)
      return absl::InvalidArgumentError(absl::StrCat("'", url, "': bad port"));
    ep.port = static_cast<uint16_t>(port);
    rest.resize(colon);
  } else {
    ep.port = ep.https ? 443 : 80;
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
  const std::string where = absl::StrCat(ep.https ? "https://" : "http://", ep.host, ":", ep.port, path);
  if (ep.https && !ep.tls) return absl::FailedPreconditionError(absl::StrCat(where, ": https without a TLS context"));
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
  if (ep.https) {
    s.ssl = SSL_new(ep.tls->get());
    if (s.ssl == nullptr || SSL_set_fd(s.ssl, s.fd) != 1)
      return absl::InternalError(absl::StrCat(where, ": SSL_new: ", TlsErrors()));
    // The URL holds an IPv4 literal: the certificate must name that address.
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.ssl), ep.host.c_str());
    for (;;) {
      const int r = SSL_connect(s.ssl);
      if (r == 1) break;
      const int w = TlsWait(s.ssl, r, s.fd, deadline);
      if (w == 1) continue;
      const long v = SSL_get_verify_result(s.ssl);
      return absl::UnavailableError(absl::StrCat(
          where, ": TLS handshake failed: ",
          v != X509_V_OK ? absl::StrCat("server certificate: ", X509_verify_cert_error_string(v))
                         : (std::chrono::steady_clock::now() >= deadline ? std::string("timed out") : TlsErrors())));
    }
  }
  // Plain or TLS, one call each way; -1 would block, -2 error, 0 EOF.
  auto send_some = [&](const char* p, size_t n) -> ssize_t {
    if (s.ssl == nullptr) {
      ssize_t r = send(s.fd, p, n, MSG_NOSIGNAL);
      return r >= 0 ? r : (errno == EAGAIN || errno == EINTR) ? -1 : -2;
    }
    const int r = SSL_write(s.ssl, p, static_cast<int>(std::min<size_t>(n, 1 << 20)));
    if (r > 0) return r;
    return TlsWait(s.ssl, r, s.fd, deadline) == 1 ? -3 : -2;  // -3: already waited
  };
  auto recv_some = [&](char* p, size_t n) -> ssize_t {
    if (s.ssl == nullptr) {
      ssize_t r = recv(s.fd, p, n, 0);
      return r >= 0 ? r : (errno == EAGAIN || errno == EINTR) ? -1 : -2;
    }
    const int r = SSL_read(s.ssl, p, static_cast<int>(n));
    if (r > 0) return r;
    const int w = TlsWait(s.ssl, r, s.fd, deadline);
    return w == 1 ? -3 : w == 0 ? 0 : -2;
  };

  std::string req = absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", ep.host, "\r\nContent-Type: ", content_type,
                                 "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n");
  if (!ep.user.empty())
    absl::StrAppend(&req, "Authorization: Basic ", absl::Base64Escape(absl::StrCat(ep.user, ":", ep.password)), "\r\n");
  absl::StrAppend(&req, "\r\n", body);
  size_t off = 0;
  while (off < req.size()) {
    if (!WaitFor(s.fd, POLLOUT, deadline)) return absl::DeadlineExceededError(absl::StrCat(where, ": send timed out"));
    ssize_t n = send_some(req.data() + off, req.size() - off);
    if (n == -2)
      return absl::UnavailableError(absl::StrCat(where, ": send: ", s.ssl ? TlsErrors() : strerror(errno)));
    if (n > 0) off += static_cast<size_t>(n);
  }
  std::string in;
  for (;;) {
    // TLS may hold decrypted bytes the socket no longer shows as readable.
    if ((s.ssl == nullptr || SSL_pending(s.ssl) == 0) && !WaitFor(s.fd, POLLIN, deadline))
      return absl::DeadlineExceededError(absl::StrCat(where, ": no complete answer in time"));
    char buf[65536];
    ssize_t n = recv_some(buf, sizeof buf);
    if (n == 0) break;
    if (n == -1 || n == -3) continue;
    if (n < 0) {
      if (std::chrono::steady_clock::now() >= deadline)
        return absl::DeadlineExceededError(absl::StrCat(where, ": no complete answer in time"));
      return absl::UnavailableError(absl::StrCat(where, ": recv: ", s.ssl ? TlsErrors() : strerror(errno)));
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
