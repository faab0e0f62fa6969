"""`seamwatch.yaml`: loading, validating and resolving the config file (the public API).

The rest of seamwatch imports from here (tests may reach the modules below). Each module owns
one step and imports only modules listed above it (no cycles):

    errors.py     ConfigProblem / ConfigError and the documented key-path form
    positions.py  YAML -> plain data + the line/column of every key and value
    env.py        `${VAR}` substitution and the `.env` file beside the config
    walk.py       following a pydantic error's location through the types and the data
    messages.py   pydantic errors -> plain-English issues at data paths
    checks.py     cross-checks the models cannot make alone (names, files, URLs, addresses...)
    model.py      the whole file as one pydantic model (composed from each part's spec) + schema
    resolve.py    the validated file -> one ProbeEntry per scheduled probe, secrets, storage URL
    load.py       the pipeline above, the loaded `Config`, and `summarize` for `seamwatch check`
    watch.py      noticing edits to the file (for `serve`'s reload)

A command loads the config once and passes the `Config` on.
"""

from seamwatch.config.errors import ConfigError, ConfigProblem
from seamwatch.config.load import (
    Config,
    load_config,
    migration_notes,
    resolve_config_path,
    summarize,
)
from seamwatch.config.model import RunnerSpec, config_json_schema, parse_listen
from seamwatch.config.resolve import ProbeEntry
from seamwatch.config.watch import ConfigWatcher

__all__ = [
    "Config", "ConfigError", "ConfigProblem", "ConfigWatcher", "ProbeEntry", "RunnerSpec",
    "config_json_schema", "load_config", "migration_notes", "parse_listen", "resolve_config_path",
    "summarize",
]
