// SPDX-License-Identifier: Apache-2.0
// File: dhcp/hmac_md5.h
//
// MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), the one algorithm RFC 3118
// delayed authentication defines (algorithm 1). Own code rather than
// libcrypto because the engine signs and verifies on the lcore's hot path:
// this never allocates, never touches global state, and an HmacMd5Key keeps
// the hashed inner/outer pads so each MAC costs two compression blocks less.
//
// MD5 is broken for collisions; HMAC-MD5 is not (RFC 6151), and it is what
// RFC 3118 and every DHCP peer that speaks it use. Tests: RFC 1321 and
// RFC 2202 vectors (tests/dhcp/hmac_md5_test.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lqd::dhcp {

class Md5 {
 public:
  static constexpr size_t kDigestLen = 16;
  using Digest = std::array<uint8_t, kDigestLen>;

  Md5();
  void Update(std::span<const uint8_t> data);
  // Feeds `n` zero bytes (the MAC field, giaddr and hops of RFC 3118).
  void UpdateZeros(size_t n);
  // Finishes and returns the digest; the object must not be updated again.
  Digest Final();

  static Digest Hash(std::span<const uint8_t> data);

 private:
  void Block(const uint8_t* p);

  uint32_t state_[4];
  uint64_t total_ = 0;  // bytes fed
  uint8_t buf_[64];
  size_t fill_ = 0;
};

// A key ready for HMAC-MD5: the inner and outer pads already hashed.
// Copyable, immutable after construction; safe to share between threads.
class HmacMd5Key {
 public:
  HmacMd5Key() : HmacMd5Key(std::span<const uint8_t>{}) {}
  explicit HmacMd5Key(std::span<const uint8_t> secret);

  // Starts a MAC: returns the inner hash primed with the key.
  Md5 Begin() const { return inner_; }
  // Ends a MAC started with Begin().
  Md5::Digest End(Md5& inner) const;

  Md5::Digest Mac(std::span<const uint8_t> data) const;

 private:
  Md5 inner_;
  Md5 outer_;
};

// Compares two equal-length byte strings in time independent of where they
// differ (a MAC check must not tell an attacker how many bytes matched).
bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace lqd::dhcp
