"""Pure model: raw rows and `steps_log` JSON in, typed objects out. No I/O."""
