"""The ground floor: what every other package shares and nothing else.

Value types for the config (`Duration`, `ByteSize`, `Secret`), the `Redactor`, the strict base
model, the `alerts:` policy block that probes and alerts both read, the alert state names and the
root of the user-facing error tree. Nothing here imports another seamwatch package; the layers
contract in pyproject.toml enforces it (see docs/architecture.md, "Layers").
"""
