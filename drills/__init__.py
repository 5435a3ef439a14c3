"""Fault drills on real processes (`bench/drill.py`).

- `proxy.py`: loopback TCP proxies between agents and the controller that cut (reset) or
  black-hole the traffic on command;
- `operator.py`: what a site operator does: power printers back on, remove abandoned cards,
  resolve unknown outcomes from the printers' physical logs;
- `campaign.py`: the drill itself: a campaign under controller kills, agent kills mid-card,
  partitions and printer faults, then every invariant checked.
"""
