"""The REST API (v1): one router module per kind of object."""
