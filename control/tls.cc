// SPDX-License-Identifier: Apache-2.0
// File: control/tls.cc
#include "control/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace lqd::control {
namespace {

// A clear message for the common operator mistakes, before OpenSSL's own.
absl::Status Readable(const std::string& path, const char* what, bool dir_ok) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(absl::StrCat(what, " '", path, "': ", strerror(errno)));
  if (S_ISDIR(st.st_mode) && !dir_ok)
    return absl::InvalidArgumentError(absl::StrCat(what, " '", path, "' is a directory, not a PEM file"));
  if (access(path.c_str(), R_OK) != 0)
    return absl::PermissionDeniedError(absl::StrCat(what, " '", path, "' is not readable: ", strerror(errno)));
  return absl::OkStatus();
}

absl::Status LoadTrustAnchor(SSL_CTX* ctx, const std::string& ta) {
  if (absl::Status st = Readable(ta, "trust-anchor", true); !st.ok()) return st;
  struct stat st;
  stat(ta.c_str(), &st);
  const bool dir = S_ISDIR(st.st_mode);
  if (SSL_CTX_load_verify_locations(ctx, dir ? nullptr : ta.c_str(), dir ? ta.c_str() : nullptr) != 1)
    return absl::InvalidArgumentError(absl::StrCat("trust-anchor '", ta, "': ", TlsErrors()));
  return absl::OkStatus();
}

absl::Status LoadCertAndKey(SSL_CTX* ctx, const std::string& cert, const std::string& key) {
  if (absl::Status st = Readable(cert, "cert-file", false); !st.ok()) return st;
  if (absl::Status st = Readable(key, "key-file", false); !st.ok()) return st;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
    return absl::InvalidArgumentError(absl::StrCat("cert-file '", cert, "': ", TlsErrors()));
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
    return absl::InvalidArgumentError(absl::StrCat("key-file '", key, "': not a PEM private key, or it does not match cert-file '",
                                                   cert, "': ", TlsErrors()));
  if (SSL_CTX_check_private_key(ctx) != 1)
    return absl::InvalidArgumentError(
        absl::StrCat("key-file '", key, "' does not match cert-file '", cert, "': ", TlsErrors()));
  return absl::OkStatus();
}

SSL_CTX* NewCtx(const SSL_METHOD* m) {
  SSL_CTX* ctx = SSL_CTX_new(m);
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Writes come from a std::string that is erased as it drains: OpenSSL
  // must accept a retry from a moved buffer, and partial writes.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A peer that closes TCP without close_notify (common among HTTP/1.1
  // clients) ends the connection like a clean close; our framing is
  // Content-Length, so truncation is detected there.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

}  // namespace

std::string TlsErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::ForServer(const TlsFiles& f) {
  if (f.cert_file.empty() || f.key_file.empty())
    return absl::InvalidArgumentError("TLS needs both cert-file and key-file");
  if (f.cert_required && f.trust_anchor.empty())
    return absl::InvalidArgumentError(
        "cert-required needs a trust-anchor to verify client certificates (or set cert-required to false)");
  SSL_CTX* raw = NewCtx(TLS_server_method());
  if (raw == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", TlsErrors()));
  std::shared_ptr<TlsContext> c(new TlsContext(raw));
  if (absl::Status st = LoadCertAndKey(raw, f.cert_file, f.key_file); !st.ok()) return st;
  if (!f.trust_anchor.empty()) {
    if (absl::Status st = LoadTrustAnchor(raw, f.trust_anchor); !st.ok()) return st;
    // Without FAIL_IF_NO_PEER_CERT a client may still come without one; a
    // certificate it does present must verify.
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | (f.cert_required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), nullptr);
  }
  // No session resumption: connections are long-lived (Kea keeps one open).
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 0);
  return c;
}

absl::StatusOr<std::shared_ptr<TlsContext>> TlsContext::ForClient(const TlsFiles& f) {
  if (f.cert_file.empty() != f.key_file.empty())
    return absl::InvalidArgumentError("set both cert-file and key-file, or neither");
  SSL_CTX* raw = NewCtx(TLS_client_method());
  if (raw == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", TlsErrors()));
  std::shared_ptr<TlsContext> c(new TlsContext(raw));
  if (!f.cert_file.empty())
    if (absl::Status st = LoadCertAndKey(raw, f.cert_file, f.key_file); !st.ok()) return st;
  if (!f.trust_anchor.empty()) {
    if (absl::Status st = LoadTrustAnchor(raw, f.trust_anchor); !st.ok()) return st;
  } else if (SSL_CTX_set_default_verify_paths(raw) != 1) {
    return absl::InternalError(absl::StrCat("cannot load the system CA store: ", TlsErrors()));
  }
  SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
  return c;
}

}  // namespace lqd::control
