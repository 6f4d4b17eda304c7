"""The store parts written once in the SQL both engines run, over an engine's connection and its :class:`Engine`
(``hub.store.engine``). The parts whose SQL differs in substance (the ledger, the rollups and their triggers, the
schema) stay in ``hub.store.sqlite`` and ``hub.store.postgresql``."""
