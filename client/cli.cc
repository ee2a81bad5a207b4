// SPDX-License-Identifier: Apache-2.0
// File: client/cli.cc
#include "client/cli.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace lqd::client::cli {
namespace {

absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string g_prog = "lq";

}  // namespace

void UsageError(std::string_view flag, std::string_view message) {
  std::fprintf(stderr, "%s: %s%s%s\n(see %s --help)\n", g_prog.c_str(),
               flag.empty() ? "" : std::string(flag).c_str(), flag.empty() ? "" : ": ",
               std::string(message).c_str(), g_prog.c_str());
  std::exit(kExitUsage);
}

void UsageError(std::string_view flag, const absl::Status& status) {
  const absl::string_view m = status.message();
  UsageError(flag, std::string_view(m.data(), m.size()));
}

void CheckArgvOrExit(int argc, char** argv) {
  if (argc > 0) {
    g_prog = argv[0];
    const size_t slash = g_prog.rfind('/');
    if (slash != std::string::npos) g_prog = g_prog.substr(slash + 1);
  }
  static const char* kBuiltin[] = {"help", "helpfull", "helpshort", "helppackage", "version",
                                   "only_check_args", "flagfile", "fromenv", "tryfromenv",
                                   "undefok"};
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') {
      UsageError(a, "unexpected positional argument (every argument is a --flag)");
    }
    a.remove_prefix(a[1] == '-' ? 2 : 1);
    // absl flag names use '_'; accept the conventional '-' (--client-id) by
    // rewriting the name in place before absl::ParseCommandLine sees it.
    char* name_start = const_cast<char*>(a.data());
    const size_t name_len = std::min(a.find('='), a.size());
    for (size_t k = 0; k < name_len; ++k) {
      if (name_start[k] == '-') name_start[k] = '_';
    }
    std::string name(a.substr(0, name_len));
    const bool has_value = a.find('=') != std::string_view::npos;
    bool builtin = false;
    for (const char* b : kBuiltin) builtin |= name == b;
    if (builtin) continue;
    absl::CommandLineFlag* f = absl::FindCommandLineFlag(name);
    if (f == nullptr && name.rfind("no", 0) == 0) {
      f = absl::FindCommandLineFlag(name.substr(2));
      if (f != nullptr && !f->IsOfType<bool>()) f = nullptr;
    }
    if (f == nullptr) UsageError(argv[i], "unknown flag");
    if (!f->IsOfType<bool>() && !has_value) {
      if (i + 1 >= argc) UsageError(argv[i], "a value is expected after it");
      ++i;  // the value
    }
  }
}

absl::Status ParseUint(std::string_view s, uint64_t min, uint64_t max, uint64_t& out) {
  uint64_t v = 0;
  if (!absl::SimpleAtoi(A(s), &v) || v < min || v > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", A(s), "' is not a whole number in ", min, "..", max));
  }
  out = v;
  return absl::OkStatus();
}

absl::Status ParseSeconds(std::string_view s, double& out) {
  double v = 0;
  if (!absl::SimpleAtod(A(s), &v) || !(v >= 0) || v > 1e7) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", A(s), "' is not a number of seconds (e.g. 5 or 0.5)"));
  }
  out = v;
  return absl::OkStatus();
}

}  // namespace lqd::client::cli
