"""Start the Streamlit server for the dashboard with its heavy modules already imported.

`streamlit run` imports a page's modules only when the first browser connects, so the first
visitor after a start waits for pandas, plotly, SQLAlchemy and the config models to import.
`python -m dashboard.launch <streamlit run arguments>` imports them first, then hands over to
Streamlit's own command line unchanged."""

from __future__ import annotations

import importlib
import sys

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
    "seamwatch.config",
)


def main() -> None:
    for name in WARM_MODULES:
        importlib.import_module(name)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
