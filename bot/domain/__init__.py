"""Pure business rules (no I/O): contact normalisation and customer identification."""
