"""Implementations of the ports: one folder per family (persistence, messaging, ca, ...).

``adapters.memory`` holds the in-memory fakes used by tests and by the contract suites.
"""
