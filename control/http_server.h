// SPDX-License-Identifier: Apache-2.0
// File: control/http_server.h
//
// A small HTTP/1.1 server for the control plane: the Kea HA backup-peer
// endpoint and the management API. Single-threaded and non-blocking
// (epoll): the control thread calls Poll() in its loop, so handlers run on
// the store's writer thread and may apply updates directly.
//
// What it supports, because Kea's HA client and Prometheus need it:
// keep-alive (Kea reuses one connection for every update), several
// concurrent connections, Content-Length bodies, HTTP basic auth. What it
// refuses, with a status code: chunked bodies (411), bodies over the limit
// (413), malformed request lines (400), too many connections (closed).
//
// Optional TLS (opts.tls): every accepted connection runs a non-blocking
// handshake inside the same epoll loop (SSL_accept/SSL_read/SSL_write,
// retried on WANT_READ/WANT_WRITE). A failed handshake (no or a bad client
// certificate when one is required, plain HTTP sent to the TLS port) closes
// the connection and is counted; it never blocks other connections.
#pragma once

#include <sys/epoll.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "control/tls.h"

namespace lqd::control {

// Handed to the handler by const reference and valid only during the
// call: the server reuses one object (and its strings' buffers) for every
// request, so parsing a keep-alive stream allocates nothing per request.
struct HttpRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  // Value of a header (name in lower case), or "".
  const std::string& Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  // Static storage (a string literal): every response has one of a handful
  // of types, and a std::string would allocate for "application/json".
  const char* content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";  // never a wildcard by default
  uint16_t port = 0;                        // 0: pick a free port (tests)
  std::string basic_auth_user;              // empty: no authentication
  std::string basic_auth_password;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  size_t max_connections = 256;
  // A connection slot is never held forever (0 disables either limit):
  //  * idle_timeout_ms: a connection with no request in progress (a
  //    keep-alive connection between requests, or a client that never
  //    reads its response) is closed after this long without progress.
  //    Kea's own HTTP listener closes idle connections after 30 s too, and
  //    its HA client reconnects for the next update.
  //  * request_timeout_ms: from a request's first byte (or, with TLS, from
  //    accept: the handshake) to its last; a client that stalls mid-request
  //    (slowloris, or plain TCP sent to the TLS port and then silence) is
  //    closed.
  int idle_timeout_ms = 30000;
  int request_timeout_ms = 10000;
  std::shared_ptr<TlsContext> tls;          // null: plain HTTP
};

struct HttpServerCounters {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;
  uint64_t requests = 0;
  uint64_t bad_requests = 0;
  uint64_t auth_failures = 0;
  uint64_t tls_handshake_failures = 0;
  uint64_t unacknowledged = 0;  // connections closed because before-send failed
  uint64_t idle_timeouts = 0;      // closed by idle_timeout_ms
  uint64_t request_timeouts = 0;   // closed by request_timeout_ms (handshake included)
};

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Listen(HttpServerOptions opts,
                                                            HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  // Runs once per Poll() after requests were handled and before any
  // response is written: the journal's group commit (fsync once, then
  // acknowledge every update of the round). If it returns false (the round
  // could not be made durable), the connections that sent requests this
  // round are closed without their responses: no acknowledgement is sent
  // for what was not stored, and the peer (Kea) sees a failed update.
  void SetBeforeSend(std::function<bool()> f) { before_send_ = std::move(f); }
  // Serves whatever is ready, waiting at most `timeout_ms`. Returns the
  // number of requests handled.
  int Poll(int timeout_ms);
  const HttpServerCounters& counters() const { return counters_; }
  size_t open_connections() const { return conns_.size(); }

 private:
  struct Conn {
    std::string in;
    std::string out;
    bool close_after_write = false;
    SSL* ssl = nullptr;           // TLS only; freed by Close()
    bool handshaking = false;     // SSL_accept not finished yet
    bool tls_wants_write = false; // OpenSSL needs the socket writable to progress
    bool tls_broken = false;      // fatal TLS error: no close_notify
    int tls_retry_len = 0;        // an SSL_write to repeat with this length
    uint32_t interest = EPOLLIN;  // the events registered with epoll
    int64_t last_progress_ms = 0;  // last byte read or written (idle timeout)
    int64_t request_start_ms = 0;  // first byte of an unfinished request, or the
                                   // TLS accept; 0: none in progress
  };
  HttpServer(HttpServerOptions opts, HttpHandler handler) : opts_(std::move(opts)), handler_(std::move(handler)) {}
  void Accept();
  void OnReadable(int fd);
  void OnWritable(int fd);
  // Handles every complete request in c.in; false if the connection must close now.
  bool Process(int fd, Conn& c);
  void Respond(Conn& c, const HttpResponse& r, bool keep_alive);
  void Close(int fd);
  // Closes connections past idle_timeout_ms / request_timeout_ms.
  void ExpireConnections(int64_t now_ms);
  void UpdateInterest(int fd, Conn& c);
  // Drives SSL_accept; false if the connection was closed.
  bool Handshake(int fd, Conn& c);
  // >0 bytes, 0 peer closed, -1 would block, -2 fatal.
  ssize_t RecvSome(int fd, Conn& c, char* buf, size_t len);
  ssize_t SendSome(int fd, Conn& c);

  HttpServerOptions opts_;
  HttpHandler handler_;
  std::function<bool()> before_send_;
  std::string expected_auth_;  // "Basic <base64>" or empty
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  uint16_t port_ = 0;
  absl::flat_hash_map<int, Conn> conns_;
  HttpServerCounters counters_;
  int64_t next_expiry_check_ms_ = 0;
  HttpRequest req_;  // reused by Process (see HttpRequest)
};

}  // namespace lqd::control
