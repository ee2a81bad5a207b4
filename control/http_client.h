// SPDX-License-Identifier: Apache-2.0
// File: control/http_client.h
//
// A blocking HTTP/1.1 client for the control plane's few outgoing calls
// (Kea's control agent). One request per call, fresh connection, bounded
// by a timeout; basic auth; https with the server verified against a
// trust-anchor (the certificate must name the IPv4 address we connect to,
// subjectAltName IP) and an optional client certificate. Not for the fast path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "control/tls.h"

namespace lqd::control {

struct HttpEndpoint {
  std::string host = "127.0.0.1";  // IPv4 literal, like Kea's own peer URLs
  uint16_t port = 8000;
  std::string user;                // empty: no Authorization header
  std::string password;
  int timeout_ms = 10000;
  bool https = false;              // set by ParseHttpUrl; needs `tls`
  std::shared_ptr<TlsContext> tls; // TlsContext::ForClient, built with the config
};

struct HttpReply {
  int status = 0;
  std::string body;
};

// Parses "http://10.0.0.1:8000/" or "https://10.0.0.1:8000/" into an
// endpoint (https: the caller attaches a client TlsContext).
absl::StatusOr<HttpEndpoint> ParseHttpUrl(const std::string& url);

absl::StatusOr<HttpReply> HttpPost(const HttpEndpoint& ep, const std::string& path,
                                   const std::string& content_type, const std::string& body);

}  // namespace lqd::control
