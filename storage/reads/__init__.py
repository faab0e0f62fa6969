"""Read models: SQL aggregates for `seamwatch status` (`queries`) and for the dashboard
(`analytics`: the overview; `probe_series`: one probe's time series; `alert_history`: alert
states, transitions, incidents and the outbox)."""
