// SPDX-License-Identifier: Apache-2.0
// File: tests/dhcp/test_packets.h
//
// Hand-assembled wire bytes for the codec tests. Deliberately independent of
// MessageBuilder, so the parser is checked against bytes written by hand and
// the builder against the parser, never the code against itself.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "dhcp/wire.h"

namespace lqd::dhcp::testing {

class Packet {
 public:
  // A BOOTREQUEST header with the magic cookie and no options yet.
  Packet() : b_(kMinMessageLen, 0) {
    b_[kOffOp] = kOpBootRequest;
    StoreBe32(&b_[kOffCookie], kMagicCookie);
  }

  Packet& Set(size_t off, std::initializer_list<uint8_t> v) {
    for (uint8_t x : v) b_.at(off++) = x;
    return *this;
  }
  Packet& Be32(size_t off, uint32_t v) {
    (void)b_.at(off + 3);  // bounds check the last byte before the raw store
    StoreBe32(&b_[off], v);
    return *this;
  }
  Packet& Mac(std::initializer_list<uint8_t> mac) {
    b_[kOffHtype] = 1;
    b_[kOffHlen] = static_cast<uint8_t>(mac.size());
    return Set(kOffChaddr, mac);
  }
  // Appends raw bytes to the options field.
  Packet& Opt(std::initializer_list<uint8_t> v) {
    b_.insert(b_.end(), v);
    return *this;
  }
  Packet& Opt(const std::vector<uint8_t>& v) {
    b_.insert(b_.end(), v.begin(), v.end());
    return *this;
  }
  // One option TLV with a value of `len` bytes, all `fill`.
  Packet& OptFill(uint8_t code, uint8_t len, uint8_t fill) {
    b_.push_back(code);
    b_.push_back(len);
    b_.insert(b_.end(), len, fill);
    return *this;
  }
  Packet& File(std::initializer_list<uint8_t> v) { return Set(kOffFile, v); }
  Packet& Sname(std::initializer_list<uint8_t> v) { return Set(kOffSname, v); }

  const std::vector<uint8_t>& bytes() const { return b_; }
  operator const std::vector<uint8_t>&() const { return b_; }

 private:
  std::vector<uint8_t> b_;
};

// RFC 4388 query by IP, as a relay sends it: giaddr, ciaddr, a parameter
// request list and an option 82 with circuit-id, remote-id and relay-port.
inline std::vector<uint8_t> LeaseQueryByIpWithRai() {
  return Packet()
      .Set(kOffHops, {1})
      .Be32(kOffXid, 0x01020304)
      .Be32(kOffCiaddr, 0x0a000005)
      .Be32(kOffGiaddr, 0x0a000001)
      .Opt({opt::kMessageType, 1, 10})
      .Opt({opt::kParamRequestList, 4, 51, 61, 82, 92})
      .Opt({opt::kRelayAgentInfo, 14,            //
            rai::kCircuitId, 4, 'e', 't', 'h', '0',  //
            rai::kRemoteId, 2, 0xaa, 0xbb,           //
            rai::kRelayPort, 2, 0x10, 0x00})
      .Opt({opt::kEnd, 0, 0, 0})
      .bytes();
}

}  // namespace lqd::dhcp::testing
