-- SPDX-License-Identifier: Apache-2.0
-- scripts/pktgen/replay.lua: replay the leasequery pcap given with -s P:file.pcap
-- on port 0, print per-second rates and the totals, quit.
-- Made by client/make_storm_pcap.py; command lines in docs/benchmarking.md.
-- Uses only pktgen's documented Lua API (app/lpktgenlib.c): pktgen.screen,
-- pktgen.pcap, pktgen.set, pktgen.clr, pktgen.start, pktgen.delay,
-- pktgen.portStats(port, "rate"|"port"), pktgen.stop, pktgen.quit.
-- Settings via environment: LQ_SECONDS (default 10), LQ_RATE (percent of
-- line rate, default 100), LQ_PORT (default "0"). Run from the pktgen source
-- root so that require "Pktgen" resolves.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = os.getenv("LQ_PORT") or "0"
local seconds = tonumber(os.getenv("LQ_SECONDS") or "10")
local rate = tonumber(os.getenv("LQ_RATE") or "100")

pktgen.screen("off")
pktgen.pcap(port, "on")          -- send the -s pcap on this port, looping
pktgen.set(port, "rate", rate)
pktgen.clr()
pktgen.start(port)
local max_rx = 0
for i = 1, seconds do
  pktgen.delay(1000)
  local r = pktgen.portStats(port, "rate")[tonumber(port)]
  if r.pkts_rx > max_rx then max_rx = r.pkts_rx end
  printf("t=%ds pkts_tx=%d pkts_rx=%d mbits_tx=%d mbits_rx=%d\n",
         i, r.pkts_tx, r.pkts_rx, r.mbits_tx, r.mbits_rx)
end
pktgen.stop(port)
pktgen.delay(500)                -- let the last answers arrive
local p = pktgen.portStats(port, "port")[tonumber(port)]
printf("total: opackets=%d ipackets=%d obytes=%d ibytes=%d oerrors=%d imissed=%d rx_nombuf=%d\n",
       p.opackets, p.ipackets, p.obytes, p.ibytes, p.oerrors, p.imissed, p.rx_nombuf)
printf("answered_ratio=%.4f max_rx_pps=%d\n",
       p.opackets > 0 and p.ipackets / p.opackets or 0, max_rx)
pktgen.quit()
