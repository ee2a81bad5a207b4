// SPDX-License-Identifier: Apache-2.0
// File: control/lease_codec.h
//
// The binary form of a LeaseUpdate in lqd's journal and snapshot:
//   u8 kind, u32 ip, u32 vpn, u8 htype, u8 hlen, hlen bytes, u8 state,
//   u32 cltt, expire, t1, t2, server_id, subnet_id,
//   u8 len + client-id, u8 len + option 82, u8 len + option 60,
//   u16 len + extra options.          (little-endian, no padding)
// Versioned by the file headers that contain it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "control/lease_update.h"

namespace lqd::control {

// Appends the encoding of `u` to `out`.
void EncodeLeaseUpdate(const LeaseUpdate& u, std::string& out);
// Decodes one update occupying all of `bytes`; nullopt if malformed.
std::optional<LeaseUpdate> DecodeLeaseUpdate(std::string_view bytes);
// The same, without allocating: the byte strings of *out point into
// `bytes`. false if malformed (exactly when DecodeLeaseUpdate fails).
bool DecodeLeaseRef(std::string_view bytes, LeaseUpdate::Kind* kind, FeedSource* source, LeaseRef* out);
// A LeaseRecord as an upsert (for snapshots).
LeaseUpdate UpdateFromRecord(const LeaseRecord& r);

}  // namespace lqd::control
