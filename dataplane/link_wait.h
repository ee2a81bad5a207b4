// SPDX-License-Identifier: Apache-2.0
// File: dataplane/link_wait.h
//
// WaitLinkUp(): polls a started port's link until it is up. A net_memif
// port's link comes up only once its peer has connected over the socket
// (in the EAL interrupt thread), so a program that sends right after
// rte_eth_dev_start() would lose its first frames. Header-only: lq-storm
// uses it without linking lqd's dataplane.
#pragma once

#include <cstdint>

#include <rte_cycles.h>
#include <rte_ethdev.h>

namespace lqd::dataplane {

// True once the link is up; false if it is still down after `timeout_ms`.
// Sleeps between checks (rte_delay_ms would spin): the peer's connection is
// made by the EAL interrupt thread, which may need this very core.
inline bool WaitLinkUp(uint16_t port, uint64_t timeout_ms) {
  const uint64_t end = rte_get_timer_cycles() + timeout_ms * rte_get_timer_hz() / 1000;
  for (;;) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP) return true;
    if (rte_get_timer_cycles() >= end) return false;
    rte_delay_us_sleep(10 * 1000);
  }
}

}  // namespace lqd::dataplane
