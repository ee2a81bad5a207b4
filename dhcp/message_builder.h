// SPDX-License-Identifier: Apache-2.0
// File: dhcp/message_builder.h
//
// Writes one DHCPv4 message into a caller-provided buffer. No allocation:
// the dataplane points it at the reply's place in the mbuf, the client tools
// at a stack array.
//
// Usage:
//   MessageBuilder b(buf);               // buf: std::span<uint8_t>
//   b.SetHeader(header);                 // fixed BOOTP fields + cookie
//   b.AddMessageType(MessageType::kLeaseActive);
//   b.AddU32(opt::kLeaseTime, 3600);
//   b.AddOption(opt::kRelayAgentInfo, rai_bytes);
//   size_t n = b.Finish();               // END, pad to 300 bytes; 0 on overflow
//
// Promises:
//  * Never writes outside the buffer. Any write that does not fit sets
//    overflowed(); Finish() then returns 0 and the message must not be sent.
//    Misuse that would produce a malformed message (an option before
//    SetHeader(), or code PAD/END passed as an option) sets it too.
//  * Options longer than 255 bytes are split into consecutive instances of
//    the same code (RFC 3396), e.g. option 92 with more than 63 addresses.
//    AddAddressList() splits on whole addresses, 63 per instance.
//  * Each Add*() writes its whole option or nothing.
//  * Finish() appends END and zero-pads to the BOOTP minimum of 300 bytes,
//    so the buffer must hold at least 300 bytes. Call it once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dhcp/wire.h"

namespace lqd::dhcp {

struct BootpHeader {
  uint8_t op = kOpBootReply;
  uint8_t htype = 0;
  uint8_t hlen = 0;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  uint32_t ciaddr = 0;  // host order, like every address in lqd
  uint32_t yiaddr = 0;
  uint32_t siaddr = 0;
  uint32_t giaddr = 0;
  uint8_t chaddr[kChaddrLen] = {};
};

class MessageBuilder {
 public:
  explicit MessageBuilder(std::span<uint8_t> buf) : buf_(buf) {}

  // Writes the 236-byte fixed header (sname/file zeroed) and the cookie.
  // Must be called first; it resets the builder.
  void SetHeader(const BootpHeader& h);

  void AddMessageType(MessageType t) { AddU8(opt::kMessageType, static_cast<uint8_t>(t)); }
  void AddU8(uint8_t code, uint8_t v) {
    if (!BeginOption(code, 3)) return;
    uint8_t* p = buf_.data() + pos_;
    p[0] = code;
    p[1] = 1;
    p[2] = v;
    pos_ += 3;
  }
  void AddU32(uint8_t code, uint32_t v) {
    if (!BeginOption(code, 6)) return;
    uint8_t* p = buf_.data() + pos_;
    p[0] = code;
    p[1] = 4;
    StoreBe32(p + 2, v);
    pos_ += 6;
  }
  // Any length; >255 is split per RFC 3396. An empty value writes code, 0.
  void AddOption(uint8_t code, std::span<const uint8_t> value) {
    if (value.size() > kMaxOptionLen) return AddSplitOption(code, value);
    if (!BeginOption(code, 2 + value.size())) return;
    uint8_t* p = buf_.data() + pos_;
    p[0] = code;
    p[1] = static_cast<uint8_t>(value.size());
    // Guarded: an empty span may carry a null data() that memcpy must not see.
    if (!value.empty()) std::memcpy(p + 2, value.data(), value.size());
    pos_ += 2 + value.size();
  }
  // A list of IPv4 addresses (host order), e.g. option 92.
  void AddAddressList(uint8_t code, std::span<const uint32_t> addrs);

  // Appends END, pads to kBootpMinLen. Returns the message length, or 0 if
  // anything overflowed the buffer.
  size_t Finish();

  bool overflowed() const { return overflow_; }
  size_t size() const { return pos_; }
  // Bytes still free in the buffer (0 once anything overflowed).
  size_t room() const { return overflow_ ? 0 : buf_.size() - pos_; }

  // What AddOption() of a `value_len`-byte value writes, RFC 3396 splits
  // included.
  static size_t OptionBytes(size_t value_len);
  // How many addresses an AddAddressList() can write in `bytes`.
  static size_t AddressesThatFit(size_t bytes);

 private:
  static constexpr size_t kMaxOptionLen = 255;

  // The Add*() methods are inline (one query's reply is a handful of small
  // options, and a call per option was a tenth of the engine's
  // instructions); only the rare RFC 3396 split is out of line.
  bool Reserve(size_t n) {
    if (overflow_ || n > buf_.size() - pos_) {
      overflow_ = true;
      return false;
    }
    return true;
  }
  bool BeginOption(uint8_t code, size_t n) {
    // An option before the header, or a PAD/END code used as an option,
    // would make a malformed message: flag it like an overflow so it is
    // never sent.
    if (pos_ < kMinMessageLen || code == opt::kPad || code == opt::kEnd) overflow_ = true;
    return Reserve(n);
  }
  void AddSplitOption(uint8_t code, std::span<const uint8_t> value);

  std::span<uint8_t> buf_;
  size_t pos_ = 0;
  bool overflow_ = false;
};

}  // namespace lqd::dhcp
