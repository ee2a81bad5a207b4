// SPDX-License-Identifier: Apache-2.0
// File: control/tls.h
//
// TLS contexts (OpenSSL 3) for the control plane's HTTP endpoints and for
// the pull client. The parameter names are Kea's, so that an operator who
// configured Kea's HA hook or kea-ctrl-agent for TLS recognises them:
//   trust-anchor   CA certificate file (PEM) or directory (c_rehash'd)
//   cert-file      this side's certificate chain (PEM)
//   key-file       its private key (PEM)
//   cert-required  server side: a client must present a certificate that
//                  the trust-anchor verifies (Kea's ctrl-agent default: true)
//
// A context is built once, when the configuration is read: a missing,
// unreadable or mismatched file is a configuration error, reported before
// anything listens or connects. Contexts are immutable afterwards and
// shared by every connection.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace lqd::control {

struct TlsFiles {
  std::string trust_anchor;
  std::string cert_file;
  std::string key_file;
  bool cert_required = true;  // server side only; needs trust_anchor
};

class TlsContext {
 public:
  // Server: cert_file and key_file required; trust_anchor optional (then
  // clients are not asked for a certificate, and cert_required must be
  // false). Verifies that the key matches the certificate.
  static absl::StatusOr<std::shared_ptr<TlsContext>> ForServer(const TlsFiles& f);
  // Client: the server is verified against trust_anchor (or the system's
  // default CA store when empty); cert_file/key_file, both or neither, are
  // presented when the server asks (Kea's cert-required).
  static absl::StatusOr<std::shared_ptr<TlsContext>> ForClient(const TlsFiles& f);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// Drains OpenSSL's thread-local error queue into one readable string
// ("" when empty). Call after a failed OpenSSL call, before the next one.
std::string TlsErrors();

}  // namespace lqd::control
