// SPDX-License-Identifier: Apache-2.0
// File: dhcp/message_builder.cc
#include "dhcp/message_builder.h"

#include <algorithm>

namespace lqd::dhcp {

namespace {
// An address list is split on whole addresses (63 * 4 = 252 bytes per
// instance), so a receiver that does not concatenate still reads a valid,
// if shorter, list from each instance.
constexpr size_t kAddrsPerInstance = 255 / 4;

size_t Instances(size_t len, size_t per_instance) {
  return len == 0 ? 1 : (len + per_instance - 1) / per_instance;
}
}  // namespace

void MessageBuilder::SetHeader(const BootpHeader& h) {
  pos_ = 0;
  overflow_ = false;
  if (!Reserve(kMinMessageLen)) return;
  uint8_t* b = buf_.data();
  std::fill_n(b, kMinMessageLen, 0);  // sname, file and unused chaddr bytes
  b[kOffOp] = h.op;
  b[kOffHtype] = h.htype;
  b[kOffHlen] = h.hlen;
  b[kOffHops] = h.hops;
  StoreBe32(b + kOffXid, h.xid);
  StoreBe16(b + kOffSecs, h.secs);
  StoreBe16(b + kOffFlags, h.flags);
  StoreBe32(b + kOffCiaddr, h.ciaddr);
  StoreBe32(b + kOffYiaddr, h.yiaddr);
  StoreBe32(b + kOffSiaddr, h.siaddr);
  StoreBe32(b + kOffGiaddr, h.giaddr);
  std::copy_n(h.chaddr, kChaddrLen, b + kOffChaddr);
  StoreBe32(b + kOffCookie, kMagicCookie);
  pos_ = kMinMessageLen;
}

void MessageBuilder::AddSplitOption(uint8_t code, std::span<const uint8_t> value) {
  // Reserve the whole option up front: it is written entirely or not at all.
  if (!BeginOption(code, value.size() + 2 * Instances(value.size(), kMaxOptionLen))) return;
  size_t off = 0;
  do {
    const size_t n = std::min(kMaxOptionLen, value.size() - off);
    buf_[pos_] = code;
    buf_[pos_ + 1] = static_cast<uint8_t>(n);
    std::copy_n(value.data() + off, n, &buf_[pos_ + 2]);
    pos_ += 2 + n;
    off += n;
  } while (off < value.size());
}

void MessageBuilder::AddAddressList(uint8_t code, std::span<const uint32_t> addrs) {
  if (!BeginOption(code, 4 * addrs.size() + 2 * Instances(addrs.size(), kAddrsPerInstance))) {
    return;
  }
  size_t i = 0;
  do {
    const size_t n = std::min(kAddrsPerInstance, addrs.size() - i);
    buf_[pos_] = code;
    buf_[pos_ + 1] = static_cast<uint8_t>(4 * n);
    pos_ += 2;
    for (size_t k = 0; k < n; ++k, pos_ += 4) StoreBe32(&buf_[pos_], addrs[i + k]);
    i += n;
  } while (i < addrs.size());
}

size_t MessageBuilder::OptionBytes(size_t value_len) {
  return value_len + 2 * Instances(value_len, kMaxOptionLen);
}

size_t MessageBuilder::AddressesThatFit(size_t bytes) {
  constexpr size_t kFullInstance = 2 + 4 * kAddrsPerInstance;
  const size_t full = bytes / kFullInstance;
  const size_t rest = bytes % kFullInstance;
  return full * kAddrsPerInstance + (rest >= 2 + 4 ? (rest - 2) / 4 : 0);
}

size_t MessageBuilder::Finish() {
  if (pos_ < kMinMessageLen) overflow_ = true;  // no SetHeader, or it overflowed
  if (Reserve(1)) buf_[pos_++] = opt::kEnd;
  if (pos_ < kBootpMinLen && Reserve(kBootpMinLen - pos_)) {
    std::fill_n(&buf_[pos_], kBootpMinLen - pos_, 0);
    pos_ = kBootpMinLen;
  }
  return overflow_ ? 0 : pos_;
}

}  // namespace lqd::dhcp
