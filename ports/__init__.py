"""Interfaces the domain needs from the outside world (typing.Protocol).

Ports carry domain types and plain data (str, bytes, datetime), never library objects.
``ports.contracts`` holds one abstract contract suite per port; every adapter, fakes
included, must pass it.
"""
