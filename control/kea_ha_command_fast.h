// SPDX-License-Identifier: Apache-2.0
// File: control/kea_ha_command_fast.h
//
// The Kea HA ingest's hot path: a single-pass scanner (no DOM, no heap
// allocation for the usual body) for lease4-update / lease4-del.
//
// It only accepts what it is sure of: strict JSON, strings without escapes
// or non-ASCII bytes, integers as plain digits, no duplicate among the keys
// it reads, IPv4 addresses in canonical dotted-quad form, hex in its plain
// forms, and every field valid. For anything else it returns false and
// ParseKeaCommand asks the DOM path (ParseKeaCommandDom), which owns every
// error message and every field rule. So for every body both give the same
// result; tests/control/kea_ha_command_test.cc and the kea_feeds fuzzer
// check that.
#pragma once

#include <string_view>

#include "control/kea_ha_command.h"

namespace lqd::control {

// Fills *out (a default-constructed KeaCommand) and returns true for a
// valid lease4-update / lease4-del it fully understood; false otherwise
// (*out is then unspecified).
bool FastParseKeaCommand(std::string_view body, KeaCommand* out);

}  // namespace lqd::control
