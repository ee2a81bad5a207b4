// SPDX-License-Identifier: Apache-2.0
// File: client/lq_query_main.cc
//
// lq-query: one DHCPLEASEQUERY, sent the way a relay agent sends it, and the
// decoded answer.
//
//   lq-query --server 192.0.2.1 --giaddr 192.0.2.2 --ip 198.51.100.10
//   lq-query --server 192.0.2.1 --mac 02:00:00:00:00:01 --json
//   lq-query --server 192.0.2.1 --client-id 01:02:00:00:00:00:01 --prl 51,82,91
//
// Binds giaddr:port (67 by default, so root) because the server answers to
// giaddr:67; sends to server:port; retransmits with the library's backoff
// (first retry no sooner than 10 s toward a server that has not answered,
// RFC 4388 6.6) until --retries retransmissions or --timeout seconds.
// Exit status: 0 ACTIVE, 1 UNASSIGNED, 2 UNKNOWN, 3 no answer, 64 usage
// error, 71 local error (socket).
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/answer_format.h"
#include "client/cli.h"
#include "client/requester.h"
#include "client/text.h"
#include "client/udp_socket.h"

ABSL_FLAG(std::string, server, "", "leasequery server address (required)");
ABSL_FLAG(std::string, giaddr, "",
          "own (relay) address, bound and sent as giaddr; default: the source address "
          "routed toward --server");
ABSL_FLAG(std::string, port, "67", "server port, also the local port the answer comes to");
ABSL_FLAG(std::string, ip, "", "query by IP address");
ABSL_FLAG(std::string, mac, "", "query by hardware address (Ethernet, e.g. 02:00:00:00:00:01)");
ABSL_FLAG(std::string, client_id, "",
          "query by client-id: hex bytes (01:02:..., 0x0102...) or a literal string");
ABSL_FLAG(std::string, prl, "", "parameter request list, e.g. 51,82,91 (default: 51,54,58-61,82,91,92)");
ABSL_FLAG(std::string, timeout, "30", "give up after this many seconds");
ABSL_FLAG(std::string, retries, "3", "retransmissions after the first query");
ABSL_FLAG(bool, json, false, "print the answer as one JSON object");
ABSL_FLAG(std::string, auth_key, "",
          "RFC 3118 delayed authentication: ID:SECRET or ID:hex:HEX; signs the query and "
          "accepts only a reply signed with the same key");
ABSL_FLAG(bool, freebind, false, "bind giaddr even if it is not configured here (IP_FREEBIND)");

namespace lqd::client {
namespace {

constexpr int kExitNoAnswer = 3;

template <typename T>
T OrUsage(absl::StatusOr<T> v, std::string_view flag) {
  if (!v.ok()) cli::UsageError(flag, v.status());
  return *std::move(v);
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "lq-query --server ADDR [--giaddr ADDR] [--port 67] (--ip A | --mac M | --client-id "
      "HEX|STRING) [--prl 51,82,...] [--timeout S] [--retries N] [--auth-key ID:SECRET] [--json]\n"
      "Exit: 0 ACTIVE, 1 UNASSIGNED, 2 UNKNOWN, 3 no answer, 64 usage error, 71 local error.");
  cli::CheckArgvOrExit(argc, argv);
  absl::ParseCommandLine(argc, argv);

  if (absl::GetFlag(FLAGS_server).empty()) cli::UsageError("--server", "required (the server address)");
  const uint32_t server = OrUsage(ParseIpv4(absl::GetFlag(FLAGS_server)), "--server");
  uint64_t port = 0, retries = 0;
  if (auto s = cli::ParseUint(absl::GetFlag(FLAGS_port), 1, 65535, port); !s.ok()) {
    cli::UsageError("--port", s);
  }
  if (auto s = cli::ParseUint(absl::GetFlag(FLAGS_retries), 0, 100, retries); !s.ok()) {
    cli::UsageError("--retries", s);
  }
  double timeout_s = 0;
  if (auto s = cli::ParseSeconds(absl::GetFlag(FLAGS_timeout), timeout_s); !s.ok() || timeout_s <= 0) {
    cli::UsageError("--timeout", "expected a positive number of seconds (e.g. 5)");
  }
  const int selectors = !absl::GetFlag(FLAGS_ip).empty() + !absl::GetFlag(FLAGS_mac).empty() +
                        !absl::GetFlag(FLAGS_client_id).empty();
  if (selectors != 1) {
    cli::UsageError("--ip/--mac/--client-id", "exactly one of them is expected");
  }
  QueryKey key;
  if (!absl::GetFlag(FLAGS_ip).empty()) {
    key = QueryKey::ByIp(OrUsage(ParseIpv4(absl::GetFlag(FLAGS_ip)), "--ip"));
  } else if (!absl::GetFlag(FLAGS_mac).empty()) {
    key = QueryKey::ByMac(OrUsage(ParseMac(absl::GetFlag(FLAGS_mac)), "--mac"));
  } else {
    key = QueryKey::ByClientId(OrUsage(ParseClientId(absl::GetFlag(FLAGS_client_id)), "--client-id"));
  }
  if (auto s = ValidateKey(key); !s.ok()) cli::UsageError("--ip/--mac/--client-id", s);

  RequesterConfig config;
  config.servers = {server};
  if (!absl::GetFlag(FLAGS_prl).empty()) {
    config.prl = OrUsage(ParseOptionList(absl::GetFlag(FLAGS_prl)), "--prl");
  }
  if (absl::GetFlag(FLAGS_giaddr).empty()) {
    auto src = SourceAddressFor(server, static_cast<uint16_t>(port));
    if (!src.ok()) {
      std::fprintf(stderr, "lq-query: %s\n", std::string(src.status().message()).c_str());
      return cli::kExitOsError;
    }
    config.giaddr = *src;
  } else {
    config.giaddr = OrUsage(ParseIpv4(absl::GetFlag(FLAGS_giaddr)), "--giaddr");
    if (config.giaddr == 0) cli::UsageError("--giaddr", "0.0.0.0 gets no answer; give the relay's own address");
  }
  if (!absl::GetFlag(FLAGS_auth_key).empty())
    config.auth = OrUsage(ParseAuthKey(absl::GetFlag(FLAGS_auth_key)), "--auth-key");
  config.max_transmissions = static_cast<int>(retries) + 1;
  config.cache_answers = false;

  auto socket = UdpSocket::Bind(config.giaddr, static_cast<uint16_t>(port), absl::GetFlag(FLAGS_freebind));
  if (!socket.ok()) {
    std::fprintf(stderr, "lq-query: %s\n", std::string(socket.status().message()).c_str());
    return cli::kExitOsError;
  }
  UdpTransport transport(*socket, static_cast<uint16_t>(port));
  SystemClock clock;
  SeededRandom rng(absl::ToUnixNanos(absl::Now()) ^ (static_cast<uint64_t>(getpid()) << 32));
  auto requester = Requester::Create(config, clock, transport, rng);
  if (!requester.ok()) cli::UsageError("", requester.status());

  std::optional<QueryResult> result;
  if (auto s = (*requester)->Query(key, [&](const QueryResult& r) { result = r; }); !s.ok()) {
    cli::UsageError("", s);
  }
  const absl::Time deadline = clock.Now() + absl::Seconds(timeout_s);
  std::array<uint8_t, 4096> buf;
  while (!result && clock.Now() < deadline) {
    const absl::Time wake = std::min((*requester)->NextWakeup(), deadline);
    auto d = socket->Receive(buf, std::max(wake - clock.Now(), absl::ZeroDuration()));
    if (!d.ok()) {
      std::fprintf(stderr, "lq-query: %s\n", std::string(d.status().message()).c_str());
      return cli::kExitOsError;
    }
    if (d->has_value()) (*requester)->OnDatagram((*d)->from, {buf.data(), (*d)->len});
    (*requester)->Poll();
  }
  const RequesterStats& st = (*requester)->stats();
  if (!result || !result->answer) {
    if (absl::GetFlag(FLAGS_json)) {
      std::printf("{\"server\":%s,\"query\":%s,\"state\":\"NO-ANSWER\",\"transmissions\":%llu,"
                  "\"auth_rejected\":%llu}\n",
                  JsonString(FormatIpv4(server)).c_str(), JsonString(key.ToString()).c_str(),
                  static_cast<unsigned long long>(st.transmissions),
                  static_cast<unsigned long long>(st.auth_rejected + st.auth_replayed));
    } else {
      std::fprintf(stderr, "lq-query: no answer from %s for %s after %llu transmission(s)%s\n",
                   FormatIpv4(server).c_str(), key.ToString().c_str(),
                   static_cast<unsigned long long>(st.transmissions),
                   st.malformed || st.stray || st.auth_rejected || st.auth_replayed
                       ? absl::StrCat(" (ignored ", st.malformed, " malformed, ", st.stray,
                                      " unmatched datagrams, ", st.auth_rejected + st.auth_replayed,
                                      " replies failing authentication)").c_str()
                       : "");
    }
    return kExitNoAnswer;
  }
  const Answer& a = *result->answer;
  if (absl::GetFlag(FLAGS_json)) {
    std::printf("{\"server\":%s,\"query\":%s,\"transmissions\":%d,\"latency_ms\":%.3f,"
                "\"auth\":\"%s\",\"answer\":%s}\n",
                JsonString(FormatIpv4(result->server)).c_str(), JsonString(key.ToString()).c_str(),
                result->transmissions, absl::ToDoubleMilliseconds(result->latency),
                config.auth ? "verified" : "off",
                FormatAnswerJson(a).c_str());
  } else {
    std::printf("%-34s %s\n%-34s %s -> %s (%d transmission(s), %.3f ms)\n", "query",
                key.ToString().c_str(), "from", FormatIpv4(config.giaddr).c_str(),
                FormatIpv4(result->server).c_str(), result->transmissions,
                absl::ToDoubleMilliseconds(result->latency));
    std::fputs(FormatAnswerTable(a).c_str(), stdout);
    if (config.auth) std::printf("%-34s verified (RFC 3118 key %u)\n", "auth", config.auth->id);
  }
  switch (a.state) {
    case LeaseState::kActive: return 0;
    case LeaseState::kUnassigned: return 1;
    case LeaseState::kUnknown: return 2;
  }
  return kExitNoAnswer;
}

}  // namespace
}  // namespace lqd::client

int main(int argc, char** argv) { return lqd::client::Main(argc, argv); }
