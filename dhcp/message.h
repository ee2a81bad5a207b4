// SPDX-License-Identifier: Apache-2.0
// File: dhcp/message.h
//
// Zero-copy parser for one BOOTP/DHCPv4 message.
//
// ParseMessage() validates a byte span and fills a ParsedMessage whose
// fields point into that span. Nothing is allocated; the caller owns both
// the span and the ParsedMessage (the dataplane keeps one per lcore and
// reuses it for every packet), and the span must outlive the view.
//
// What the parser promises:
//  * It never reads outside the span, whatever the bytes are.
//  * Every rejected message gets one specific ParseError (see the X-macro
//    list below), so the dataplane can count drops by reason.
//  * Options are gathered from the options field, then, when option 52
//    (overload) says so, from `file` and then `sname` (RFC 2131 4.1).
//  * An option code that appears more than once is concatenated in order
//    (RFC 3396). Only then is a copy made, into the ParsedMessage's own
//    fixed scratch area; a single occurrence stays a view into the packet.
//
// It does not judge leasequery semantics (selectors, giaddr, which option 53
// values to answer): that is the query engine's job, so the same parser
// serves the client tools too.
//
// Checks run in this order, and the first failure is reported: header
// (length, cookie, op, hlen); options-field TLVs (which must close with
// END); option 52; file then sname TLVs as option 52 selects (END or the
// field boundary both end them); RFC 3396 scratch space; option 53; option
// 61; option 82. Bytes after an END are ignored. A split option 52 is
// kBadOverload and a repeated option 53 is kDuplicateMessageType, since
// neither may legitimately be longer than one byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "dhcp/wire.h"

namespace lqd::dhcp {

// X-macro: one line per reason, so enum and names stay in step.
#define LQD_FOREACH_PARSE_ERROR(_)                                          \
  _(kTruncatedHeader, "truncated-header", "shorter than 240 bytes")        \
  _(kBadMagicCookie, "bad-magic-cookie", "magic cookie is not 99.130.83.99") \
  _(kBadOp, "bad-op", "op is neither BOOTREQUEST nor BOOTREPLY")           \
  _(kHlenTooLong, "hlen-too-long", "hlen is greater than 16")              \
  _(kOptionTruncated, "option-truncated",                                   \
    "an option's code or length byte is past the end of its field")         \
  _(kOptionOverrun, "option-overrun", "an option's value runs past the end of its field") \
  _(kMissingEnd, "missing-end", "options field has no END option")          \
  _(kBadOverload, "bad-overload", "option 52 has a bad length or value")    \
  _(kOverloadNested, "overload-nested", "option 52 appears inside file or sname") \
  _(kTooManyOptions, "too-many-options", "more distinct options than the parser keeps") \
  _(kOptionsTooLong, "options-too-long",                                    \
    "concatenated (RFC 3396) options exceed the parser's scratch space")    \
  _(kBadMessageTypeLength, "bad-message-type-length", "option 53 length is not 1") \
  _(kDuplicateMessageType, "duplicate-message-type", "option 53 appears more than once") \
  _(kMissingMessageType, "missing-message-type", "no option 53")           \
  _(kEmptyClientId, "empty-client-id", "option 61 has length 0")           \
  _(kBadRelayAgentInfo, "bad-relay-agent-info",                             \
    "option 82 is shorter than 2 bytes or a sub-option overruns it")

enum class ParseError : uint8_t {
#define LQD_PARSE_ERROR_ENUM(name, str, why) name,
  LQD_FOREACH_PARSE_ERROR(LQD_PARSE_ERROR_ENUM)
#undef LQD_PARSE_ERROR_ENUM
      kCount
};

// Short, stable, metric-friendly name ("bad-magic-cookie").
const char* ParseErrorName(ParseError e);
// One sentence saying what was wrong.
const char* ParseErrorDescription(ParseError e);

// A view of one option's value (after RFC 3396 concatenation).
struct OptionView {
  uint8_t code = 0;
  uint16_t len = 0;
  const uint8_t* data = nullptr;
  std::span<const uint8_t> bytes() const { return {data, len}; }
};

// Copying is allowed but beware: a copy's views still point into the
// original's packet and scratch area, so they change when the original is
// reused for the next packet.
class ParsedMessage {
 public:
  // Distinct options kept per message. A leasequery carries 3 to 6; anything
  // beyond this is a hostile or broken packet and is rejected.
  static constexpr size_t kMaxOptions = 48;
  // Room for concatenated copies of split options (RFC 3396). A message
  // that fits one Ethernet frame cannot need more.
  static constexpr size_t kScratchLen = 1536;

  // Header fields, decoded. Addresses are host-order uint32.
  uint8_t op = 0;
  uint8_t htype = 0;
  uint8_t hlen = 0;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  uint32_t ciaddr = 0;
  uint32_t yiaddr = 0;
  uint32_t siaddr = 0;
  uint32_t giaddr = 0;
  const uint8_t* chaddr = nullptr;  // kChaddrLen bytes in the packet

  MessageType message_type = MessageType::kNone;
  uint8_t overload = 0;  // option 52 value, 0 if absent

  // The whole message as parsed (the span given to ParseMessage).
  std::span<const uint8_t> raw;

  // Lookup by code; nullptr when absent. An absent code (most lookups: a
  // leasequery carries 3 to 6 options) is answered by a 256-bit presence
  // mask; a present one by a scan of that handful, which costs less than
  // clearing a 256-entry table for every packet.
  const OptionView* Find(uint8_t code) const {
    if (((present_[code >> 6] >> (code & 63)) & 1) == 0) return nullptr;
    for (size_t i = 0; i < num_options_; ++i) {
      if (options_[i].code == code) return &options_[i];
    }
    return nullptr;
  }
  bool Has(uint8_t code) const { return Find(code) != nullptr; }
  std::span<const OptionView> options() const { return {options_.data(), num_options_}; }

  // True when htype, hlen and chaddr carry a hardware address: htype != 0,
  // hlen > 0 and chaddr[0, hlen) not all zero (RFC 4388 6.2: all three zero
  // means "no MAC selector"). A non-zero htype with hlen == 0 is treated as
  // no hardware address too: there are no chaddr bytes to match.
  bool HasHardwareAddress() const;

 private:
  friend std::optional<ParseError> ParseMessage(std::span<const uint8_t>, ParsedMessage&);
  friend class OptionCollector;

  void ClearOptions() {
    num_options_ = 0;
    present_ = {};
  }

  std::array<OptionView, kMaxOptions> options_;
  size_t num_options_ = 0;
  std::array<uint64_t, 4> present_ = {};  // bit c: options_ holds code c
  std::array<uint8_t, kScratchLen> scratch_;
  size_t scratch_used_ = 0;
};

// Parses `bytes` into `out`. Returns std::nullopt on success or the first
// error found. On error options() is empty, Find() returns nullptr,
// message_type is kNone and overload 0; the header fields are unspecified.
std::optional<ParseError> ParseMessage(std::span<const uint8_t> bytes, ParsedMessage& out);

}  // namespace lqd::dhcp
