// SPDX-License-Identifier: Apache-2.0
// File: tests/client/resolve_test.cc
#include "client/resolve.h"

#include <gtest/gtest.h>

namespace lqd::client {
namespace {

ServerAnswer A(uint32_t server, LeaseState s, std::optional<uint32_t> cltt = std::nullopt) {
  ServerAnswer a;
  a.server = server;
  a.answer.state = s;
  a.answer.client_last_transaction_time = cltt;
  return a;
}

TEST(Resolve, R19_MostRecentTransactionWins) {
  std::vector<ServerAnswer> v{A(1, LeaseState::kActive, 600), A(2, LeaseState::kActive, 30),
                              A(3, LeaseState::kActive, 90)};
  EXPECT_EQ(ResolveAnswers(v), 1u);  // 30 s since CLTT is the most recent
}

TEST(Resolve, R19_ActiveWithOption91BeatsActiveWithout) {
  std::vector<ServerAnswer> v{A(1, LeaseState::kActive), A(2, LeaseState::kActive, 5000)};
  EXPECT_EQ(ResolveAnswers(v), 1u);
  std::vector<ServerAnswer> w{A(1, LeaseState::kActive), A(2, LeaseState::kActive)};
  EXPECT_EQ(ResolveAnswers(w), 0u);  // tie: first received
}

TEST(Resolve, R19_ActiveBeatsUnassignedBeatsUnknown) {
  std::vector<ServerAnswer> v{A(1, LeaseState::kUnknown), A(2, LeaseState::kUnassigned),
                              A(3, LeaseState::kActive, 10)};
  EXPECT_EQ(ResolveAnswers(v), 2u);
  std::vector<ServerAnswer> w{A(1, LeaseState::kUnknown), A(2, LeaseState::kUnassigned)};
  EXPECT_EQ(ResolveAnswers(w), 1u);
  EXPECT_FALSE(ResolveAnswers({}).has_value());
}

}  // namespace
}  // namespace lqd::client
