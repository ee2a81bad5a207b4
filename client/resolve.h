// SPDX-License-Identifier: Apache-2.0
// File: client/resolve.h
//
// Choosing among answers from several servers for one query (RFC 4388 6.8,
// ACTIVE beats UNASSIGNED beats UNKNOWN (only an ACTIVE carries a
// transaction time, and a server that does not know the lease says least);
// among ACTIVE answers the most recent client transaction wins, i.e. the
// smallest option 91 (seconds since CLTT); an ACTIVE without option 91
// loses to one with it; remaining ties go to the first received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "client/answer.h"

namespace lqd::client {

struct ServerAnswer {
  uint32_t server = 0;
  Answer answer;
};

// Index of the winning answer, nullopt for an empty list.
std::optional<size_t> ResolveAnswers(std::span<const ServerAnswer> answers);

}  // namespace lqd::client
