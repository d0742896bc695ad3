"""The client's API namespaces, one module per kind of object."""
