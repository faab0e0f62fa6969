"""The Streamlit dashboard: thin pages (`pages/`), pure Plotly figure builders (`figures/`) and
cached read-only data access (`data.py`) over storage's read models (docs/architecture.md,
"Packages"). It writes nothing but what a page explicitly offers.
"""
