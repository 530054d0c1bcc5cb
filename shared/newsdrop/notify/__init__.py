"""Notifications: double opt-in subscriptions, topics, one-click unsubscribe, and the SES fan-out.

Its records (the index entries, offers, buckets, mail settings, received mail, the wiring's runtimes) are
NamedTuples, not frozen dataclasses: every notification function defines all of them at import, where a
frozen dataclass costs about four times as much to define (its methods are compiled from source;
docs/benchmarks.md, cold start). They are made once and never changed.
"""
