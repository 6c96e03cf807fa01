"""Pure domain: events, clocks, errors, the Channel protocol. No I/O lives here."""
