// SPDX-License-Identifier: Apache-2.0
// File: tests/dataplane/config_fuzz.cc
//
// libFuzzer target for the configuration loader: any text either yields a
// config or errors, each error names a JSON path, never both.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  lqd::dataplane::ConfigResult r = lqd::dataplane::ParseConfig(text);
  if (r.config.has_value() == !r.errors.empty()) std::abort();
  for (const auto& e : r.errors)
    if (e.find(':') == std::string::npos) std::abort();  // "path: message"
  return 0;
}
