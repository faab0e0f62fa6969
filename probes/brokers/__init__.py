"""Machinery of the message-broker kinds (amqp, redis, nats, mqtt in probes/kinds/, whose shared
config is probes/kinds/broker.py): the timed connect → publish → receive round trip
(`roundtrip.py`), imported when a probe runs. See docs/architecture.md, Probe kinds."""
