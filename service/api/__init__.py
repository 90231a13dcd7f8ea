"""Endpoints of the HTTP API, one module per feature; each declares `router`."""
