"""Learned response shapes and drift (docs/architecture.md, "Drift"): the `drift:` policy
(`spec.py`), the bounded shape of a JSON body (`shape.py`), baselines learned with genson
(`baseline.py`), the oasdiff-style classification of differences (`rules.py`), the in-memory
book of every step's baseline (`tracker.py`) and what one HTTP attempt asks of it
(`session.py`). Pure and in memory: storage/ persists baselines and events, the shell moves them.
"""
