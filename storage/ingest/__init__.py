"""Ingest: the batched result writer (`writer`), its row building and run-id allocation (`rows`)
and the catalog of integrations, probes and locations keyed by name (`catalog`)."""
