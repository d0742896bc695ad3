"""Messages that cross screens: requests one screen makes that another screen fulfils."""

from __future__ import annotations

from textual.message import Message


class ScreenRequest(Message):
    """A request for whichever registered screen accepts it (see ``navigation.ScreenEntry``).

    The app routes it: it switches to the first screen whose entry lists the
    request's class in ``accepts`` and posts the request there.
    """

    #: what the user is told when no registered screen accepts the request yet
    unhandled_hint: str = "nothing handles this yet"


class RunBotRequested(ScreenRequest):
    """The user asked to run a task on a bot (``r`` on the Bots screen)."""

    unhandled_hint = "running tasks arrives with the Tasks screen"

    def __init__(self, bot_id: str, bot_name: str = "") -> None:
        super().__init__()
        self.bot_id = bot_id
        self.bot_name = bot_name


class OpenTaskRequested(ScreenRequest):
    """The user asked to watch a task in a live pane (e.g. from an audit entry)."""

    unhandled_hint = "task panes arrive with the Tasks screen"

    def __init__(self, task_id: str, *, bot_name: str = "") -> None:
        super().__init__()
        self.task_id = task_id
        self.bot_name = bot_name


class ShowAuditRequested(ScreenRequest):
    """The user asked for the audit log narrowed to a task, bot or resource (e.g. from a
    task pane); the Audit screen shows it with exactly these filters."""

    unhandled_hint = "the audit log arrives with the Audit screen"

    def __init__(
        self, task_id: str | None = None, *, bot_id: str | None = None,
        resource_id: str | None = None,
    ) -> None:
        super().__init__()
        self.task_id = task_id
        self.bot_id = bot_id
        self.resource_id = resource_id
