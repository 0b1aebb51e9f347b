"""Small helpers several adapter families share (outside their independence contract, and
importing none of them)."""
