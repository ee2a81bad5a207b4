// SPDX-License-Identifier: Apache-2.0
// File: control/http_server.cc
#include "control/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <ctime>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lqd::control {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Status";
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

const std::string& HttpRequest::Header(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return kEmpty;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Listen(HttpServerOptions opts,
                                                               HttpHandler handler) {
  std::unique_ptr<HttpServer> s(new HttpServer(std::move(opts), std::move(handler)));
  in_addr addr{};
  if (inet_pton(AF_INET, s->opts_.bind_address.c_str(), &addr) != 1)
    return absl::InvalidArgumentError(
        absl::StrCat("bind address '", s->opts_.bind_address, "' is not an IPv4 address"));
  if (!s->opts_.basic_auth_user.empty())
    s->expected_auth_ = absl::StrCat(
        "Basic ", absl::Base64Escape(absl::StrCat(s->opts_.basic_auth_user, ":", s->opts_.basic_auth_password)));
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int one = 1;
  setsockopt(s->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = addr;
  sa.sin_port = htons(s->opts_.port);
  if (bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return absl::UnavailableError(absl::StrCat("cannot bind ", s->opts_.bind_address, ":", s->opts_.port,
                                               ": ", strerror(errno),
                                               " (is another process using the port, or the address not on this host?)"));
  if (listen(s->listen_fd_, 128) != 0) return absl::InternalError(absl::StrCat("listen: ", strerror(errno)));
  socklen_t len = sizeof sa;
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  s->port_ = ntohs(sa.sin_port);
  s->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (s->epoll_fd_ < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s->listen_fd_;
  epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->listen_fd_, &ev);
  return s;
}

HttpServer::~HttpServer() {
  for (auto& [fd, c] : conns_) {
    if (c.ssl != nullptr) SSL_free(c.ssl);
    close(fd);
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

int HttpServer::Poll(int timeout_ms) {
  epoll_event events[64];
  const uint64_t before = counters_.requests;
  int n = epoll_wait(epoll_fd_, events, 64, timeout_ms);
  int readable[64];
  int nreadable = 0;
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == listen_fd_) {
      Accept();
      continue;
    }
    if (events[i].events & (EPOLLERR | EPOLLHUP)) {
      Close(fd);
      continue;
    }
    if (events[i].events & EPOLLIN) {
      readable[nreadable++] = fd;
      OnReadable(fd);
    }
  }
  if (before_send_ && counters_.requests != before && !before_send_()) {
    for (int i = 0; i < nreadable; ++i) {
      auto it = conns_.find(readable[i]);
      if (it == conns_.end() || it->second.out.empty()) continue;
      ++counters_.unacknowledged;
      Close(readable[i]);
    }
  }
  // Write every pending response (also those EPOLLOUT woke us for).
  std::vector<int> pending;
  for (const auto& [fd, c] : conns_)
    if (!c.out.empty() || c.close_after_write || c.tls_wants_write) pending.push_back(fd);
  for (int fd : pending) OnWritable(fd);
  if (opts_.idle_timeout_ms > 0 || opts_.request_timeout_ms > 0) {
    const int64_t now = NowMs();
    if (now >= next_expiry_check_ms_) {
      ExpireConnections(now);
      next_expiry_check_ms_ = now + 100;  // limits are seconds; a sweep every 100 ms is plenty
    }
  }
  return static_cast<int>(counters_.requests - before);
}

void HttpServer::ExpireConnections(int64_t now) {
  std::vector<std::pair<int, bool>> expired;  // fd, request (true) or idle
  for (const auto& [fd, c] : conns_) {
    if (c.request_start_ms != 0) {
      if (opts_.request_timeout_ms > 0 && now - c.request_start_ms >= opts_.request_timeout_ms)
        expired.emplace_back(fd, true);
    } else if (opts_.idle_timeout_ms > 0 && now - c.last_progress_ms >= opts_.idle_timeout_ms) {
      expired.emplace_back(fd, false);
    }
  }
  for (const auto& [fd, request] : expired) {
    ++(request ? counters_.request_timeouts : counters_.idle_timeouts);
    auto it = conns_.find(fd);
    if (it != conns_.end() && it->second.handshaking) it->second.tls_broken = true;  // no close_notify
    Close(fd);
  }
}

void HttpServer::Accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (conns_.size() >= opts_.max_connections) {
      ++counters_.connections_refused;
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    Conn c;
    c.last_progress_ms = NowMs();
    if (opts_.tls) {
      c.request_start_ms = c.last_progress_ms;  // the handshake is part of the first request
      c.ssl = SSL_new(opts_.tls->get());
      if (c.ssl == nullptr || SSL_set_fd(c.ssl, fd) != 1) {
        if (c.ssl != nullptr) SSL_free(c.ssl);
        ++counters_.tls_handshake_failures;
        close(fd);
        continue;
      }
      SSL_set_accept_state(c.ssl);
      c.handshaking = true;
    }
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    conns_.emplace(fd, std::move(c));
    ++counters_.connections_accepted;
  }
}

void HttpServer::OnReadable(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  if (it->second.handshaking) {
    if (!Handshake(fd, it->second) || it->second.handshaking) return;
  }
  char buf[16384];
  const uint64_t requests_before = counters_.requests;
  const bool had_partial = !it->second.in.empty();
  bool got = false;
  // After reading: progress for the idle timeout, and when the unfinished
  // request (if any) began, for the request timeout.
  auto track = [&](Conn& c) {
    if (!got) return;
    const int64_t now = NowMs();
    c.last_progress_ms = now;
    if (c.in.empty()) {
      c.request_start_ms = 0;
    } else if (!had_partial || counters_.requests != requests_before || c.request_start_ms == 0) {
      c.request_start_ms = now;  // a request that began in this read
    }
  };
  for (;;) {
    ssize_t n = RecvSome(fd, it->second, buf, sizeof buf);
    if (n > 0) {
      got = true;
      it->second.in.append(buf, static_cast<size_t>(n));
      if (it->second.in.size() > opts_.max_header_bytes + opts_.max_body_bytes + 4) break;
      // A short plain read drained the socket: epoll (level-triggered)
      // reports the next bytes, so skip the read that would say EAGAIN.
      // TLS must read on: OpenSSL may hold decrypted bytes epoll cannot see.
      if (it->second.ssl == nullptr && static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n == 0) {  // peer closed its side: answer what is complete, then close
      Process(fd, it->second);
      it->second.close_after_write = true;
      track(it->second);
      return;
    }
    if (n == -1) break;
    Close(fd);
    return;
  }
  Process(fd, it->second);  // a fatal error sets close_after_write
  track(it->second);
}

bool HttpServer::Process(int fd, Conn& c) {
  (void)fd;
  // Requests are consumed from the front of c.in; the bytes are erased
  // once per call, not once per (pipelined) request.
  size_t done = 0;
  struct Consume {
    std::string& in;
    size_t& done;
    ~Consume() { in.erase(0, done); }
  } consume{c.in, done};
  while (!c.close_after_write) {
    const size_t end = c.in.find("\r\n\r\n", done);
    if (end == std::string::npos) {
      if (c.in.size() - done > opts_.max_header_bytes) {
        ++counters_.bad_requests;
        Respond(c, {413, "text/plain", "request header too large\n"}, false);
        return false;
      }
      return true;  // need more bytes
    }
    // One request object for every request: assign() reuses the buffers
    // the previous request grew, so a keep-alive stream of similar
    // requests parses without allocating.
    HttpRequest& req = req_;
    absl::string_view head(c.in.data() + done, end - done);
    size_t line_end = head.find("\r\n");
    absl::string_view request_line = head.substr(0, line_end);
    const size_t sp1 = request_line.find(' ');
    const size_t sp2 = request_line.rfind(' ');
    if (sp1 == absl::string_view::npos || sp2 == sp1 || !absl::StartsWith(request_line.substr(sp2 + 1), "HTTP/1.")) {
      ++counters_.bad_requests;
      Respond(c, {400, "text/plain", "malformed request line\n"}, false);
      return false;
    }
    req.method.assign(request_line.data(), sp1);
    req.target.assign(request_line.data() + sp1 + 1, sp2 - sp1 - 1);
    const bool http10 = request_line.substr(sp2 + 1) == "HTTP/1.0";
    size_t pos = line_end == absl::string_view::npos ? head.size() : line_end + 2;
    size_t nheaders = 0;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == absl::string_view::npos) e = head.size();
      absl::string_view line = head.substr(pos, e - pos);
      const size_t colon = line.find(':');
      if (colon != absl::string_view::npos) {
        if (nheaders == req.headers.size()) req.headers.emplace_back();
        auto& [name, value] = req.headers[nheaders++];
        name.assign(line.data(), colon);
        absl::AsciiStrToLower(&name);
        const absl::string_view v = absl::StripAsciiWhitespace(line.substr(colon + 1));
        value.assign(v.data(), v.size());
      }
      pos = e + 2;
    }
    req.headers.resize(nheaders);  // drops what a previous request had beyond these
    if (!req.Header("transfer-encoding").empty()) {
      ++counters_.bad_requests;
      Respond(c, {411, "text/plain", "chunked bodies are not supported; send Content-Length\n"}, false);
      return false;
    }
    size_t body_len = 0;
    if (const std::string& cl = req.Header("content-length"); !cl.empty()) {
      if (!absl::SimpleAtoi(cl, &body_len)) {
        ++counters_.bad_requests;
        Respond(c, {400, "text/plain", "bad Content-Length\n"}, false);
        return false;
      }
    }
    if (body_len > opts_.max_body_bytes) {
      ++counters_.bad_requests;
      Respond(c, {413, "text/plain", "body too large\n"}, false);
      return false;
    }
    if (c.in.size() < end + 4 + body_len) return true;  // body not complete yet
    req.body.assign(c.in, end + 4, body_len);
    done = end + 4 + body_len;
    ++counters_.requests;

    const std::string& conn_hdr = req.Header("connection");
    const bool keep_alive = http10 ? absl::EqualsIgnoreCase(conn_hdr, "keep-alive")
                                   : !absl::EqualsIgnoreCase(conn_hdr, "close");
    if (!expected_auth_.empty() && req.Header("authorization") != expected_auth_) {
      ++counters_.auth_failures;
      HttpResponse r{401, "application/json", R"([{"result":1,"text":"authentication required"}])"};
      Respond(c, r, keep_alive);
    } else {
      Respond(c, handler_(req), keep_alive);
    }
    // A rare big body (a management upload) does not pin its buffer.
    if (req.body.capacity() > (64 << 10)) std::string().swap(req.body);
  }
  return !c.close_after_write;
}

void HttpServer::Respond(Conn& c, const HttpResponse& r, bool keep_alive) {
  absl::StrAppend(&c.out, "HTTP/1.1 ", r.status, " ", Reason(r.status), "\r\n",
                  "Content-Type: ", r.content_type, "\r\n",
                  "Content-Length: ", r.body.size(), "\r\n");
  if (r.status == 401) c.out += "WWW-Authenticate: Basic realm=\"lqd\"\r\n";
  if (!keep_alive) c.out += "Connection: close\r\n";
  c.out += "\r\n";
  c.out += r.body;
  if (!keep_alive) c.close_after_write = true;
}

void HttpServer::OnWritable(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  if (c.handshaking) {
    if (!Handshake(fd, c)) return;
    if (c.handshaking) return UpdateInterest(fd, c);
  }
  c.tls_wants_write = false;
  bool sent = false;
  while (!c.out.empty()) {
    ssize_t n = SendSome(fd, c);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      sent = true;
      continue;
    }
    if (n == -1) break;
    Close(fd);
    return;
  }
  if (c.out.empty() && c.close_after_write) {
    Close(fd);
    return;
  }
  if (sent) c.last_progress_ms = NowMs();
  UpdateInterest(fd, c);
}

void HttpServer::UpdateInterest(int fd, Conn& c) {
  const uint32_t want = EPOLLIN | (c.out.empty() && !c.tls_wants_write ? 0u : static_cast<uint32_t>(EPOLLOUT));
  if (want == c.interest) return;  // one epoll_ctl saved per request on a keep-alive connection
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  c.interest = want;
}

bool HttpServer::Handshake(int fd, Conn& c) {
  const int r = SSL_accept(c.ssl);
  if (r == 1) {
    c.handshaking = false;
    c.tls_wants_write = false;
    c.request_start_ms = 0;  // handshake done; the request timeout restarts with its first byte
    c.last_progress_ms = NowMs();
    return true;
  }
  switch (SSL_get_error(c.ssl, r)) {
    case SSL_ERROR_WANT_READ:
      c.tls_wants_write = false;
      UpdateInterest(fd, c);
      return true;
    case SSL_ERROR_WANT_WRITE:
      c.tls_wants_write = true;
      UpdateInterest(fd, c);
      return true;
    default:
      // No certificate, an untrusted one, or not TLS at all (plain HTTP).
      // The error queue is per thread: clear it so it cannot leak into the
      // next connection's diagnosis.
      ERR_clear_error();
      ++counters_.tls_handshake_failures;
      c.tls_broken = true;
      Close(fd);
      return false;
  }
}

ssize_t HttpServer::RecvSome(int fd, Conn& c, char* buf, size_t len) {
  if (c.ssl == nullptr) {
    ssize_t n = read(fd, buf, len);
    if (n >= 0) return n;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
  }
  const int r = SSL_read(c.ssl, buf, static_cast<int>(len));
  if (r > 0) return r;
  switch (SSL_get_error(c.ssl, r)) {
    case SSL_ERROR_WANT_READ: return -1;
    case SSL_ERROR_WANT_WRITE:
      c.tls_wants_write = true;
      UpdateInterest(fd, c);
      return -1;
    case SSL_ERROR_ZERO_RETURN: return 0;  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
    default:
      ERR_clear_error();
      c.tls_broken = true;
      return -2;
  }
}

ssize_t HttpServer::SendSome(int fd, Conn& c) {
  if (c.ssl == nullptr) {
    ssize_t n = send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n >= 0) return n;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -1 : -2;
  }
  // A retried SSL_write must repeat the same length (the buffer may move).
  const int len = c.tls_retry_len > 0 ? c.tls_retry_len
                                      : static_cast<int>(std::min<size_t>(c.out.size(), 1 << 20));
  const int r = SSL_write(c.ssl, c.out.data(), len);
  if (r > 0) {
    c.tls_retry_len = 0;
    return r;
  }
  switch (SSL_get_error(c.ssl, r)) {
    case SSL_ERROR_WANT_WRITE:
    case SSL_ERROR_WANT_READ:  // EPOLLIN is always armed
      c.tls_retry_len = len;
      return -1;
    default:
      ERR_clear_error();
      c.tls_broken = true;
      return -2;
  }
}

void HttpServer::Close(int fd) {
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  if (SSL* ssl = it->second.ssl) {
    // Best effort close_notify; never wait for the peer's.
    if (!it->second.handshaking && !it->second.tls_broken) SSL_shutdown(ssl);
    SSL_free(ssl);
    ERR_clear_error();
  }
  conns_.erase(it);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
}

}  // namespace lqd::control
