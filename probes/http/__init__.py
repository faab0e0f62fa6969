"""The machinery of the `http` probe kind (probes/kinds/http.py): the per-integration client and
its network backend, the multi-step exchange (redirects followed hop by hop in `hops.py`,
credentials kept to their origins by `origins.py`), expectations, templating, rate-limit headers
and phase timings. Nothing here is imported to load the config: the kind's `attempt()` imports
`probes.http.exchange` when a probe first runs (it pulls in httpx, jsonschema and jsonpath)."""
