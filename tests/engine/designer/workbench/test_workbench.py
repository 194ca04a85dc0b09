"""The workbench's parts without the web: uploads (zips, limits, located refusals), drafts on disk, and the
differences between two versions of a process."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.bpmn.validation import SourceFile
from engine.designer.workbench.diff import diff_process
from engine.designer.workbench.drafts import DraftStore
from engine.designer.workbench.uploads import MAX_FILES, Upload, read_uploads
from engine.errors import InvalidInput, NotFound
from tests.conftest import FIXTURES

APPROVE = (FIXTURES / "approve.bpmn").read_bytes()
NOW = datetime(2026, 5, 6, 2, 0, tzinfo=UTC)


def _zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", method) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return packed.getvalue()


# -- uploads ----------------------------------------------------------------------------------------------
def test_files_and_zips_give_model_files_by_their_last_name() -> None:
    found = read_uploads([Upload("C:\\models\\approve.bpmn", APPROVE),
                          Upload("more.zip", _zip({"a/b/rule.dmn": b"<d/>", "form/x.form": b"{}",
                                                   "__MACOSX/._rule.dmn": b"x", ".hidden.bpmn": b"x"})),
                          Upload("", b"")])
    assert [f.name for f in found] == ["approve.bpmn", "rule.dmn", "x.form"]


@pytest.mark.parametrize(("uploads", "named"), [
    ([Upload("notes.txt", b"x")], "notes.txt"),
    ([Upload("a.zip", _zip({"evil.sh": b"rm -rf /"}))], "a.zip: evil.sh"),
    ([Upload("a.zip", b"PK\x03\x04broken")], "a.zip"),
    ([Upload("a.bpmn", APPROVE), Upload("b.zip", _zip({"a.bpmn": APPROVE}))], "a.bpmn"),
    ([Upload("empty.dmn", b"\n")], "empty.dmn"),
    ([], ""),
])
def test_refusals_name_the_file(uploads: list[Upload], named: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_uploads(uploads)
    assert named in str(refused.value)


def test_a_zip_bomb_is_refused_from_its_directory() -> None:
    bomb = _zip({"bomb.bpmn": b"\0" * (25 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(InvalidInput, match="bomb.zip"):
        read_uploads([Upload("bomb.zip", bomb)])


def test_a_zip_whose_directory_lies_is_refused_while_inflating() -> None:
    honest = _zip({"big.bpmn": b"<a/>" + b" " * 2_000_000})
    # the central directory and the local header both claim 10 bytes: reading stops past them, never inflates 2 MB
    size = (2_000_004).to_bytes(4, "little")
    lying = honest.replace(size, (10).to_bytes(4, "little"))
    with pytest.raises(InvalidInput, match="lie.zip"):
        read_uploads([Upload("lie.zip", lying)])


def test_too_many_files_are_refused() -> None:
    many = _zip({f"p{i}.bpmn": b"<a/>" for i in range(MAX_FILES + 1)})
    with pytest.raises(InvalidInput, match="too many"):
        read_uploads([Upload("many.zip", many)])


# -- drafts -------------------------------------------------------------------------------------------------
def test_drafts_keep_their_files_and_refuse_names_that_leave_the_folder(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    assert store.all() == []
    draft = store.create(title="Thử", owner="thietke", files=[SourceFile("approve.bpmn", APPROVE)], now=NOW)
    assert store.get(draft.id).file("approve.bpmn") == SourceFile("approve.bpmn", APPROVE)
    later = store.save_file(draft.id, SourceFile("rule.dmn", b"<d/>"), now=NOW.replace(hour=3))
    assert [f.name for f in later.files] == ["approve.bpmn", "rule.dmn"] and later.updated_at > draft.updated_at
    for bad in ("../x.bpmn", "draft.json", ".x", "a/b"):
        with pytest.raises(InvalidInput):
            store.save_file(draft.id, SourceFile(bad, b"x"), now=NOW)
    assert [d.id for d in store.all()] == [draft.id]
    store.delete(draft.id)
    for bad_id in (draft.id, "../../etc", ""):
        with pytest.raises(NotFound):
            store.get(bad_id)


# -- differences ---------------------------------------------------------------------------------------------
def test_the_diff_names_added_removed_and_changed_elements_and_what_changed() -> None:
    newer = (APPROVE.replace('name="Lãnh đạo duyệt"'.encode(), 'name="Lãnh đạo phê duyệt"'.encode())
             .replace(b"approved == True", b"approved is True")
             .replace(b'<bpmn:endEvent id="end_no" name="Kh', b'<bpmn:endEvent id="end_refused" name="Kh')
             .replace(b'targetRef="end_no"', b'targetRef="end_refused"'))
    found = diff_process(APPROVE, newer, "approve")
    assert [(c.id, c.aspects) for c in found.changed] == [("review", ("name",)), ("f_yes", ("conditionExpression",)),
                                                         ("f_no", ("targetRef",))]
    assert [c.id for c in found.added] == ["end_refused"] and [c.id for c in found.removed] == ["end_no"]
    assert diff_process(APPROVE, APPROVE, "approve").empty


def test_moving_shapes_changes_nothing() -> None:
    moved = APPROVE.replace(b'x="240" y="80"', b'x="260" y="90"')
    assert diff_process(APPROVE, moved, "approve").empty
