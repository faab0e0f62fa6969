"""OpenAPI contracts for `http` steps (README, "OpenAPI contracts"): a step's response checked
against the operation an OpenAPI 3.0/3.1 document declares for it.

- `spec.py`: the `openapi:` config models (light: imported whenever the config is loaded).
- `document.py`: reading, validating and caching a document (local file per path+mtime).
- `contract.py`: one compiled document: its operations, path templates, response validators.
- `responses.py`: a response against its operation (status, headers, body).
- `remote.py`: a spec URL fetched with the integration's client, off the event loop, cached.
- `step.py`: what the exchange (probes/http/exchange.py) calls.
- `check.py`: `seamwatch check`'s view (a valid document, known operations).

Validation is openapi-schema-validator's (jsonschema dialects for OAS 3.0 and 3.1), references
resolved by jsonschema-path inside the document only: nothing is ever fetched for a `$ref`.
"""
