"""`make bench`: figures of speed and memory, measured on this machine in one run."""
