"""One adapter per chat platform: translate events in, render replies out, nothing else."""
