"""The application shell: the command line, the config package, the `serve` process (scheduler,
listener, wiring), `once`, `status` and the demo (docs/architecture.md, "Packages").

It wires the parts together and holds no business logic of its own; it never imports the
dashboard, which it starts as a separate process.
"""
