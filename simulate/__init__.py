"""`cetak simulate`: a whole campaign in virtual time on the real store, ledger, scheduler,
planner and forecast (docs/simulate.md).

- `scenario.py`: the TOML scenario file, read and checked;
- `printer.py`: the printer model (speed, duty cycle, jams and repairs, ribbons and films);
- `engine.py`: the discrete-event loop: agents that follow the agent's own lease rules;
- `report.py`: the report: JSON, CSV per site, PNG charts;
- `cli.py`: the command.
"""
