// SPDX-License-Identifier: Apache-2.0
// File: client/answer_format.h
//
// Renders a decoded Answer for people (an aligned table) or programs (one
// JSON object). Pure functions; lq-query prints their result.
#pragma once

#include <cstdint>
#include <string>

#include "client/answer.h"

namespace lqd::client {

// Name of a DHCP option as lq-query prints it ("lease-time"), or "option-N".
std::string OptionName(uint8_t code);

std::string FormatAnswerTable(const Answer& a);
std::string FormatAnswerJson(const Answer& a);

// JSON string literal with quotes, escaping control and non-ASCII bytes.
std::string JsonString(std::string_view s);

}  // namespace lqd::client
