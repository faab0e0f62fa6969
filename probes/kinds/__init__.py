"""One module per probe kind: its config model and its `attempt()`, exported as `KIND` (a
`ProbeKind`, probes/kinds/base.py) and listed once in probes/registry.py."""
