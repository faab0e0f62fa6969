"""Hourly rollups: the stored format (`format`), rolling complete hours up (`write`) and reading
spans of them back (`read`)."""
