"""Use cases: small functions taking ports as keyword arguments.

The composition root binds the ports (``entrypoints/composition/container.py``); callers pass only
the business inputs. A use case opens one unit of work, applies domain rules, enqueues
the notifications that follow, and commits once.
"""
