// SPDX-License-Identifier: Apache-2.0
// File: control/log.cc
#include "control/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lqd::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_sink_mu;
std::function<void(const std::string&)> g_sink;  // guarded by g_sink_mu

bool NeedsQuotes(absl::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
  return false;
}

void AppendValue(std::string* out, absl::string_view v) {
  if (!NeedsQuotes(v)) {
    out->append(v.data(), v.size());
    return;
  }
  out->push_back('"');
  for (unsigned char c : v) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < ' ' || c == 0x7f) absl::StrAppendFormat(out, "\\x%02x", c);
        else out->push_back(static_cast<char>(c));  // UTF-8 passes through
    }
  }
  out->push_back('"');
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view s) {
  const std::string l = absl::AsciiStrToLower(s);
  if (l == "debug") return Level::kDebug;
  if (l == "info") return Level::kInfo;
  if (l == "warn" || l == "warning") return Level::kWarn;
  if (l == "error") return Level::kError;
  return absl::InvalidArgumentError(absl::StrCat("'", s, "' is not a log level (debug, info, warn, error)"));
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void SetLevel(Level l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
Level GetLevel() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

void SetSink(std::function<void(const std::string&)> sink) {
  std::lock_guard<std::mutex> g(g_sink_mu);
  g_sink = std::move(sink);
}

std::string Format(Level level, absl::string_view component, absl::string_view msg,
                   std::initializer_list<Field> fields, int64_t unix_ms) {
  const time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  std::string out = absl::StrFormat("ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s component=", tm.tm_year + 1900,
                                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                    static_cast<int>(unix_ms % 1000), LevelName(level));
  AppendValue(&out, component);
  out.append(" msg=");
  AppendValue(&out, msg);
  for (const Field& f : fields) {
    out.push_back(' ');
    out.append(f.first.data(), f.first.size());
    out.push_back('=');
    AppendValue(&out, f.second);
  }
  return out;
}

void Event(Level level, absl::string_view component, absl::string_view msg, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::string line = Format(level, component, msg, fields, ms);
  std::lock_guard<std::mutex> g(g_sink_mu);
  if (g_sink) {
    g_sink(line);
    return;
  }
  line.push_back('\n');
  // One write: lines from several threads never interleave.
  for (size_t off = 0; off < line.size();) {
    ssize_t n = write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

}  // namespace lqd::log
