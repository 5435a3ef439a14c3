"""Card printers: the model table, one module per command language, the driver that prints one
card and maps what happens to an attempt outcome, and the virtual printer.

    models.py          printer models and capabilities (ALL_MODELS, get_model, model_for_device_id)
    dialects/          evolis.py, magicard.py: command bytes, reply parsing, build_job
    status.py          PrinterStatus, Condition, outcome_for (docs/design.md section 4)
    driver.py          PrinterDriver(transport, dialect).print_card(...) -> PrintOutcome
    virtual/           the virtual printer: in-process, TCP server, service port, pyusb backend
    cli.py             `cetak printer emulate` (and `decode`, from decode_cli.py)
    errors.py          the package's exceptions

Transports (USB, TCP, in-process) live in cetak.printers.transports.
"""
