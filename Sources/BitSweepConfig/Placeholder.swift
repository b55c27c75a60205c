// BitSweepConfig module.
