"""Attack the shell executor: arguments in every form a program reads a path from, links
planted in the working folder, and commands that write. No file outside the working
folder — above all the platform's keys and database, one ``..`` away — is ever read,
written or created.

The working folder is the data dir's shared folder, as for the demo. Each property runs
twice: with the kernel's Landlock confinement (where this kernel has it) and with the
argument check alone (``landlock_abi`` reports 0, as on a kernel without it), since each
layer must hold on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monstrum_tui.server.executors import shell
from monstrum_tui.server.executors.landlock import landlock_abi
from tests.attack_platform import HostilePlatform, canary, data_dir_canaries

#: commands that read what they are named (and ``date -f`` reads dates from a file)
READERS = ["cat", "head", "wc", "date", "sort", "od", "ls", "grep"]
#: commands that write or make links, for the next call to use
WRITERS = ["touch", "mkdir", "ln", "tee", "cp"]


class Workdir:
    def __init__(self, base: Path) -> None:
        self.hostile = HostilePlatform(base / "data")
        self.data_dir = self.hostile.data_dir
        self.cwd = self.data_dir / "demo-workspace"
        self.outside = base / "outside"
        self.outside_canary = canary("outside")
        self.cwd.mkdir()
        self.outside.mkdir()
        (self.outside / "canary.txt").write_text(self.outside_canary + "\n")
        (self.cwd / "notes.txt").write_text("2026-01-01\n")
        (self.cwd / "readme.txt").write_text("in the folder\n")
        (self.cwd / "sub").mkdir()
        for name, target in {"out-link": self.outside / "canary.txt",
                             "dir-out": self.outside, "data-link": self.data_dir,
                             "key-link": self.data_dir / "admin.key",
                             "db-link": self.data_dir / "monstrum.db"}.items():
            os.symlink(target, self.cwd / name)
        self.resource = self.hostile.add_resource("res_shell", "shell", {
            "allowed_commands": READERS + WRITERS + ["echo"], "working_dir": str(self.cwd),
            "timeout_s": 5,
        })
        self.bot = self.hostile.add_bot("shell-bot", self.resource, {"commands": ["*"]})
        first = self.hostile.call(self.bot, "run_command", {"command": "cat",
                                                            "args": ["notes.txt"]})
        assert first.ok, first.outcome.error
        self.guarded = self.snapshot()

    def canaries(self) -> dict[str, str]:
        found = data_dir_canaries(self.data_dir)
        found["outside"] = self.outside_canary
        return found

    def snapshot(self) -> dict[str, object]:
        """What no command may change: the outside folder and the data dir's own files."""
        names = {p.name for p in self.data_dir.iterdir()} - {
            "monstrum.db-wal", "monstrum.db-shm", "monstrum.db-journal"}
        keys = {n: (self.data_dir / n).read_bytes()
                for n in ("admin.key", "secret.key", "audit.key")}
        outside = {p.relative_to(self.outside).as_posix(): p.read_bytes()
                   for p in self.outside.rglob("*") if p.is_file()}
        return {"data": names, "keys": keys, "outside": outside,
                "outside_names": sorted(p.name for p in self.outside.rglob("*"))}

    def assert_clean(self, text: str, what: object = "") -> None:
        for name, secret in self.canaries().items():
            assert secret not in text, f"{name} leaked by {what}"
        now = self.snapshot()
        if now != self.guarded:
            self._restore()  # so the next example starts clean (hypothesis then says Flaky)
            changed = sorted(k for k in now if now[k] != self.guarded[k])
            raise AssertionError(f"{what} changed what is outside the working folder ({changed}"
                                 f"; outside now holds {now['outside_names']})")

    def _restore(self) -> None:
        for path in sorted(self.outside.rglob("*"), reverse=True):
            if path.relative_to(self.outside).as_posix() not in self.guarded["outside"]:
                path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
        (self.outside / "canary.txt").write_text(self.outside_canary + "\n")
        for path in self.data_dir.iterdir():
            if path.name not in self.guarded["data"] and not path.name.startswith("monstrum.db"):
                path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workdir]:
    w = Workdir(tmp_path_factory.mktemp("shell"))
    yield w
    w.hostile.close()


@pytest.fixture(params=["landlock", "argument-check-only"])
def layer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "landlock":
        if landlock_abi() <= 0:
            pytest.skip("this kernel has no Landlock")
    else:
        monkeypatch.setattr(shell, "landlock_abi", lambda: 0)
    return request.param


TARGETS = [
    "../admin.key", "../secret.key", "../audit.key", "../monstrum.db", "../audit.witness",
    "..", "../", "./..", "./../admin.key", "sub/../../admin.key", "x/../../admin.key",
    "../demo-workspace/../admin.key", "key-link", "data-link", "data-link/admin.key",
    "db-link", "out-link", "dir-out", "dir-out/canary.txt", "dir-out/new", "data-link/new",
    "~", "~/x", "~root", "/etc/passwd", "/", "//etc/hostname", "%2e%2e/admin.key",
    "..\\admin.key", ".", "./", "notes.txt", "sub", "sub/new", "new-link", "new-link/x",
    "made", "made/../../admin.key",
]
#: how a path is attached to an option: bare, ``-xVALUE``, grouped ``-abVALUE``,
#: ``--opt=VALUE``, ``key=VALUE``, ``@file``, ``file:..``, lists
ATTACHED = ["", "-f", "-n", "-c", "-r", "-uf", "-vf", "-nr", "-xzvf", "-T", "-t",
            "--file=", "--files0-from=", "--reference=", "--target-directory=", "--opt=",
            "if=", "of=", "key=", "@", "file:", "file://", "x,", "a,b,", "a:", "=", ":"]
#: options given as their own argument, so the path is the next one (``-x VALUE``)
SEPARATE = ["-f", "-n", "-t", "-T", "--file", "--reference", "--target-directory",
            "--files0-from", "--"]


#: targets through the planted links: where only following the link tells where it lands
THROUGH_LINKS = ["key-link", "data-link/admin.key", "dir-out/canary.txt", "dir-out/new",
                 "data-link/new", "out-link", "db-link"]


def _args() -> st.SearchStrategy[list[str]]:
    target = st.one_of(st.sampled_from(TARGETS), st.sampled_from(THROUGH_LINKS),
                       st.lists(st.sampled_from(TARGETS), min_size=2, max_size=3).map("/".join))
    attached = st.tuples(st.one_of(st.just(""), st.sampled_from(ATTACHED)), target).map("".join)
    separate = st.tuples(st.sampled_from(SEPARATE), target).map(list)
    return st.lists(st.one_of(attached, attached, separate.map(tuple)), max_size=4).map(
        lambda items: [a for item in items for a in (item if isinstance(item, tuple) else [item])]
    )


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_argument_reaches_outside_the_working_folder(workdir: Workdir, layer: str,
                                                        data) -> None:
    writes = st.tuples(st.sampled_from(WRITERS), st.lists(
        st.sampled_from(["notes.txt", "sub/new", *THROUGH_LINKS]), min_size=1, max_size=2))
    calls = data.draw(st.lists(st.one_of(st.tuples(st.sampled_from(READERS + WRITERS), _args()),
                                         writes), min_size=1, max_size=3), label="calls")
    for command, args in calls:
        if layer == "argument-check-only" and command in ("grep", "cp"):
            # recursive modes follow links by themselves: only the kernel layer stops them
            # (test_without_landlock_recursive_tools_follow_links_already_there)
            args = [a for a in args if not a.startswith("-") or a == "--"]
        traced = workdir.hostile.call(workdir.bot, "run_command",
                                      {"command": command, "args": args})
        workdir.assert_clean(traced.text(), (command, args))
        assert traced.audit is not None
        assert traced.audit["status"] in ("success", "error", "denied")


@pytest.mark.parametrize("args", [
    ["-f../admin.key"], ["-f", "../admin.key"], ["--file=../admin.key"], ["-uf../admin.key"],
    ["-f", "key-link"], ["-fkey-link"], ["--file=data-link/audit.key"], ["-f./../secret.key"],
])
def test_date_cannot_read_the_data_dir_in_any_option_form(workdir: Workdir, layer: str,
                                                           args: list[str]) -> None:
    """Issue 8 hole 1: ``date -f../admin.key`` printed the admin key in its error."""
    traced = workdir.hostile.call(workdir.bot, "run_command", {"command": "date", "args": args})
    workdir.assert_clean(traced.text())
    assert traced.outcome.status == "denied" and traced.audit["status"] == "denied"


def test_a_file_created_under_a_link_is_refused(workdir: Workdir, layer: str) -> None:
    """``touch dir-out/new`` would create a file where the link points (it does not exist
    yet, so only following the link says where it lands)."""
    for args in (["dir-out/created"], ["data-link/created"], ["-c", "dir-out/x"]):
        traced = workdir.hostile.call(workdir.bot, "run_command",
                                      {"command": "touch", "args": args})
        assert traced.outcome.status == "denied", (args, traced.outcome.error)
    workdir.assert_clean("")


def test_a_link_cannot_be_made_to_where_a_link_leads(workdir: Workdir, layer: str) -> None:
    """``ln -s key-link mine`` names a link into the data dir: refused, so no later call
    finds a way out that was made by an earlier one."""
    made = workdir.hostile.call(workdir.bot, "run_command",
                                {"command": "ln", "args": ["-s", "key-link", "mine"]})
    assert made.outcome.status == "denied", made.outcome.error
    assert not (workdir.cwd / "mine").is_symlink()
    workdir.assert_clean(made.text())


def test_inside_the_folder_commands_still_work(workdir: Workdir, layer: str) -> None:
    """The properties are not vacuous: reading inside the folder works and shows up."""
    (workdir.cwd / "dates.txt").write_text("2026-01-01\n")
    if layer == "argument-check-only":
        # without the kernel layer this folder's links out refuse every call; without them
        # the folder works
        refused = workdir.hostile.call(workdir.bot, "run_command", {"command": "ls"})
        assert refused.outcome.status == "denied" and "link leading out" in (
            refused.outcome.error or "")
        links = {p: os.readlink(p) for p in workdir.cwd.iterdir() if p.is_symlink()
                 and not p.resolve().is_relative_to(workdir.cwd.resolve())}
        for path in links:
            path.unlink()
        try:
            assert_inside_works(workdir)
        finally:  # the folder is shared by the module's tests
            for path, target in links.items():
                os.symlink(target, path)
        return
    assert_inside_works(workdir)


def assert_inside_works(workdir: Workdir) -> None:
    traced = workdir.hostile.call(workdir.bot, "run_command",
                                  {"command": "date", "args": ["-f", "dates.txt", "+%F"]})
    assert traced.ok and traced.outcome.data["stdout"] == "2026-01-01\n"
    listed = workdir.hostile.call(workdir.bot, "run_command", {"command": "ls", "args": ["."]})
    assert listed.ok and "notes.txt" in listed.outcome.data["stdout"]
    assert workdir.hostile.platform.audit.verify().ok


def test_long_arguments_do_not_hold_up_the_check() -> None:
    """Every suffix of an option cluster is a candidate: an argument is capped at PATH_MAX
    so the check stays bounded (a 30,000-character one used to take seconds)."""
    cwd = Path("/").resolve()
    with pytest.raises(shell.ToolFailure, match="at most 4096"):
        shell.check_confined(["-" + "a" * 30_000], cwd, shell.PrivateZone.empty())
    shell.check_confined(["-" + "a" * 4095, "a," * 2048], Path(os.getcwd()),
                         shell.PrivateZone.empty())


def test_without_landlock_recursive_tools_follow_links_already_there(
    workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``grep -R .`` names only ``.``, but reads through the links in it: without the
    kernel layer a folder holding links that lead out is refused as a whole."""
    monkeypatch.setattr(shell, "landlock_abi", lambda: 0)
    for args in (["-R", "CANARY", "."], ["-r", "CANARY"], ["-rl", "x", "sub"]):
        traced = workdir.hostile.call(workdir.bot, "run_command",
                                      {"command": "grep", "args": args})
        assert traced.outcome.status == "denied", (args, traced.outcome.error)
        assert "link leading out" in (traced.outcome.error or "")
        workdir.assert_clean(traced.text())
