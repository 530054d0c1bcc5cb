"""Newsdrop: ingest, related posts and notifications for a news site (shipped as a Lambda layer)."""
