"""What letterkit keeps between runs (letterkit/cache.py): only ever a copy of what it
would build again, from the same inputs; anything wrong with the copy is passed over."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from letterkit import cache


def kept(name, inputs, build):
    """cache.kept, for a build that may make anything."""
    return cache.kept(name, inputs, build, object)


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(cache, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.delenv("LETTERKIT_NO_CACHE", raising=False)
    return tmp_path / "cache"


class Builds:
    def __init__(self, value: object = "built") -> None:
        self.count, self.value = 0, value

    def __call__(self) -> object:
        self.count += 1
        return self.value


def test_a_second_run_with_the_same_inputs_takes_the_copy(folder) -> None:
    build = Builds({"rules": [1, 2, 3]})
    assert {"rules": [1, 2, 3]} == kept("lists", [b"a", b"b"], build)
    assert {"rules": [1, 2, 3]} == kept("lists", [b"a", b"b"], build)
    assert 1 == build.count
    assert 1 == len(list(folder.glob("lists-*.pickle")))


@pytest.mark.parametrize("other", [[b"a", b"c"], [b"ab"], [b"a", b"b", b""]],
                         ids=["changed", "joined", "one-more"])
def test_other_inputs_build_again(folder, other) -> None:
    """Any change of the inputs (even bytes moved from one to the next) is a new build."""
    build = Builds()
    kept("lists", [b"a", b"b"], build)
    kept("lists", other, build)
    assert 2 == build.count


def test_another_python_builds_again(folder, monkeypatch) -> None:
    """What is kept holds compiled code, which is Python's own to each version."""
    build = Builds()
    kept("lists", [b"a"], build)
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    kept("lists", [b"a"], build)
    assert 2 == build.count


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05\x95"],
                         ids=["empty", "garbage", "cut-short"])
def test_a_damaged_copy_is_built_again_and_replaced(folder, damage) -> None:
    kept("lists", [b"a"], Builds())
    [copy] = folder.glob("lists-*.pickle")
    copy.write_bytes(damage)
    build = Builds("fresh")
    assert "fresh" == kept("lists", [b"a"], build)
    assert 1 == build.count
    assert "fresh" == kept("lists", [b"a"], Builds("not asked"))


def test_a_copy_of_another_kind_is_built_again(folder) -> None:
    """A copy that is not what the build makes (a file put there by hand, or by another
    program under the same name) is passed over, never handed on."""
    cache.kept("lists", [b"a"], Builds({"rules": []}), dict)
    [copy] = folder.glob("lists-*.pickle")
    copy.write_bytes(pickle.dumps(42))
    build = Builds({"rules": ["fresh"]})
    assert {"rules": ["fresh"]} == cache.kept("lists", [b"a"], build, dict)
    assert 1 == build.count


def test_a_copy_under_another_things_name_is_built_again(folder) -> None:
    """One template's copy moved over another's (same kind of thing, another key) is not
    taken for it: the letter would be the other template's."""
    cache.kept("lists", [b"acknowledgement"], Builds({"made": "acknowledgement"}), dict)
    cache.kept("lists", [b"meeting"], Builds({"made": "meeting"}), dict)
    theirs, mine = sorted(folder.glob("lists-*.pickle"), key=lambda p: p.stat().st_mtime_ns)
    mine.write_bytes(theirs.read_bytes())
    build = Builds({"made": "meeting"})
    assert {"made": "meeting"} == cache.kept("lists", [b"meeting"], build, dict)
    assert 1 == build.count


@pytest.mark.parametrize(("setting", "keeps"), [("0", True), ("false", True), ("", True),
                                                ("1", False), ("yes", False)])
def test_the_setting_that_turns_keeping_off(folder, monkeypatch, setting, keeps) -> None:
    monkeypatch.setenv("LETTERKIT_NO_CACHE", setting)
    build = Builds()
    kept("lists", [b"a"], build)
    kept("lists", [b"a"], build)
    assert (1 if keeps else 2) == build.count


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path, monkeypatch) -> None:
    """A read-only or full home: each run builds, and says nothing."""
    blocked = tmp_path / "a file"
    blocked.write_text("in the way")
    monkeypatch.setattr(cache, "cache_dir", lambda: blocked / "cache")
    build = Builds()
    assert "built" == kept("lists", [b"a"], build)
    assert "built" == kept("lists", [b"a"], build)
    assert 2 == build.count


def test_what_cannot_be_kept_is_still_returned(folder) -> None:
    build = Builds(lambda: None)  # a lambda cannot be pickled
    assert build.value is kept("lists", [b"a"], build)
    assert [] == list(folder.glob("*.part")) + list(folder.glob(".*"))


def test_a_build_that_fails_is_not_kept(folder) -> None:
    def failing() -> object:
        raise ValueError("the list is wrong")

    for _ in range(2):
        with pytest.raises(ValueError, match="the list is wrong"):
            kept("lists", [b"a"], failing)
    assert not folder.exists() or [] == list(folder.iterdir())


def test_turned_off(folder, monkeypatch) -> None:
    monkeypatch.setenv("LETTERKIT_NO_CACHE", "1")
    build = Builds()
    kept("lists", [b"a"], build)
    kept("lists", [b"a"], build)
    assert 2 == build.count
    assert not folder.exists()


def test_only_the_latest_copies_are_kept(folder) -> None:
    for n in range(7):
        kept("lists", [bytes([n])], Builds(n))
        copies = list(folder.glob("lists-*.pickle"))
        os.utime(copies[0])  # distinct times, whatever the clock's grain
    assert cache._COPIES == len(list(folder.glob("lists-*.pickle")))
    assert 6 == kept("lists", [bytes([6])], Builds("not asked"))


def _check_in_a_fresh_process(config: Path, record: Path, cache_home: Path) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    env.pop("LETTERKIT_NO_CACHE", None)
    done = subprocess.run([sys.executable, "-m", "letterkit", "--config", str(config), "check",
                           str(record), "--date", "2026-11-26"],
                          capture_output=True, text=True, env=env, check=False)
    return done.stderr


def test_an_admins_edited_word_list_is_read_again(tmp_path, write_record,
                                                  sample_data) -> None:
    """The word lists are kept between runs; an admin's edit to their own list is seen
    by the next run, as are new phrases, and a mistake in it is still named."""
    extra = tmp_path / "more.yaml"
    extra.write_text("jargon:\n  phrases: [hub transfer]\n", encoding="utf-8")
    config = tmp_path / "letterkit.yaml"
    config.write_text("practice_words: more.yaml\n", encoding="utf-8")
    sample_data["complaint"]["summary"] = "The parcel was held at the depot scan."
    record = write_record(sample_data)
    cache_home = tmp_path / "cache-home"
    assert "“depot scan”" not in _check_in_a_fresh_process(config, record, cache_home)
    assert list((cache_home / "letterkit").glob("word-lists-*.pickle"))
    extra.write_text("jargon:\n  phrases: [depot scan]\n", encoding="utf-8")
    assert "“depot scan”" in _check_in_a_fresh_process(config, record, cache_home)
    extra.write_text("jargon:\n  phrases: ['(depot']\n", encoding="utf-8")
    stderr = _check_in_a_fresh_process(config, record, cache_home)
    assert "more.yaml" in stderr and "a bracket is not closed" in stderr


def test_word_lists_are_kept_without_their_compiled_patterns() -> None:
    """A kept copy holds each phrase's pattern as text, compiled when a sentence first
    needs it: a compiled one would be compiled again at every start, and finds the same."""
    from letterkit.practice.wording import word_lists

    lists = word_lists()
    text = "As per policy, kindly go to the branch. The FE will revert ASAP."
    before = [rule.problem for rule, _ in lists.scan(text, "resolution.summary")]
    for rule in lists.rules:
        for phrase in (*rule.phrases, *rule.needs, *rule.unless):
            assert phrase.pattern  # each compiled
    kept = pickle.dumps(lists)
    assert b"_compile" not in kept
    assert before == [rule.problem for rule, _ in pickle.loads(kept).scan(
        text, "resolution.summary")]
    assert len(before) >= 3


# --- compiled templates, kept between runs --------------------------------------------------

def _render(out: Path, env: dict[str, str], *options: str) -> list[str]:
    """`letterkit render` of the sample's resolution letter in a fresh process; the texts
    of its letter's paragraphs."""
    from docx import Document

    from letterkit.resources import data_path

    done = subprocess.run(
        [sys.executable, "-m", "letterkit", "render", str(data_path("samples") / "complaint.yaml"),
         "-k", "resolution", "--layout", "block", "--date", "2026-11-26", "--no-email",
         "-o", str(out), *options],
        capture_output=True, text=True, env=env, check=False)
    assert 0 == done.returncode, done.stderr
    [letter] = out.glob("*/resolution.*.docx")
    return [p.text for p in Document(str(letter)).paragraphs]


@pytest.fixture
def fresh_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LETTERKIT_NO_CACHE",
                                                            "LETTERKIT_TEMPLATES")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache-home")
    env["LETTERKIT_LOCALES"] = str(tmp_path / "locales")
    return env


def test_a_kept_template_makes_the_letter_it_would_compile(tmp_path, fresh_env) -> None:
    first = _render(tmp_path / "first", fresh_env)
    assert list((tmp_path / "cache-home" / "letterkit").glob("template-*.pickle"))
    again = _render(tmp_path / "again", fresh_env)
    unkept = _render(tmp_path / "unkept", {**fresh_env, "LETTERKIT_NO_CACHE": "1"})
    assert first == again == unkept
    assert any("CMP-2026-0142" in text for text in first)


def test_an_edited_template_is_compiled_again(tmp_path, fresh_env, custom_template) -> None:
    """An admin's change to a template in Word shows in the next run's letters, however
    soon it comes and whatever its size."""
    folder = custom_template("We will ring you on Friday.")
    env = {**fresh_env, "LETTERKIT_TEMPLATES": str(folder)}
    assert "We will ring you on Friday." in _render(tmp_path / "one", env)
    custom_template("We will ring you on Monday.")
    texts = _render(tmp_path / "two", env)
    assert "We will ring you on Monday." in texts
    assert "We will ring you on Friday." not in texts


def test_an_edited_catalog_changes_the_letter(tmp_path, fresh_env) -> None:
    """A translation the template's fixed wording takes (worked out when it is compiled)
    follows the user's own catalog as soon as it is edited."""
    from letterkit.resources import data_path

    shipped = data_path("locales") / "te" / "LC_MESSAGES" / "messages.po"
    mine = tmp_path / "locales" / "te" / "LC_MESSAGES" / "messages.po"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(shipped.read_bytes())
    assert "ఇట్లు," in _render(tmp_path / "one", fresh_env, "--lang", "te")
    mine.write_text(shipped.read_text("utf-8").replace(
        'msgid "Yours sincerely,"\nmsgstr "ఇట్లు,"', 'msgid "Yours sincerely,"\nmsgstr "భవదీయులు,"',
        1), encoding="utf-8")
    texts = _render(tmp_path / "two", fresh_env, "--lang", "te")
    assert "భవదీయులు," in texts
    assert "ఇట్లు," not in texts


def test_every_template_of_a_run_stays_kept(tmp_path, fresh_env) -> None:
    """Each template and language keeps its own copies: a run of every kind in two
    languages finds all of them kept the next time, none pruned for another's sake."""
    from letterkit.resources import data_path

    def render_all() -> None:
        for sample in ("complaint.yaml", "complaint.te.yaml"):
            done = subprocess.run(
                [sys.executable, "-m", "letterkit", "render", str(data_path("samples") / sample),
                 "--date", "2026-11-25", "--force", "-o", str(tmp_path / "all")],
                capture_output=True, text=True, env=fresh_env, check=False)
            assert 0 == done.returncode, done.stderr

    render_all()
    kept_copies = {p: p.stat().st_mtime_ns
                   for p in (tmp_path / "cache-home" / "letterkit").glob("template-*.pickle")}
    made = {p.name for p in (tmp_path / "all").rglob("*.docx")}
    assert len(kept_copies) == len(made) > cache._COPIES, (sorted(made), kept_copies)
    render_all()
    assert kept_copies == {p: p.stat().st_mtime_ns for p in kept_copies}
