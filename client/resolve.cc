// SPDX-License-Identifier: Apache-2.0
// File: client/resolve.cc
#include "client/resolve.h"

namespace lqd::client {
namespace {

int Rank(LeaseState s) {
  switch (s) {
    case LeaseState::kActive: return 2;
    case LeaseState::kUnassigned: return 1;
    case LeaseState::kUnknown: return 0;
  }
  return 0;
}

// True when `a` should replace the current best `b`.
bool Better(const Answer& a, const Answer& b) {
  if (Rank(a.state) != Rank(b.state)) return Rank(a.state) > Rank(b.state);
  if (a.state != LeaseState::kActive) return false;
  const auto& ta = a.client_last_transaction_time;
  const auto& tb = b.client_last_transaction_time;
  if (ta && !tb) return true;
  if (!ta) return false;
  return *ta < *tb;
}

}  // namespace

std::optional<size_t> ResolveAnswers(std::span<const ServerAnswer> answers) {
  if (answers.empty()) return std::nullopt;
  size_t best = 0;
  for (size_t i = 1; i < answers.size(); ++i) {
    if (Better(answers[i].answer, answers[best].answer)) best = i;
  }
  return best;
}

}  // namespace lqd::client
