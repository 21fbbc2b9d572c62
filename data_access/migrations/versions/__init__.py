"""One file per schema revision, chained from 0001 (the baseline) to the single head."""
