"""The built-in certificate authority on cryptography."""
