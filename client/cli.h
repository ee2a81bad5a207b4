// SPDX-License-Identifier: Apache-2.0
// File: client/cli.h
//
// Command-line plumbing shared by lq-query and lq-storm: usage errors exit
// 64 (EX_USAGE) and name the argument and what was expected. absl's own
// parser exits 1 on an unknown flag or a bad typed value, so flags are
// pre-checked here and typed values are parsed from strings by the tools.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace lqd::client::cli {

inline constexpr int kExitUsage = 64;
inline constexpr int kExitOsError = 71;

// Prints "PROG: --FLAG: MESSAGE" and a hint, exits 64.
[[noreturn]] void UsageError(std::string_view flag, std::string_view message);
[[noreturn]] void UsageError(std::string_view flag, const absl::Status& status);
// Exits 64 if argv has an unknown flag (before absl::ParseCommandLine would
// exit 1) or a positional argument. Rewrites '-' in flag names to '_' in
// place, so --client-id and --client_id both work.
void CheckArgvOrExit(int argc, char** argv);

// Value parsers: the error text says what was expected.
absl::Status ParseUint(std::string_view s, uint64_t min, uint64_t max, uint64_t& out);
absl::Status ParseSeconds(std::string_view s, double& out);  // >= 0, fractional ok

}  // namespace lqd::client::cli
