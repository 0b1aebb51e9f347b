"""Documents the platform writes (the certificate request PDF)."""
