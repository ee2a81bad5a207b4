// SPDX-License-Identifier: Apache-2.0
// File: dhcp/relay_agent_info.h
//
// Option 82, Relay Agent Information (RFC 3046), as a view over raw bytes.
//
// lqd stores option 82 exactly as the relay sent it (RFC 4388 6.4.2 wants
// the most recent one returned verbatim), so the codec never rebuilds it.
// This type only reads: it validates the sub-option TLVs and gives named
// accessors for the ones leasequery cares about: circuit-id (1),
// remote-id (2), relay-id (12, RFC 6925), relay-port (19, RFC 8357),
// link-selection (5), server-id-override (11). Any other sub-option
// (4-10, 13-18, 151/152 ...) is reachable through Find() as raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace lqd::dhcp {

struct SubOptionView {
  uint8_t code = 0;
  std::span<const uint8_t> value;
};

class RelayAgentInfo {
 public:
  // Validates `payload` (the option's value, without code and length).
  // RFC 3046 2.0: at least one sub-option, every sub-option inside the
  // payload; a sub-option length of 0 is legal. Returns nullopt if invalid.
  static std::optional<RelayAgentInfo> Parse(std::span<const uint8_t> payload);

  std::span<const uint8_t> raw() const { return raw_; }

  // First sub-option with `code`, if any.
  std::optional<std::span<const uint8_t>> Find(uint8_t code) const;

  std::optional<std::span<const uint8_t>> circuit_id() const;
  std::optional<std::span<const uint8_t>> remote_id() const;
  std::optional<std::span<const uint8_t>> relay_id() const;
  // RFC 8357 relay port: present only when the sub-option is exactly 2 bytes.
  std::optional<uint16_t> relay_port() const;
  // RFC 3527 / RFC 5107: present only when exactly 4 bytes. Host order.
  std::optional<uint32_t> link_selection() const;
  std::optional<uint32_t> server_id_override() const;

  // Iteration over sub-options in wire order.
  class Iterator {
   public:
    Iterator(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
    SubOptionView operator*() const { return {p_[0], {p_ + 2, p_[1]}}; }
    // Over bytes that Parse() validated this is simply "next TLV". The clamp
    // to end_ keeps a hand-built iterator over a truncated last TLV from
    // stepping past the end (and looping forever) instead of trusting it.
    Iterator& operator++() {
      const ptrdiff_t left = end_ - p_;
      p_ = (left >= 2 && left - 2 >= p_[1]) ? p_ + 2 + p_[1] : end_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return p_ != o.p_; }

   private:
    const uint8_t* p_;
    const uint8_t* end_;
  };
  Iterator begin() const { return {raw_.data(), raw_.data() + raw_.size()}; }
  Iterator end() const { return {raw_.data() + raw_.size(), raw_.data() + raw_.size()}; }

 private:
  explicit RelayAgentInfo(std::span<const uint8_t> raw) : raw_(raw) {}
  std::span<const uint8_t> raw_;
};

// Name of a sub-option for tools and logs ("circuit-id"), or nullptr.
const char* SubOptionName(uint8_t code);

}  // namespace lqd::dhcp
