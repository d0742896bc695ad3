"""The API keys screen (key 8), against a real server: only an admin key may use it, a key
made here works for a real request, a revoked one is refused, and the secret is shown once
and kept nowhere once its dialog closes. Snapshots at 80x24 and 120x36."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, SelectionList, Static

import monstrum
from monstrum.exceptions import AuthenticationError
from monstrum_tui.client.models import MCP_BOT_SCOPE_MEANING, SCOPE_MEANINGS, Bot
from monstrum_tui.ui.app import MonstrumApp
from monstrum_tui.ui.screens.api_keys import ApiKeysScreen
from monstrum_tui.ui.screens.confirm import ConfirmScreen
from monstrum_tui.ui.screens.key_create import KeyCreateScreen, scope_selections
from monstrum_tui.ui.screens.key_secret import NOT_AGAIN, KeySecretScreen
from tests.serverproc import ServerProcess
from tests.ui_pilot import screen_text, wait_until

SECRET = re.compile(r"mst_[A-Za-z0-9_-]{43}")
SERVER_LABEL = "http://127.0.0.1:8400"
FIXED_TIME = datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc)


def make_app(srv: ServerProcess, key: str | None = None, **kw: object) -> MonstrumApp:
    return MonstrumApp(api_base=srv.url, api_key=key or srv.admin_key, watch_terminal=False,
                       **kw)  # type: ignore[arg-type]


def row_ids(app: MonstrumApp) -> list[str]:
    return [str(row.key.value) for row in app.screen.query_one("#keys-table",
                                                               DataTable).ordered_rows]


def row_of(app: MonstrumApp, key_id: str) -> list[str]:
    return [str(c) for c in app.screen.query_one("#keys-table", DataTable).get_row(key_id)]


def drawn_text(app: MonstrumApp) -> str:
    """Everything every widget of every screen holds to draw, shown or not."""
    parts = [screen_text(app)]
    for screen in app.screen_stack:
        for widget in screen.query(Widget):
            if isinstance(widget, Static):
                parts.append(str(widget.content))
            if isinstance(widget, Label):
                parts.append(str(widget.content))
            if isinstance(widget, Input):
                parts.append(widget.value)
    return "\n".join(parts)


@pytest.fixture
def osc52_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What the app writes to the terminal as OSC 52 (the copy the terminal receives)."""
    written: list[str] = []
    from textual.drivers.headless_driver import HeadlessDriver

    real = HeadlessDriver.write

    def write(self: HeadlessDriver, data: str) -> None:
        written.extend(re.findall(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", data))
        real(self, data)

    monkeypatch.setattr(HeadlessDriver, "write", write)
    yield written


async def open_keys(pilot: Pilot, app: MonstrumApp) -> ApiKeysScreen:
    await wait_until(pilot, lambda: app.connection.usable)
    await pilot.press("8")
    await wait_until(pilot, lambda: isinstance(app.screen, ApiKeysScreen))
    screen = app.screen
    assert isinstance(screen, ApiKeysScreen)
    await wait_until(pilot, lambda: screen.loaded_once or bool(screen.load_error))
    return screen


async def test_a_key_without_admin_sees_the_servers_refusal(server) -> None:
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        viewer = c.api_keys.create(name="keys-viewer", scopes=["bots:write", "audit:read"])
    app = make_app(server, viewer.secret)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_keys(pilot, app)
        # the server's own 403, in words, where the list would be
        assert "403" in screen.load_error
        assert "lacks the 'admin' scope" in screen.load_error
        text = " ".join(screen_text(app).split())
        assert "only a key with the admin scope manages API keys" in text
        assert "403: this API key lacks the 'admin' scope" in text
        assert row_ids(app) == []
        await pilot.press("n")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, KeyCreateScreen)
        assert any("needs the admin scope" in n.message for n in app._notifications)


async def test_a_key_made_here_works_and_its_secret_is_kept_nowhere(
    server, osc52_writes: list[str]
) -> None:
    name = f"ci-{int(time.time() * 1000) % 10**8}"
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(pilot, app)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyCreateScreen))
        # each scope with what it means, from the one table; the first ones on screen
        await wait_until(pilot, lambda: SCOPE_MEANINGS["bots:read"] in screen_text(app))
        text = screen_text(app)
        for scope in ("bots:read", "tasks:write"):
            assert scope in text
        # the rest further down the list (the server's bots, one scope each, may come
        # before admin and push it off an 80x24 screen)
        picker = app.screen.query_one(SelectionList)
        prompts = [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)]
        for scope, meaning in SCOPE_MEANINGS.items():
            assert any(scope in p and meaning in p for p in prompts), scope
        await pilot.press(*name, "tab")
        scopes = app.screen.query_one(SelectionList)
        assert app.focused is scopes
        await pilot.press("space", "down", "down", "down", "space")  # bots:read, tasks:write
        assert sorted(scopes.selected) == ["bots:read", "tasks:write"]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, KeySecretScreen))
        dialog = app.screen
        shown = screen_text(app)
        assert NOT_AGAIN.split(":")[0] in shown.replace("\n", " ")
        assert not SECRET.search(drawn_text(app)), "the secret is masked until asked for"
        await pilot.press("c")
        assert len(osc52_writes) == 1
        secret = base64.b64decode(osc52_writes[0]).decode()
        assert SECRET.fullmatch(secret)
        assert secret not in app.clipboard  # the app's own clipboard never holds it
        await pilot.press("r")
        assert secret in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ApiKeysScreen))
        assert dialog not in app.screen_stack
        # gone: from the screen, every widget, the clipboard, the toasts
        assert secret not in drawn_text(app)
        assert not SECRET.search(drawn_text(app))
        assert secret not in app.clipboard
        assert not any(secret in n.message for n in app._notifications)
        screen = app.screen
        assert isinstance(screen, ApiKeysScreen)
        new_id = next(k for k, v in screen.items.items() if v.name == name)
        assert row_of(app, new_id)[0] == name
        assert row_of(app, new_id)[4] == "never"
        assert "secret" not in screen.items[new_id].model_dump()
        # the key works for a real request
        with monstrum.Client(api_key=secret, api_base=server.url) as c:
            assert c.whoami().name == name
            assert sorted(c.whoami().scopes) == ["bots:read", "tasks:write"]
            c.bots.list().page()  # bots:read
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: row_of(app, new_id)[4] != "never")
    assert secret not in server.log()


def option_values(picker: SelectionList) -> list[str]:
    return [str(picker.get_option_at_index(i).value) for i in range(picker.option_count)]


async def test_a_key_for_one_bots_mcp_reaches_that_bot_only(
    server, osc52_writes: list[str]
) -> None:
    """``mcp:call:BOT_ID`` picked by the bot's name: the key made reaches that bot's MCP
    endpoint, and the server refuses it another bot's."""
    stamp = int(time.time() * 1000) % 10**8
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        bot_a = c.bots.create(name=f"mcp-a-{stamp}", allowed_operations=[])
        bot_b = c.bots.create(name=f"mcp-b-{stamp}", allowed_operations=[])
    name = f"agent-{stamp}"
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(pilot, app)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyCreateScreen))
        picker = app.screen.query_one("#field-scopes", SelectionList)
        await pilot.press(*name, "tab")
        await pilot.press("space")  # bots:read, ticked before the bots arrive: it stays
        await wait_until(pilot, lambda: f"mcp:call:{bot_a.id}" in option_values(picker))
        assert list(picker.selected) == ["bots:read"]
        values = option_values(picker)
        # under mcp:call, before admin; each bot by its name, explained like the scopes
        assert values.index("mcp:call") < values.index(f"mcp:call:{bot_a.id}") < values.index(
            "admin")
        prompt = str(picker.get_option_at_index(values.index(f"mcp:call:{bot_a.id}")).prompt)
        assert bot_a.name in prompt and MCP_BOT_SCOPE_MEANING in prompt
        note = str(app.screen.query_one("#key-form-bots", Label).content)
        assert "tick a bot under mcp:call" in note
        # walk the cursor to bot A with the keys, as a person would
        while values[picker.highlighted or 0] != f"mcp:call:{bot_a.id}":
            await pilot.press("down")
        await pilot.press("space")
        assert sorted(picker.selected) == sorted(["bots:read", f"mcp:call:{bot_a.id}"])
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, KeySecretScreen))
        await pilot.press("c")
        assert len(osc52_writes) == 1
        secret = base64.b64decode(osc52_writes[0]).decode()
        await pilot.press("escape")
    with monstrum.Client(api_key=secret, api_base=server.url) as c:
        assert sorted(c.whoami().scopes) == sorted(["bots:read", f"mcp:call:{bot_a.id}"])
    ping = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {},
        "clientInfo": {"name": "pilot", "version": "0"}}}
    headers = {"Accept": "application/json, text/event-stream",
               "Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(timeout=30) as http:
        mine = await http.post(f"{server.url}/v1/bots/{bot_a.id}/mcp", json=ping,
                               headers=headers)
        assert mine.status_code == 200, mine.text
        assert "serverInfo" in mine.text
        theirs = await http.post(f"{server.url}/v1/bots/{bot_b.id}/mcp", json=ping,
                                 headers=headers)
        assert theirs.status_code == 403, theirs.text
        assert theirs.json()["error"]["required_scope"] == "mcp:call"


def test_bots_of_the_same_name_are_told_apart_by_id() -> None:
    def bot(bot_id: str, name: str) -> Bot:
        return Bot(id=bot_id, name=name, created_at=FIXED_TIME, updated_at=FIXED_TIME)

    picks = scope_selections([bot("bot_a1", "twin"), bot("bot_a2", "twin"),
                              bot("bot_b", "solo")], {"mcp:call:bot_a2"})
    by_value = {str(p.value): p for p in picks}
    assert "bot_a1" in str(by_value["mcp:call:bot_a1"].prompt)
    assert "bot_b" not in str(by_value["mcp:call:bot_b"].prompt)
    assert "solo" in str(by_value["mcp:call:bot_b"].prompt)
    assert [str(p.value) for p in picks if p.initial_state] == ["mcp:call:bot_a2"]


async def test_a_revoked_key_is_refused_by_the_server(server) -> None:
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        doomed = c.api_keys.create(name="doomed-key", scopes=["bots:read"])
    with monstrum.Client(api_key=doomed.secret, api_base=server.url) as c:
        assert c.whoami().name == "doomed-key"
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_keys(pilot, app)
        await wait_until(pilot, lambda: doomed.id in row_ids(app))
        table = screen.query_one("#keys-table", DataTable)
        table.move_cursor(row=table.get_row_index(doomed.id))
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Revoke the API key doomed-key" in screen_text(app)
        await pilot.press("n")  # changed their mind: nothing happens
        await wait_until(pilot, lambda: app.screen is screen)
        assert doomed.id in row_ids(app)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: doomed.id not in row_ids(app))
    with (monstrum.Client(api_key=doomed.secret, api_base=server.url, max_retries=0) as c,
          pytest.raises(AuthenticationError)):
        c.whoami()


async def test_the_admin_key_cannot_revoke_itself_and_is_told_why(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_keys(pilot, app)
        with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
            me = c.whoami().id
        await wait_until(pilot, lambda: me in row_ids(app))
        table = screen.query_one("#keys-table", DataTable)
        table.move_cursor(row=table.get_row_index(me))
        await pilot.press("d", "y")
        await wait_until(pilot, lambda: any("cannot delete itself" in n.message
                                            for n in app._notifications))
        assert me in row_ids(app)


async def test_the_servers_422_is_shown_under_its_field(server) -> None:
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_keys(pilot, app)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyCreateScreen))
        await pilot.press(*"no-scopes", "ctrl+s")  # no scope ticked
        error = app.screen.query_one("#error-scopes", Label)
        await wait_until(pilot, lambda: bool(str(error.content)))
        assert app.screen.query_one("#row-scopes").has_class("-invalid")
        assert isinstance(app.screen, KeyCreateScreen)  # nothing lost: fix and retry
        assert app.screen.query_one("#field-name", Input).value == "no-scopes"
    with monstrum.Client(api_key=server.admin_key, api_base=server.url) as c:
        assert "no-scopes" not in [k.name for k in c.api_keys.list()]


# --- snapshots ------------------------------------------------------------------


@pytest.fixture
def fixed_keys(new_server, monkeypatch: pytest.MonkeyPatch) -> ServerProcess:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(MonstrumApp, "server_label", property(lambda self: SERVER_LABEL))
    srv: ServerProcess = new_server("--rate-limit", "0")
    with monstrum.Client(api_key=srv.admin_key, api_base=srv.url) as c:
        c.api_keys.create(name="ci-deploy", scopes=["bots:read", "tasks:write"])
        c.api_keys.create(name="on-call", scopes=["audit:read", "approvals:write"])
        c.bots.create(name="deploy-bot", allowed_operations=[])  # for mcp:call:BOT_ID
    yield srv
    monkeypatch.delenv("TZ")
    time.tzset()


async def keys_listed(pilot: Pilot) -> None:
    """The list, with what differs per run (prefixes, times) fixed."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ApiKeysScreen)
                     and len(row_ids(app)) == 3)
    mask_rows(app.screen.query_one("#keys-table", DataTable))
    await pilot.pause()


def mask_rows(table: DataTable) -> None:
    for index, row in enumerate(table.ordered_rows):
        table.update_cell(row.key, "prefix", f"mst_{index:04d}…")
        table.update_cell(row.key, "created", FIXED_TIME.strftime("%Y-%m-%d %H:%M"))
        if str(table.get_cell(row.key, "last_used")) != "never":
            table.update_cell(row.key, "last_used", FIXED_TIME.strftime("%Y-%m-%d %H:%M"))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_api_keys(fixed_keys, snap_compare, size) -> None:
    app = make_app(fixed_keys, initial_screen="keys")
    assert snap_compare(app, terminal_size=size, run_before=keys_listed)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_new_key_form(fixed_keys, snap_compare, size) -> None:
    async def open_form(pilot: Pilot) -> None:
        await keys_listed(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, KeyCreateScreen))
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press(*"ci-deploy", "tab", "space")
        # the bots are in, one scope each under mcp:call
        note = pilot.app.screen.query_one("#key-form-bots", Label)
        await wait_until(pilot, lambda: "tick a bot" in str(note.content))
        await pilot.pause()

    app = make_app(fixed_keys, initial_screen="keys")
    assert snap_compare(app, terminal_size=size, run_before=open_form)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_snapshot_new_key_secret(fixed_keys, snap_compare, size) -> None:
    """The one-time dialog as it opens: masked, so the picture holds no secret."""

    async def create(pilot: Pilot) -> None:
        await keys_listed(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, KeyCreateScreen))
        await pilot.press(*"release-bot", "tab", "space", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, KeySecretScreen))
        dialog = pilot.app.screen
        assert isinstance(dialog, KeySecretScreen)
        # the id and the prefix differ per run
        dialog.query_one("#key-secret-facts", Label).update(
            "scopes: bots:read · id key_000000000000000000")
        dialog.key = dialog.key.model_copy(update={"prefix": "mst_0000"})
        dialog._secret = "mst_0000" + "0" * 39  # the picture's secret: drawn masked all the same
        dialog.show_secret()
        # the list behind it now has the new key, with this run's prefix and time
        list_screen = pilot.app.screen_stack[-2]
        await wait_until(pilot, lambda: len(list_screen.query_one(DataTable).rows) == 4)
        mask_rows(list_screen.query_one("#keys-table", DataTable))
        await pilot.pause()
        assert not SECRET.search(screen_text(pilot.app))

    app = make_app(fixed_keys, initial_screen="keys")
    assert snap_compare(app, terminal_size=size, run_before=create)
