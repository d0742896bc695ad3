"""Attack the filesystem executor: hostile paths, links inside the root pointing out, into
the platform's data dir and out of scope, and folders swapped for links between the check
and the read. No file outside the bot's scope is ever read, listed or found.

The root is the data dir's shared folder (where the demo workspace lives), so the keys
and the database are one ``..`` or one link away. Canaries are planted out of scope inside
the root, outside the root, and are the data dir's own secrets; none may ever show up in
what the model is told, the events, the audit entry or the log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monstrum_tui.server.executors import filesystem
from tests.attack_platform import HostilePlatform, canary, data_dir_canaries

SCOPE = {"paths": ["docs/*"]}


class Tree:
    """The root and what is planted around it."""

    def __init__(self, base: Path) -> None:
        self.hostile = HostilePlatform(base / "data")
        self.data_dir = self.hostile.data_dir
        self.root = self.data_dir / "demo-workspace"
        self.outside = base / "outside"
        self.outside_canary = canary("outside")
        self.secret_canary = canary("out-of-scope")
        (self.root / "docs" / "sub").mkdir(parents=True)
        (self.root / "secret").mkdir()
        self.outside.mkdir()
        (self.outside / "canary.txt").write_text(self.outside_canary + "\n")
        (self.root / "secret" / "plan.md").write_text(self.secret_canary + "\n")
        (self.root / "docs" / "guide.md").write_text("in scope: deploy with care\n")
        (self.root / "docs" / "sub" / "plan.md").write_text("in scope: harmless plan\n")
        links = {
            "docs/in-link.md": self.root / "secret" / "plan.md",
            "docs/secret-dir": self.root / "secret",
            "docs/out-link.md": self.outside / "canary.txt",
            "docs/dir-out": self.outside,
            "docs/data-link": self.data_dir,
            "docs/key-link": self.data_dir / "admin.key",
            "docs/db-link": self.data_dir / "monstrum.db",
            "docs/witness-link": self.data_dir / "audit.witness",
            "docs/loop": self.root / "docs" / "loop",
            "top-link.md": self.root / "docs" / "guide.md",
        }
        for name, target in links.items():
            os.symlink(target, self.root / name)
        self.resource = self.hostile.add_resource("res_files", "filesystem",
                                                  {"root": str(self.root)})
        self.bot = self.hostile.add_bot("docs-reader", self.resource, SCOPE)
        # a first call, so the audit key, the witness and the database all exist
        first = self.hostile.call(self.bot, "read_file", {"path": "docs/guide.md"})
        assert first.outcome.status == "ok", first.outcome.error

    def canaries(self) -> dict[str, str]:
        found = data_dir_canaries(self.data_dir)
        found["outside"] = self.outside_canary
        found["out-of-scope"] = self.secret_canary
        return found

    def assert_clean(self, text: str) -> None:
        for name, secret in self.canaries().items():
            assert secret not in text, f"{name} leaked"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tree]:
    t = Tree(tmp_path_factory.mktemp("fs"))
    yield t
    t.hostile.close()


ATOMS = [
    "docs", "docs/", "secret", "plan.md", "guide.md", "sub", "in-link.md", "secret-dir",
    "out-link.md", "dir-out", "canary.txt", "data-link", "key-link", "db-link",
    "witness-link", "loop", "top-link.md", "admin.key", "secret.key", "audit.key",
    "monstrum.db", "audit.witness", "demo-workspace", ".", "..", "...", "", "~", "~root",
    "%2e%2e", "%2E", "\x00", "\\", "..\\", "/", "//", "\n", "\ud800", "．．", "\u2024\u2024",
    "docs/../secret", "docs/./in-link.md", "*", "?", "[d]ocs",
]
PATHS = st.one_of(
    st.lists(st.sampled_from(ATOMS), min_size=1, max_size=5).map("/".join),
    st.lists(st.sampled_from(ATOMS), min_size=1, max_size=4).map(lambda p: "docs/" + "/".join(p)),
    st.lists(st.sampled_from(ATOMS), min_size=1, max_size=3).map("".join),
    st.text(max_size=8),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_hostile_path_reaches_outside_the_scope(tree: Tree, data) -> None:
    tool = data.draw(st.sampled_from(["read_file", "list_files", "search_files"]), label="tool")
    params: dict[str, object] = {}
    if data.draw(st.booleans(), label="with path") or tool == "read_file":
        params["path"] = data.draw(PATHS, label="path")
    if tool == "search_files":
        keys = tree.canaries()
        params["query"] = data.draw(st.sampled_from(
            ["CANARY", "canary", "plan", "mst_", "SQLite", "a", "e",
             keys["secret.key"][:6], keys["audit.key"][:6]]), label="query")

    traced = tree.hostile.call(tree.bot, tool, params)

    tree.assert_clean(traced.text())
    # every call is on the log, and none is left pending
    assert traced.audit is not None
    assert traced.audit["status"] in ("success", "error", "denied")


def test_the_canaries_are_reachable_when_the_scope_allows_and_never_the_data_dir(tree) -> None:
    """The property is not vacuous: with ``paths: ["*"]`` the out-of-scope canary is read
    (so a leak would be seen), while the outside and the data dir stay out of reach."""
    everything = tree.hostile.add_bot("everything", tree.resource, {"paths": ["*"]})
    read = tree.hostile.call(everything, "read_file", {"path": "secret/plan.md"})
    assert read.ok and tree.secret_canary in read.text()
    for path in ("docs/key-link", "docs/data-link/admin.key", "docs/db-link",
                 "docs/out-link.md", "docs/dir-out/canary.txt", "../admin.key"):
        refused = tree.hostile.call(everything, "read_file", {"path": path})
        assert refused.outcome.status == "denied", (path, refused.outcome)
        assert refused.audit["status"] == "denied"
        for name, secret in data_dir_canaries(tree.data_dir).items():
            assert secret not in refused.text(), name
        assert tree.outside_canary not in refused.text()
    found = tree.hostile.call(everything, "search_files", {"query": "canary"})
    assert found.ok
    # the link inside the root is followed; those leading out of it are not
    assert {m["path"] for m in found.outcome.data["matches"]} == {"secret/plan.md",
                                                                 "docs/in-link.md"}
    assert tree.hostile.platform.audit.verify().ok
    tree.assert_clean(tree.hostile.log_text().replace(tree.secret_canary, ""))


def test_links_inside_the_scope_to_out_of_scope_files_are_not_listed_or_read(tree) -> None:
    """Issue 8 hole 9: ``docs/in-link.md`` points at ``secret/plan.md``."""
    read = tree.hostile.call(tree.bot, "read_file", {"path": "docs/in-link.md"})
    assert read.outcome.status == "denied" and read.audit["status"] == "denied"
    assert "really is 'secret/plan.md'" in read.outcome.error
    listed = tree.hostile.call(tree.bot, "list_files", {"path": "docs/sub"})
    assert listed.ok
    docs = tree.hostile.add_bot("docs-lister", tree.resource, {"paths": ["docs", "docs/*"]})
    shown = tree.hostile.call(docs, "list_files", {"path": "docs"})
    assert shown.ok
    # only what really is under docs/ (links to elsewhere are left out, names and sizes too)
    assert {e["name"] for e in shown.outcome.data["entries"]} == {"guide.md", "sub"}
    found = tree.hostile.call(docs, "search_files", {"query": "canary", "path": "docs"})
    assert found.ok and found.outcome.data["matches"] == []


# --- swapped between the check and the use ---------------------------------------------


@pytest.fixture
def swap_tree(tmp_path: Path) -> Iterator[Tree]:
    t = Tree(tmp_path)
    yield t
    t.hostile.close()


def _swap_sub_for_link(tree: Tree) -> None:
    """``docs/sub`` becomes a link to ``secret`` (which holds a ``plan.md`` too)."""
    sub = tree.root / "docs" / "sub"
    if not sub.is_symlink():
        sub.rename(tree.root / "docs-sub-moved")
        os.symlink(tree.root / "secret", sub)


def test_a_folder_swapped_for_a_link_after_the_check_is_not_followed_by_a_read(
    swap_tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_resolve = filesystem.resolve_inside

    def resolve_then_swap(root: Path, relative: object) -> Path:
        real = real_resolve(root, relative)
        _swap_sub_for_link(swap_tree)  # the attacker wins the race, every time
        return real

    monkeypatch.setattr(filesystem, "resolve_inside", resolve_then_swap)
    traced = swap_tree.hostile.call(swap_tree.bot, "read_file", {"path": "docs/sub/plan.md"})
    swap_tree.assert_clean(traced.text())
    assert traced.outcome.status == "denied" and traced.audit["status"] == "denied"
    assert "changed while it was being opened" in traced.outcome.error


def test_a_folder_swapped_for_a_link_during_a_search_is_not_followed(
    swap_tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_visible = filesystem._Place.visible

    def visible_then_swap(self: object, real: Path) -> bool:
        seen = real_visible(self, real)  # type: ignore[arg-type]
        if seen:
            _swap_sub_for_link(swap_tree)
        return seen

    monkeypatch.setattr(filesystem._Place, "visible", visible_then_swap)
    traced = swap_tree.hostile.call(swap_tree.bot, "search_files",
                                    {"query": "plan", "path": "docs/sub"})
    swap_tree.assert_clean(traced.text())
    assert traced.ok and traced.outcome.data["matches"] == []


def test_a_folder_swapped_for_a_link_before_a_listing_shows_nothing_out_of_scope(
    swap_tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    (swap_tree.root / "secret" / "only-in-secret.md").write_text("x")
    real_target = filesystem._Place.target

    def target_then_swap(self: object) -> Path:
        found = real_target(self)  # type: ignore[arg-type]
        _swap_sub_for_link(swap_tree)
        return found

    monkeypatch.setattr(filesystem._Place, "target", target_then_swap)
    traced = swap_tree.hostile.call(swap_tree.bot, "list_files", {"path": "docs/sub"})
    assert traced.ok
    assert "only-in-secret.md" not in traced.text()
    assert traced.outcome.data["entries"] == []
