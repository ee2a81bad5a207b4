// SPDX-License-Identifier: Apache-2.0
// File: tests/control/tls_test.cc
// TLS on the control plane's HTTP server and client, with certificates the
// test makes with the openssl CLI in a fresh directory: a CA, a server
// certificate for IP 127.0.0.1, a client certificate, and a second
// ("rogue") CA with its own client certificate. The server polls in a
// background thread; counters are read only after that thread stopped.
#include "control/tls.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "control/control_plane.h"
#include "control/http_client.h"
#include "control/http_server.h"

namespace lqd::control {
namespace {

std::string g_dir;  // certificates, made once per test binary

bool Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// CA `ca`, then a leaf `name` signed by it with the given extensions.
bool MakeCa(const std::string& ca) {
  return Sh("cd " + g_dir + " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + ca +
            " -keyout " + ca + ".key -out " + ca + ".pem");
}
bool MakeLeaf(const std::string& ca, const std::string& name, const std::string& ext) {
  return Sh("cd " + g_dir + " && openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + name +
            ".key -out " + name + ".csr && printf '" + ext + "\\n' > " + name + ".ext && openssl x509 -req -in " +
            name + ".csr -CA " + ca + ".pem -CAkey " + ca + ".key -CAcreateserial -days 2 -extfile " + name +
            ".ext -out " + name + ".pem");
}

class TlsEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    char tmpl[] = "/tmp/lqd-tls-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    g_dir = tmpl;
    ASSERT_TRUE(Sh("command -v openssl")) << "the openssl CLI is needed (scripts/install-deps.sh installs it)";
    ASSERT_TRUE(MakeCa("ca") && MakeCa("rogue"));
    ASSERT_TRUE(MakeLeaf("ca", "server", "subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth"));
    ASSERT_TRUE(MakeLeaf("ca", "other-ip", "subjectAltName=IP:10.9.9.9\\nextendedKeyUsage=serverAuth"));
    ASSERT_TRUE(MakeLeaf("ca", "client", "extendedKeyUsage=clientAuth"));
    ASSERT_TRUE(MakeLeaf("rogue", "rogue-client", "extendedKeyUsage=clientAuth"));
  }
  void TearDown() override { Sh("rm -rf " + g_dir); }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new TlsEnv);

std::string P(const std::string& f) { return g_dir + "/" + f; }

int OpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

class TlsServerTest : public ::testing::Test {
 protected:
  void Start(const TlsFiles& f, std::string body = "hello") {
    auto ctx = TlsContext::ForServer(f);
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    HttpServerOptions o;
    o.tls = *ctx;
    o.basic_auth_user = "foo";
    o.basic_auth_password = "bar";
    auto s = HttpServer::Listen(o, [body](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", r.body == "big" ? std::string(3 << 20, 'x') : body};
    });
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    thread_ = std::thread([this] {
      while (!stop_.load()) server_->Poll(10);
    });
  }
  // Stops the poll thread, then lets the server finish closing what it can.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int i = 0; i < 50 && server_->open_connections() > 0; ++i) server_->Poll(10);
  }
  void TearDown() override { Stop(); }

  HttpEndpoint Client(const TlsFiles& f) {
    auto ctx = TlsContext::ForClient(f);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    HttpEndpoint ep;
    ep.port = server_->port();
    ep.https = true;
    ep.tls = ctx.ok() ? *ctx : nullptr;
    ep.user = "foo";
    ep.password = "bar";
    ep.timeout_ms = 5000;
    return ep;
  }

  TlsFiles ServerFiles(bool required = true) {
    return {P("ca.pem"), P("server.pem"), P("server.key"), required};
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

TEST_F(TlsServerTest, ClientWithGoodCertificateIsServed) {
  Start(ServerFiles());
  HttpEndpoint ep = Client({P("ca.pem"), P("client.pem"), P("client.key")});
  for (int i = 0; i < 3; ++i) {
    auto r = HttpPost(ep, "/", "application/json", "{}");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
  }
  Stop();
  EXPECT_EQ(server_->counters().requests, 3u);
  EXPECT_EQ(server_->counters().tls_handshake_failures, 0u);
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(TlsServerTest, BasicAuthStillAppliesInsideTls) {
  Start(ServerFiles());
  HttpEndpoint ep = Client({P("ca.pem"), P("client.pem"), P("client.key")});
  ep.password = "wrong";
  auto r = HttpPost(ep, "/", "application/json", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 401);
}

TEST_F(TlsServerTest, LargeResponseCrossesPartialWrites) {
  Start(ServerFiles());
  HttpEndpoint ep = Client({P("ca.pem"), P("client.pem"), P("client.key")});
  auto r = HttpPost(ep, "/", "text/plain", "big");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), size_t{3} << 20);
  EXPECT_EQ(r->body.find_first_not_of('x'), std::string::npos);
}

TEST_F(TlsServerTest, NoClientCertificateWhenRequiredIsRefused) {
  Start(ServerFiles());
  auto r = HttpPost(Client({P("ca.pem"), "", ""}), "/", "application/json", "{}");
  EXPECT_FALSE(r.ok());
  Stop();
  EXPECT_EQ(server_->counters().requests, 0u);
  EXPECT_EQ(server_->counters().tls_handshake_failures, 1u);
  EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(TlsServerTest, ClientCertificateFromAnotherCaIsRefused) {
  Start(ServerFiles());
  auto r = HttpPost(Client({P("ca.pem"), P("rogue-client.pem"), P("rogue-client.key")}), "/", "application/json", "{}");
  EXPECT_FALSE(r.ok());
  Stop();
  EXPECT_EQ(server_->counters().requests, 0u);
  EXPECT_EQ(server_->counters().tls_handshake_failures, 1u);
}

TEST_F(TlsServerTest, CertificateOptionalWhenNotRequired) {
  Start(ServerFiles(/*required=*/false));
  auto r = HttpPost(Client({P("ca.pem"), "", ""}), "/", "application/json", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "hello");
  // ...but a certificate that is presented must still verify.
  EXPECT_FALSE(HttpPost(Client({P("ca.pem"), P("rogue-client.pem"), P("rogue-client.key")}), "/", "application/json",
                        "{}").ok());
}

TEST_F(TlsServerTest, PlainHttpToTlsPortIsClosedWithoutAnAnswerAndLeaksNothing) {
  Start(ServerFiles());
  const int fds_before = OpenFds();
  for (int i = 0; i < 20; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(server_->port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), ssize_t(req.size()));
    char buf[256];
    std::string got;
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, size_t(n));
    // Closed (EOF or reset), never an HTTP answer, never a hang (SO_RCVTIMEO).
    EXPECT_EQ(got.find("HTTP/1.1"), std::string::npos) << got;
    EXPECT_TRUE(errno != EAGAIN) << "server kept a plain connection open";
    close(fd);
  }
  // And a good client is still served afterwards.
  auto r = HttpPost(Client({P("ca.pem"), P("client.pem"), P("client.key")}), "/", "application/json", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  Stop();
  EXPECT_EQ(server_->counters().tls_handshake_failures, 20u);
  EXPECT_EQ(server_->open_connections(), 0u);
  EXPECT_EQ(OpenFds(), fds_before);
}

TEST_F(TlsServerTest, ClientRefusesUntrustedServer) {
  Start(ServerFiles());
  auto r = HttpPost(Client({P("rogue.pem"), P("client.pem"), P("client.key")}), "/", "application/json", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("server certificate"), absl::string_view::npos) << r.status();
}

TEST_F(TlsServerTest, ClientRefusesCertificateForAnotherAddress) {
  Start({P("ca.pem"), P("other-ip.pem"), P("other-ip.key"), true});
  auto r = HttpPost(Client({P("ca.pem"), P("client.pem"), P("client.key")}), "/", "application/json", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("server certificate"), absl::string_view::npos) << r.status();
}

TEST_F(TlsServerTest, PlainClientToTlsServerFailsCleanly) {
  Start(ServerFiles());
  HttpEndpoint ep;
  ep.port = server_->port();
  ep.timeout_ms = 3000;
  EXPECT_FALSE(HttpPost(ep, "/", "application/json", "{}").ok());
}

TEST(TlsContextTest, ServerFileErrorsNameTheFile) {
  auto r = TlsContext::ForServer({"", P("missing.pem"), P("server.key"), false});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cert-file '" + P("missing.pem") + "'"), absl::string_view::npos) << r.status();
  r = TlsContext::ForServer({"", P("server.pem"), P("client.key"), false});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not match"), absl::string_view::npos) << r.status();
  r = TlsContext::ForServer({"", P("server.pem"), P("server.key"), true});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cert-required needs a trust-anchor"), absl::string_view::npos);
  r = TlsContext::ForServer({P("nope-ca.pem"), P("server.pem"), P("server.key"), true});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("trust-anchor"), absl::string_view::npos);
  r = TlsContext::ForServer({"", P("server.csr"), P("server.key"), false});  // not a certificate
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cert-file"), absl::string_view::npos);
  // A directory works as a trust-anchor (Kea accepts both).
  EXPECT_TRUE(TlsContext::ForServer({g_dir, P("server.pem"), P("server.key"), true}).ok());
}

TEST(TlsContextTest, ClientNeedsBothCertAndKey) {
  EXPECT_FALSE(TlsContext::ForClient({P("ca.pem"), P("client.pem"), ""}).ok());
  EXPECT_TRUE(TlsContext::ForClient({P("ca.pem"), "", ""}).ok());
}

// The config parser builds the contexts: a bad file is an error with its
// JSON path before anything listens.
TEST(TlsConfigTest, ParserReportsTlsErrorsWithPaths) {
  std::vector<std::string> errors;
  nlohmann::json j = {
      {"kea-ha", {{"port", 1u}, {"cert-file", "missing.pem"}, {"key-file", "server.key"}, {"trust-anchor", "ca.pem"}}},
      {"management", {{"port", 2u}, {"cert-file", "server.pem"}, {"key-file", "server.key"}}},
      {"kea-pull", {{"url", "http://127.0.0.1:8000/"}, {"trust-anchor", "ca.pem"}}}};
  ControlConfig c = ParseControlConfig(j, "control", &errors, g_dir);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_NE(errors[0].find("control.kea-ha: TLS: cert-file '" + P("missing.pem") + "'"), std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("control.kea-pull: trust-anchor/cert-file/key-file need an https:// url"),
            std::string::npos)
      << errors[1];
  // management: cert and key, no trust-anchor: TLS without client certificates.
  EXPECT_NE(c.management.tls, nullptr);

  errors.clear();
  j = {{"kea-pull", {{"url", "https://127.0.0.1:8443/"}, {"trust-anchor", "ca.pem"}, {"cert-file", "client.pem"},
                     {"key-file", "client.key"}}},
       {"kea-ha", {{"port", 1u}, {"cert-file", "server.pem"}, {"key-file", "server.key"}, {"trust-anchor", "ca.pem"},
                   {"cert-required", true}}}};
  c = ParseControlConfig(j, "control", &errors, g_dir);
  EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
  EXPECT_TRUE(c.kea_pull.agent.https);
  EXPECT_EQ(c.kea_pull.agent.port, 8443);
  EXPECT_NE(c.kea_pull.agent.tls, nullptr);
  EXPECT_NE(c.kea_ha.tls, nullptr);
}

}  // namespace
}  // namespace lqd::control
