// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/relay_agent_info_fuzz.cc
//
// libFuzzer target for the option 82 view: whatever Parse() accepts, the
// iteration stays inside the payload and covers it exactly.
#include <cstdint>
#include <cstdlib>

#include "dhcp/relay_agent_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rai = lqd::dhcp::RelayAgentInfo::Parse({data, size});
  if (!rai) return 0;
  size_t covered = 0;
  for (const auto s : *rai) {
    if (s.value.data() < data || s.value.data() + s.value.size() > data + size) std::abort();
    covered += 2 + s.value.size();
  }
  if (covered != size) std::abort();
  (void)rai->relay_port();
  (void)rai->link_selection();
  return 0;
}
