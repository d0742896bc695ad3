"""Services: the platform's rules for tasks, their events and policy questions, with no
HTTP in them. Routes (``server/api``) map requests onto these and their domain errors
onto status codes; the MCP endpoint and the runner use the same services."""
