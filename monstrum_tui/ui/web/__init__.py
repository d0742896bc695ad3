"""The web console: the same dashboard in a browser (textual-serve), behind a login token.

``access`` decides who may start a session, ``console`` is the HTTP server that
serves the page and spawns one app process per browser session, and ``session``
is that process's entry point.
"""
