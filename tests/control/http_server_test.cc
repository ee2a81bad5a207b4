// SPDX-License-Identifier: Apache-2.0
// File: tests/control/http_server_test.cc
// Real sockets on 127.0.0.1; the server polls in a background thread that
// the fixture stops and joins, also when a test fails.
#include "control/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "control/control_plane.h"
#include "control/kea_ha_ingest.h"

namespace lqd::control {
namespace {

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};  // generous: a stuck server fails the test, not hangs it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  ~Client() { close(fd_); }
  bool ok() const { return ok_; }
  void Send(const std::string& s) { ASSERT_EQ(send(fd_, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }
  // Reads one response (headers + Content-Length body). "" on EOF/timeout.
  std::string ReadResponse() {
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t cl = 0;
        size_t p = buf_.find("Content-Length: ");
        if (p != std::string::npos && p < end) cl = std::stoul(buf_.substr(p + 16));
        if (buf_.size() >= end + 4 + cl) {
          std::string r = buf_.substr(0, end + 4 + cl);
          buf_.erase(0, end + 4 + cl);
          return r;
        }
      }
      char tmp[4096];
      ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return "";
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  bool PeerClosed() {
    char c;
    return recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string buf_;
};

std::string Post(const std::string& body, const std::string& extra = "") {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "Content-Length: " +
         std::to_string(body.size()) + "\r\nContent-Type: application/json\r\n\r\n" + body;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions opts, HttpHandler h) {
    auto s = HttpServer::Listen(opts, std::move(h));
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    thread_ = std::thread([this] {
      while (!stop_.load()) server_->Poll(20);
    });
  }
  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> handled_{0};
};

HttpHandler Echo(std::atomic<int>* n) {
  return [n](const HttpRequest& r) {
    ++*n;
    return HttpResponse{200, "text/plain", r.method + " " + r.target + " " + r.body};
  };
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Start({}, Echo(&handled_));
  Client c(server_->port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 50; ++i) {
    c.Send(Post("body" + std::to_string(i)));
    std::string r = c.ReadResponse();
    ASSERT_NE(r.find("200 OK"), std::string::npos) << r;
    EXPECT_NE(r.find("POST / body" + std::to_string(i)), std::string::npos);
  }
  EXPECT_EQ(handled_.load(), 50);
}

// The server reuses one HttpRequest for every request: what a handler sees
// must be exactly the current request, never a leftover of an earlier one
// (headers it had and this one lacks, a longer body), across pipelined
// requests on one connection and across connections.
TEST_F(HttpServerTest, EachRequestSeesOnlyItsOwnHeadersAndBody) {
  Start({}, [](const HttpRequest& r) {
    std::string seen = r.method + " " + r.target + " [" + r.body + "] x-a=" + r.Header("x-a") +
                       " n=" + std::to_string(r.headers.size());
    return HttpResponse{200, "text/plain", seen};
  });
  Client a(server_->port()), b(server_->port());
  ASSERT_TRUE(a.ok() && b.ok());
  // Pipelined: all three in one send.
  a.Send(Post(std::string(3000, 'x'), "X-A: one\r\nX-B: two\r\n") + Post("short") +
         "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string r1 = a.ReadResponse(), r2 = a.ReadResponse(), r3 = a.ReadResponse();
  EXPECT_NE(r1.find("POST / [" + std::string(3000, 'x') + "] x-a=one n=5"), std::string::npos) << r1;
  EXPECT_NE(r2.find("POST / [short] x-a= n=3"), std::string::npos) << r2;
  EXPECT_NE(r3.find("GET /metrics [] x-a= n=1"), std::string::npos) << r3;
  b.Send(Post("", "x-A:   spaced  \r\n"));
  std::string r4 = b.ReadResponse();
  EXPECT_NE(r4.find("POST / [] x-a=spaced n=4"), std::string::npos) << r4;
}

// The journal's group commit failing: the round's requests get no answer
// (their connections are closed), later rounds are answered again.
TEST_F(HttpServerTest, FailedBeforeSendWithholdsTheRoundsResponses) {
  std::atomic<bool> durable{false};
  auto s = HttpServer::Listen({}, Echo(&handled_));
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = *std::move(s);
  server_->SetBeforeSend([&] { return durable.load(); });
  thread_ = std::thread([this] {
    while (!stop_.load()) server_->Poll(20);
  });
  Client c(server_->port());
  c.Send(Post("not-stored"));
  EXPECT_EQ(c.ReadResponse(), "");  // closed, no acknowledgement
  EXPECT_EQ(handled_.load(), 1);
  durable = true;
  Client d(server_->port());
  d.Send(Post("stored"));
  EXPECT_NE(d.ReadResponse().find("POST / stored"), std::string::npos);
  EXPECT_EQ(server_->counters().unacknowledged, 1u);
}

TEST_F(HttpServerTest, PipelinedAndSplitRequests) {
  Start({}, Echo(&handled_));
  Client c(server_->port());
  std::string two = Post("a") + Post("b");
  c.Send(two.substr(0, 30));
  usleep(1000);
  c.Send(two.substr(30));
  EXPECT_NE(c.ReadResponse().find("POST / a"), std::string::npos);
  EXPECT_NE(c.ReadResponse().find("POST / b"), std::string::npos);
}

TEST_F(HttpServerTest, SeveralConcurrentConnections) {
  Start({}, Echo(&handled_));
  Client a(server_->port()), b(server_->port()), c(server_->port());
  a.Send(Post("1"));
  b.Send(Post("2"));
  c.Send(Post("3"));
  EXPECT_NE(c.ReadResponse().find("POST / 3"), std::string::npos);
  EXPECT_NE(a.ReadResponse().find("POST / 1"), std::string::npos);
  EXPECT_NE(b.ReadResponse().find("POST / 2"), std::string::npos);
}

TEST_F(HttpServerTest, BasicAuthIsEnforced) {
  HttpServerOptions o;
  o.basic_auth_user = "foo";
  o.basic_auth_password = "bar";
  Start(o, Echo(&handled_));
  Client c(server_->port());
  c.Send(Post("x"));
  EXPECT_NE(c.ReadResponse().find("401 Unauthorized"), std::string::npos);
  c.Send(Post("x", "Authorization: Basic Zm9vOmJhcg==\r\n"));  // foo:bar, as Kea sends it
  EXPECT_NE(c.ReadResponse().find("200 OK"), std::string::npos);
  EXPECT_EQ(handled_.load(), 1);
  EXPECT_EQ(server_->counters().auth_failures, 1u);
}

TEST_F(HttpServerTest, RefusesChunkedOversizeAndGarbage) {
  HttpServerOptions o;
  o.max_body_bytes = 100;
  Start(o, Echo(&handled_));
  {
    Client c(server_->port());
    c.Send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    EXPECT_NE(c.ReadResponse().find("411"), std::string::npos);
    EXPECT_TRUE(c.PeerClosed());
  }
  {
    Client c(server_->port());
    c.Send(Post(std::string(200, 'x')));
    EXPECT_NE(c.ReadResponse().find("413"), std::string::npos);
  }
  {
    Client c(server_->port());
    c.Send("GARBAGE\r\n\r\n");
    EXPECT_NE(c.ReadResponse().find("400"), std::string::npos);
  }
  EXPECT_EQ(handled_.load(), 0);
  EXPECT_EQ(server_->counters().bad_requests, 3u);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Start({}, Echo(&handled_));
  Client c(server_->port());
  c.Send(Post("x", "Connection: close\r\n"));
  EXPECT_NE(c.ReadResponse().find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.PeerClosed());
}

TEST(HttpServerListen, BadBindAddressIsAClearError) {
  HttpServerOptions o;
  o.bind_address = "not-an-ip";
  auto s = HttpServer::Listen(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("not-an-ip"), std::string::npos);
}

// Kea HA ingest end to end over HTTP: the shapes a Kea primary sends.
TEST_F(HttpServerTest, KeaHaIngestOverHttp) {
  LeaseStore store;
  Replica replica(store);
  KeaHaIngest ingest(replica, [] { return 1000u; });
  HttpServerOptions o;
  o.basic_auth_user = "foo";
  o.basic_auth_password = "bar";
  Start(o, [&](const HttpRequest& r) { return ingest.Handle(r); });
  Client c(server_->port());
  const std::string auth = "Authorization: Basic Zm9vOmJhcg==\r\n";
  c.Send(Post(R"({"command":"lease4-update","service":["dhcp4"],"arguments":{"ip-address":"10.0.0.1",)"
              R"("hw-address":"02:00:00:00:00:01","valid-lft":600,"expire":1600,"state":0}})", auth));
  std::string r = c.ReadResponse();
  EXPECT_NE(r.find(R"([{"result":0,"text":"IPv4 lease updated."}])"), std::string::npos) << r;
  c.Send(Post(R"({"command":"ha-heartbeat","service":["dhcp4"]})", auth));
  EXPECT_NE(c.ReadResponse().find(R"("result":2)"), std::string::npos);
  c.Send(Post(R"({"command":"lease4-update","arguments":{"ip-address":"bogus"}})", auth));
  EXPECT_NE(c.ReadResponse().find(R"("result":1)"), std::string::npos);
  c.Send(Post(R"({"command":"lease4-del","service":["dhcp4"],"arguments":{"ip-address":"10.0.0.1",)"
              R"("hw-address":"02:00:00:00:00:01","valid-lft":600,"expire":1600,"state":0}})", auth));
  EXPECT_NE(c.ReadResponse().find("IPv4 lease deleted."), std::string::npos);
  stop_ = true;
  thread_.join();
  EXPECT_EQ(ingest.counters().updates, 1u);
  EXPECT_EQ(ingest.counters().deletes, 1u);
  EXPECT_EQ(ingest.counters().unsupported, 1u);
  EXPECT_EQ(ingest.counters().errors, 1u);
  EXPECT_EQ(store.size(), 0u);
}

// idle_timeout_ms: a keep-alive connection with nothing in progress is
// closed (not before the limit: measured from before the request was sent,
// which precedes the server's last progress), and counted.
TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions o;
  o.idle_timeout_ms = 300;
  o.request_timeout_ms = 60000;
  Start(o, Echo(&handled_));
  Client c(server_->port());
  ASSERT_TRUE(c.ok());
  const auto t0 = std::chrono::steady_clock::now();
  c.Send(Post("x"));
  ASSERT_NE(c.ReadResponse().find("200 OK"), std::string::npos);
  EXPECT_TRUE(c.PeerClosed());  // waits (SO_RCVTIMEO 10 s) for the server's close
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  stop_ = true;
  thread_.join();
  EXPECT_EQ(server_->counters().idle_timeouts, 1u);
  EXPECT_EQ(server_->counters().request_timeouts, 0u);
  EXPECT_EQ(server_->open_connections(), 0u);
}

// request_timeout_ms: a client that stops mid-request (here: half a body)
// loses its slot; a connected client that has sent nothing is idle, not
// stalled, and stays (its idle limit is a minute).
TEST_F(HttpServerTest, StalledRequestIsClosedAfterTheRequestTimeout) {
  HttpServerOptions o;
  o.idle_timeout_ms = 60000;
  o.request_timeout_ms = 300;
  Start(o, Echo(&handled_));
  Client quiet(server_->port());
  Client c(server_->port());
  ASSERT_TRUE(quiet.ok() && c.ok());
  const auto t0 = std::chrono::steady_clock::now();
  c.Send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(c.PeerClosed());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  stop_ = true;
  thread_.join();
  EXPECT_EQ(server_->counters().request_timeouts, 1u);
  EXPECT_EQ(server_->counters().idle_timeouts, 0u);
  EXPECT_EQ(server_->open_connections(), 1u);  // `quiet`
  EXPECT_EQ(handled_.load(), 0);
}

// The limits come from the listen objects of lqd's config.
TEST(HttpServerConfig, ListenTimeoutsFromConfig) {
  std::vector<std::string> errors;
  const nlohmann::json j = {{"kea-ha", {{"port", 0u}, {"idle-timeout-ms", 500u}, {"request-timeout-ms", 0u}}},
                            {"management", {{"port", 0u}}}};
  ControlConfig c = ParseControlConfig(j, "control", &errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  EXPECT_EQ(c.kea_ha.idle_timeout_ms, 500u);
  EXPECT_EQ(c.kea_ha.request_timeout_ms, 0u);  // disabled
  EXPECT_EQ(c.management.idle_timeout_ms, 30000u);
  EXPECT_EQ(c.management.request_timeout_ms, 10000u);
  const nlohmann::json bad = {{"kea-ha", {{"idle-timeout-ms", -1}, {"request-timeout-ms", 90000000u}}}};
  ParseControlConfig(bad, "control", &errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("control.kea-ha.idle-timeout-ms"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("at most 86400000"), std::string::npos) << errors[1];
}

}  // namespace
}  // namespace lqd::control
