// SPDX-License-Identifier: Apache-2.0
// File: dhcp/message.cc
#include "dhcp/message.h"

#include <algorithm>

#include "dhcp/relay_agent_info.h"

namespace lqd::dhcp {

const char* ParseErrorName(ParseError e) {
  switch (e) {
#define LQD_PARSE_ERROR_NAME(name, str, why) \
  case ParseError::name:                     \
    return str;
    LQD_FOREACH_PARSE_ERROR(LQD_PARSE_ERROR_NAME)
#undef LQD_PARSE_ERROR_NAME
    case ParseError::kCount: break;
  }
  return "unknown";
}

const char* ParseErrorDescription(ParseError e) {
  switch (e) {
#define LQD_PARSE_ERROR_WHY(name, str, why) \
  case ParseError::name:                    \
    return why;
    LQD_FOREACH_PARSE_ERROR(LQD_PARSE_ERROR_WHY)
#undef LQD_PARSE_ERROR_WHY
    case ParseError::kCount: break;
  }
  return "unknown parse error";
}

bool ParsedMessage::HasHardwareAddress() const {
  // hlen == 0 leaves no bytes to match, so whatever htype says there is no
  // MAC selector; htype == 0 names no hardware type to match against.
  if (chaddr == nullptr || htype == 0 || hlen == 0) return false;
  const size_t n = std::min<size_t>(hlen, kChaddrLen);
  return std::any_of(chaddr, chaddr + n, [](uint8_t b) { return b != 0; });
}

// Gathers the options of one message in two passes so that the common case,
// every code once, costs one walk and no copy:
//  1. Scan() walks a field, checks every TLV against the field's end and
//     records each distinct code with its first fragment and total length.
//  2. Concatenate() runs only if some code repeated: it lays the split
//     codes out in the scratch area and walks the (now validated) fields
//     again, appending each fragment in RFC 3396 order.
class OptionCollector {
 public:
  explicit OptionCollector(ParsedMessage& m) : m_(m) {}

  // `must_end`: the options field must close with END; file and sname may
  // simply stop at their boundary. Option 52 is only legal in the options
  // field (RFC 2131 4.1): anywhere else it would re-open fields already read.
  std::optional<ParseError> Scan(std::span<const uint8_t> field, bool must_end) {
    const uint8_t* p = field.data();
    const uint8_t* const end = p + field.size();
    while (p < end) {
      const uint8_t code = p[0];
      if (code == opt::kPad) {
        ++p;
        continue;
      }
      if (code == opt::kEnd) {
        regions_[num_regions_++] = {field.data(), p};
        return std::nullopt;
      }
      if (end - p < 2) return ParseError::kOptionTruncated;
      const uint8_t len = p[1];
      if (end - p - 2 < len) return ParseError::kOptionOverrun;
      if (!must_end && code == opt::kOverload) return ParseError::kOverloadNested;
      if (auto err = Add(code, p + 2, len)) return err;
      p += 2 + len;
    }
    if (must_end) return ParseError::kMissingEnd;
    regions_[num_regions_++] = {field.data(), end};
    return std::nullopt;
  }

  std::optional<ParseError> Concatenate() {
    if (!any_split_) return std::nullopt;
    size_t used = 0;
    for (size_t i = 0; i < m_.num_options_; ++i) {
      if (!split_[i]) continue;
      if (m_.options_[i].len > ParsedMessage::kScratchLen - used) return ParseError::kOptionsTooLong;
      offset_[i] = used;
      filled_[i] = 0;
      used += m_.options_[i].len;
    }
    for (size_t r = 0; r < num_regions_; ++r) {
      const uint8_t* p = regions_[r].begin;
      while (p < regions_[r].end) {
        if (p[0] == opt::kPad) {
          ++p;
          continue;
        }
        const size_t i = IndexOf(p[0]);
        if (split_[i]) {
          std::copy_n(p + 2, p[1], m_.scratch_.data() + offset_[i] + filled_[i]);
          filled_[i] += p[1];
        }
        p += 2 + p[1];
      }
    }
    for (size_t i = 0; i < m_.num_options_; ++i) {
      if (split_[i]) m_.options_[i].data = m_.scratch_.data() + offset_[i];
    }
    m_.scratch_used_ = used;
    return std::nullopt;
  }

  // Whether `o` (an entry of the message being collected) had several
  // fragments: options 52 and 53 must not.
  bool IsSplit(const OptionView* o) const { return split_[o - m_.options_.data()]; }

 private:
  struct Region {
    const uint8_t* begin;
    const uint8_t* end;  // END or the field boundary, exclusive
  };

  std::optional<ParseError> Add(uint8_t code, const uint8_t* data, uint8_t len) {
    if (const OptionView* seen = m_.Find(code)) {  // a repeat: RFC 3396 split
      OptionView& o = m_.options_[seen - m_.options_.data()];
      // Checked per code as it grows so `len` (uint16_t) cannot wrap on a
      // large input made of many fragments.
      if (len > ParsedMessage::kScratchLen - o.len) return ParseError::kOptionsTooLong;
      o.len = static_cast<uint16_t>(o.len + len);
      split_[&o - m_.options_.data()] = true;
      any_split_ = true;
      return std::nullopt;
    }
    if (m_.num_options_ == ParsedMessage::kMaxOptions) return ParseError::kTooManyOptions;
    split_[m_.num_options_] = false;
    m_.options_[m_.num_options_++] = {code, len, data};
    m_.present_[code >> 6] |= uint64_t{1} << (code & 63);
    return std::nullopt;
  }

  size_t IndexOf(uint8_t code) const {
    return static_cast<size_t>(m_.Find(code) - m_.options_.data());
  }

  ParsedMessage& m_;
  std::array<Region, 3> regions_;  // options, file, sname: at most once each
  size_t num_regions_ = 0;
  bool any_split_ = false;
  std::array<bool, ParsedMessage::kMaxOptions> split_;
  std::array<size_t, ParsedMessage::kMaxOptions> offset_;
  std::array<size_t, ParsedMessage::kMaxOptions> filled_;
};

std::optional<ParseError> ParseMessage(std::span<const uint8_t> bytes, ParsedMessage& out) {
  // Drop anything a previous packet left, so a failed parse never exposes
  // stale views through Find() or options().
  out.ClearOptions();
  out.scratch_used_ = 0;
  out.message_type = MessageType::kNone;
  out.overload = 0;
  out.chaddr = nullptr;
  out.raw = bytes;
  auto fail = [&out](ParseError e) {
    out.ClearOptions();
    out.message_type = MessageType::kNone;
    out.overload = 0;
    return e;
  };

  if (bytes.size() < kMinMessageLen) return fail(ParseError::kTruncatedHeader);
  const uint8_t* b = bytes.data();
  if (LoadBe32(b + kOffCookie) != kMagicCookie) return fail(ParseError::kBadMagicCookie);
  if (b[kOffOp] != kOpBootRequest && b[kOffOp] != kOpBootReply) return fail(ParseError::kBadOp);
  if (b[kOffHlen] > kChaddrLen) return fail(ParseError::kHlenTooLong);

  out.op = b[kOffOp];
  out.htype = b[kOffHtype];
  out.hlen = b[kOffHlen];
  out.hops = b[kOffHops];
  out.xid = LoadBe32(b + kOffXid);
  out.secs = LoadBe16(b + kOffSecs);
  out.flags = LoadBe16(b + kOffFlags);
  out.ciaddr = LoadBe32(b + kOffCiaddr);
  out.yiaddr = LoadBe32(b + kOffYiaddr);
  out.siaddr = LoadBe32(b + kOffSiaddr);
  out.giaddr = LoadBe32(b + kOffGiaddr);
  out.chaddr = b + kOffChaddr;

  OptionCollector collector(out);
  if (auto err = collector.Scan(bytes.subspan(kOffOptions), /*must_end=*/true)) return fail(*err);

  // Option 52 decides which other fields hold options, so it is read before
  // them. Split or not, it must be one byte with value 1, 2 or 3.
  if (const OptionView* o = out.Find(opt::kOverload)) {
    if (collector.IsSplit(o) || o->len != 1 || o->data[0] < 1 || o->data[0] > 3) {
      return fail(ParseError::kBadOverload);
    }
    out.overload = o->data[0];
  }
  // RFC 2131 4.1: options field, then file, then sname.
  if (out.overload & 1) {
    if (auto err = collector.Scan(bytes.subspan(kOffFile, kFileLen), false)) return fail(*err);
  }
  if (out.overload & 2) {
    if (auto err = collector.Scan(bytes.subspan(kOffSname, kSnameLen), false)) return fail(*err);
  }
  if (auto err = collector.Concatenate()) return fail(*err);

  // lqd answers DHCP only: a plain BOOTP message (no option 53) is an error.
  // A repeated 53 is a duplicate, not an RFC 3396 split: its value is 1 byte.
  const OptionView* type = out.Find(opt::kMessageType);
  if (type == nullptr) return fail(ParseError::kMissingMessageType);
  if (collector.IsSplit(type)) return fail(ParseError::kDuplicateMessageType);
  if (type->len != 1) return fail(ParseError::kBadMessageTypeLength);
  // Any value is kept; which types to answer is the engine's decision.
  out.message_type = static_cast<MessageType>(type->data[0]);

  if (const OptionView* id = out.Find(opt::kClientId); id != nullptr && id->len == 0) {
    return fail(ParseError::kEmptyClientId);
  }
  if (const OptionView* rai = out.Find(opt::kRelayAgentInfo);
      rai != nullptr && !RelayAgentInfo::Parse(rai->bytes())) {
    return fail(ParseError::kBadRelayAgentInfo);
  }
  return std::nullopt;
}

}  // namespace lqd::dhcp
