"""The composition root: the only package that builds adapters and binds them to use cases.

- ``container``: the dependency-injector container (fakes and real adapters, use cases, worker);
- ``real_adapters``: the production adapters, each chosen from configuration with ``providers.Selector``;
- ``bindings``: how a use case gets its ports (by the type of each parameter, settings explicitly);
- ``use_cases``: the typed ``UseCases`` facade the web handlers receive;
- ``pki_config``, ``remote_signing_config``, ``fake_ca``, ``ceremony_wiring``, ``webhook_wiring``:
  settings → adapter settings, which cabinets sign through a QTSP, the tests' CA, the worker's
  job handlers.
"""
