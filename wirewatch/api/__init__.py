"""The HTTP app: receiver, read API, live streams, operations and the dashboard (docs/http.md)."""
