// SPDX-License-Identifier: Apache-2.0
// File: control/log.h
//
// Structured logs: one line per event on stderr, in logfmt, e.g.
//   ts=2026-11-29T11:40:01.234Z level=info component=kea-pull msg="pull complete" leases=5 pages=1
// Keys are fixed words; values are quoted when they hold a space, '"',
// '=' or a control character (escaped as \", \\, \n, \t, \xNN), so every
// line parses with a logfmt reader and one event never spans two lines.
//
// Levels: debug < info < warn < error; events below the process-wide level
// are dropped before they are formatted. The level comes from the config's
// "log-level" and lqd's --log-level (the command line wins).
//
// Secrets never reach this facility: callers log what happened ("kea-pull
// refused the credentials"), never credentials, keys or Authorization
// headers (tests/control/log_test.cc checks a configured password does not
// appear in a whole start-up's output).
//
// Thread-safe: a line is formatted privately and written with one write(2).
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lqd::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" (or "warning"), "error".
absl::StatusOr<Level> ParseLevel(absl::string_view s);
const char* LevelName(Level l);

void SetLevel(Level l);
Level GetLevel();
inline bool Enabled(Level l) { return static_cast<int>(l) >= static_cast<int>(GetLevel()); }

// Where lines go (default: stderr). Tests capture them; nullptr restores stderr.
void SetSink(std::function<void(const std::string& line)> sink);

using Field = std::pair<absl::string_view, std::string>;

// Emits one event. `component` names the part of lqd ("control", "kea-ha",
// "kea-pull", "persistence", "follower", "reload", "dataplane", ...).
void Event(Level level, absl::string_view component, absl::string_view msg, std::initializer_list<Field> fields = {});

// The formatted line without the trailing newline (exposed for tests).
std::string Format(Level level, absl::string_view component, absl::string_view msg,
                   std::initializer_list<Field> fields, int64_t unix_ms);

inline void Debug(absl::string_view c, absl::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Event(Level::kDebug, c, m, f);
}
inline void Info(absl::string_view c, absl::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kInfo)) Event(Level::kInfo, c, m, f);
}
inline void Warn(absl::string_view c, absl::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kWarn)) Event(Level::kWarn, c, m, f);
}
inline void Error(absl::string_view c, absl::string_view m, std::initializer_list<Field> f = {}) {
  Event(Level::kError, c, m, f);
}

}  // namespace lqd::log
