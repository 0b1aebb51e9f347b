"""RFC 3161 time-stamping: an in-process TSA and an HTTP client (TimestampAuthority port)."""
