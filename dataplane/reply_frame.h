// SPDX-License-Identifier: Apache-2.0
// File: dataplane/reply_frame.h
//
// Last stage of the fast path: turn the query frame into the reply frame,
// in place, in the same buffer. Pure functions over bytes (no DPDK), so
// they unit-test with hand-built frames.
//
// All three keep the query's Ethernet framing: destination MAC = the
// query's source, source MAC = the port's, VLAN tags unchanged. IPv4
// options of the query are not echoed: the reply always has a 20-byte IPv4
// header, and the L4 bytes are moved down when the query had options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/classify.h"

namespace lqd::dataplane {

struct LeaseQueryReply {
  uint32_t src_ip = 0;    // the appliance address the query was sent to
  uint32_t dst_ip = 0;    // giaddr (QueryResult::dst_ip)
  uint16_t dst_port = 67; // QueryResult::dst_port (RFC 8357 relay port)
  size_t payload_len = 0; // engine reply bytes already at c.payload_off
  // The port computes the checksums (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM and
  // _UDP_CKSUM): the IPv4 checksum is left 0 and the UDP checksum field
  // holds the pseudo-header sum, as DPDK's offload contract asks; the
  // caller sets the mbuf's l2_len, l3_len and TX checksum flags.
  bool checksum_offload = false;
};

// `frame` must extend to at least c.payload_off + r.payload_len. Writes
// Ethernet, IPv4 (TTL 64, DF, fresh id 0, checksum) and UDP (67 -> dst_port,
// checksum, or their offload seeds) headers. Returns the reply frame length (the caller
// trims or extends the buffer to it), or 0 if `frame` is too short.
size_t BuildLeaseQueryReply(std::span<uint8_t> frame, const Classified& c, const uint8_t* port_mac,
                            const LeaseQueryReply& r);

// ARP request (c.cls == kArp) -> ARP reply "c.dst_ip is-at port_mac".
// The frame keeps its length (and any padding). Returns that length.
size_t BuildArpReply(std::span<uint8_t> frame, const Classified& c, const uint8_t* port_mac);

// ICMP echo request (c.cls == kIcmpEcho) -> echo reply with the same id,
// sequence and data. Returns the reply frame length.
size_t BuildIcmpEchoReply(std::span<uint8_t> frame, const Classified& c, const uint8_t* port_mac);

}  // namespace lqd::dataplane
