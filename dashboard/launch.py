"""Start the Streamlit server for the dashboard with what its first page needs done already.

`streamlit run` imports a page's modules only when the first browser connects, so the first
visitor after a start waits for pandas, plotly, SQLAlchemy and the config models to import, for
Streamlit's own one-time work on a first script run (the emoji and icon tables a page icon is
checked against, pyarrow's pandas bridge, a stack walk looking for a REPL) and for the overview
query. `python -m dashboard.launch <streamlit run arguments>` does that work first: imports,
then the overview of the default range in a background thread while the server starts, then it
hands over to Streamlit's own command line unchanged. `make bench` measures the result
(docs/architecture.md, "Performance targets")."""

from __future__ import annotations

import importlib
import sys
import threading

WARM_MODULES = (
    "pandas",
    "plotly.graph_objects",
    "streamlit.elements.plotly_chart",
    "dashboard.data",
    "dashboard.figures.latency",
    "dashboard.figures.breakdown",
    "dashboard.figures.alerts",
    "dashboard.figures.gauges",
    "dashboard.panels",
    "dashboard.model",
    "seamwatch.config",
    "sqlite3",
    "pyarrow.pandas_compat",
    "streamlit.emojis",  # compiles a regex of every emoji: ~0.3 s
    "streamlit.material_icon_names",
)


def main() -> None:
    for name in WARM_MODULES:
        importlib.import_module(name)
    from streamlit import delta_generator

    # Under `streamlit run` the "not run with streamlit run" warning never applies, but its check
    # walks the whole stack (inspect.stack(), ~0.2 s) on the first element of the first run.
    delta_generator._use_warning_has_been_displayed = True
    from dashboard.data import prewarm
    from dashboard.timerange import DEFAULT_PRESET

    threading.Thread(target=prewarm, args=(DEFAULT_PRESET,), daemon=True,
                     name="seamwatch-prewarm").start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
