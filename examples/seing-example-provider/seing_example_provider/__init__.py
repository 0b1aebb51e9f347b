"""An example Seing provider (a document store); see store.py."""
