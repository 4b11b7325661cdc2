"""``--api-update-docs``: a run writes each doc's outcome into its frontmatter, byte for byte."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import stat
import textwrap
from pathlib import Path

import pytest
from apispec_helpers import DocWriter

from pytest_apispec.demo import DemoApi
from pytest_apispec.docformat.writeback import EditError, set_values

SEEDS = Path(__file__).parent / "data" / "seeds"
BUSINESS_VAR = "business_id=biz_demo_1"
STAMP = re.compile(rb"verifiedAt: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")
OLD = "2020-01-01T00:00:00.000Z"


def doc(status: str = "draft", extra: str = "", path: str = "/health", expect: int = 200) -> str:
    return textwrap.dedent(
        f"""\
        ---
        endpoint: GET {path}
        status: {status}  # kept
        verifiedAt: {OLD}
        {extra}
        ---
        # A doc

        ## Test Request

        ```yaml
        steps:
          - method: GET
            path: {path}
            expect:
              status: {expect}
        ```
        """
    )


def with_status(text: str, status: str, verified: str | None = None) -> str:
    text = text.replace("status: draft  # kept", f"status: {status}  # kept")
    return text.replace(OLD, verified) if verified else text


def verified_stamp(path: Path) -> str:
    found = STAMP.search(path.read_bytes())
    assert found is not None
    return found[1].decode()


# ---------------------------------------------------------------- the line editor, pure


def test_only_the_values_change_quotes_comments_crlf_and_bom_stay() -> None:
    raw = (
        b'\xef\xbb\xbf---\r\n# a comment\r\nendpoint: "GET /a"\r\n'
        b"status: 'draft'   # who set it\r\n  \r\n---\r\nstatus: draft\r\n"
    )
    edited = set_values(raw, {"status": "verified", "verifiedAt": "2026-02-08T10:24:43.000Z"})
    assert edited is not None
    assert edited.data == (
        b'\xef\xbb\xbf---\r\n# a comment\r\nendpoint: "GET /a"\r\n'
        b"status: 'verified'   # who set it\r\n  \r\n"
        b"verifiedAt: 2026-02-08T10:24:43.000Z\r\n---\r\nstatus: draft\r\n"
    )
    assert edited.changed == ("status", "verifiedAt")


def test_a_doc_without_frontmatter_is_not_edited() -> None:
    assert set_values(b"# Health\n\n## Test Request\n", {"status": "verified"}) is None


@pytest.mark.parametrize(
    "front",
    [
        "status: |\n  verified\n",
        "status: draft\nstatus: other\n",
        'status: "draft\n',
        "status:\n  - a\n",
    ],
)
def test_values_that_cannot_be_edited_on_one_line_are_refused(front: str) -> None:
    with pytest.raises(EditError):
        set_values(f"---\nendpoint: GET /a\n{front}---\nbody\n".encode(), {"status": "failing"})


def test_the_seeds_change_only_in_their_verified_at() -> None:
    for seed in sorted(SEEDS.iterdir()):
        raw = seed.read_bytes()
        edited = set_values(raw, {"status": "verified", "verifiedAt": "2030-01-02T03:04:05.006Z"})
        assert edited is not None
        old_stamp = STAMP.search(raw)
        assert old_stamp is not None
        assert edited.data == raw.replace(old_stamp[1], b"2030-01-02T03:04:05.006Z")


# ---------------------------------------------------------------- runs


@pytest.fixture
def docs(write_doc: DocWriter, demo_env: DemoApi) -> dict[str, Path]:
    return {
        "pass": write_doc.raw("pass.md", doc()),
        "fail": write_doc.raw("fail.md", doc(expect=201)),
        "xfail": write_doc.raw("xfail.md", doc(path="/nope", extra="expectedOutcome: 404")),
        "xpass": write_doc.raw("xpass.md", doc(extra="expectedOutcome: 404")),
        "skip": write_doc.raw("skip.md", doc(extra="tokens: [directory]")),
    }


def run_and_check(pytester: pytest.Pytester, docs: dict[str, Path], *args: str) -> str:
    originals = {name: path.read_text() for name, path in docs.items()}
    before = datetime.datetime.now(datetime.UTC)
    result = pytester.runpytest_subprocess("--api-update-docs", "-p", "no:cacheprovider", *args)
    after = datetime.datetime.now(datetime.UTC)
    result.assert_outcomes(passed=1, failed=1, xfailed=1, xpassed=1, skipped=1)
    stamp = verified_stamp(docs["pass"])
    ran = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    assert before - datetime.timedelta(seconds=1) <= ran <= after
    assert docs["pass"].read_text() == with_status(originals["pass"], "verified", stamp)
    assert docs["fail"].read_text() == with_status(originals["fail"], "failing")
    xfail_stamp = verified_stamp(docs["xfail"])
    assert docs["xfail"].read_text() == with_status(originals["xfail"], "verified", xfail_stamp)
    assert docs["xpass"].read_text() == with_status(originals["xpass"], "outdated")
    assert docs["skip"].read_text() == originals["skip"]
    summary = result.stdout.lines[-2]
    assert summary == "apispec: updated 4 docs (2 verified, 1 failing, 1 outdated)"
    return summary


def test_each_outcome_writes_its_status_and_verified_at(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    run_and_check(pytester, docs)


def test_xdist_writes_the_same_files_and_summary(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    originals = {name: path.read_bytes() for name, path in docs.items()}

    def written() -> dict[str, bytes]:
        return {name: STAMP.sub(b"verifiedAt: X", path.read_bytes()) for name, path in docs.items()}

    parallel = run_and_check(pytester, docs, "-n", "2")
    parallel_files = written()
    for name, path in docs.items():
        path.write_bytes(originals[name])
    assert run_and_check(pytester, docs) == parallel
    assert written() == parallel_files


def test_strict_xpass_is_outdated_too(pytester: pytest.Pytester, docs: dict[str, Path]) -> None:
    original = docs["xpass"].read_text()
    result = pytester.runpytest("--api-update-docs", "-o", "xfail_strict=true", "xpass.md")
    result.assert_outcomes(failed=1)
    assert docs["xpass"].read_text() == with_status(original, "outdated")


def test_nothing_is_written_without_the_flag_or_with_collect_only(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    originals = {name: path.read_bytes() for name, path in docs.items()}
    pytester.runpytest()
    result = pytester.runpytest("--api-update-docs", "--collect-only")
    result.stdout.fnmatch_lines(["apispec: no docs updated (--collect-only)"])
    assert {name: path.read_bytes() for name, path in docs.items()} == originals


def test_deselected_docs_are_not_touched(pytester: pytest.Pytester, docs: dict[str, Path]) -> None:
    original = docs["fail"].read_bytes()
    result = pytester.runpytest("--api-update-docs", "--deselect", "fail.md::GET /health")
    assert docs["fail"].read_bytes() == original
    result.stdout.fnmatch_lines(["apispec: updated 3 docs (2 verified, 1 outdated)"])


def test_x_stops_the_session_and_unrun_docs_stay(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    originals = {name: path.read_bytes() for name, path in docs.items()}
    result = pytester.runpytest("--api-update-docs", "-x", "fail.md", "pass.md", "xfail.md")
    result.assert_outcomes(failed=1)
    assert docs["fail"].read_text() == with_status(originals["fail"].decode(), "failing")
    assert docs["pass"].read_bytes() == originals["pass"]
    assert docs["xfail"].read_bytes() == originals["xfail"]


def test_a_doc_interrupted_mid_run_is_not_written(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_call(item):
            if item.path.name == "xfail.md":
                raise KeyboardInterrupt
        """
    )
    originals = {name: path.read_bytes() for name, path in docs.items()}
    result = pytester.runpytest_subprocess("--api-update-docs", "fail.md", "xfail.md", "pass.md")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert docs["xfail"].read_bytes() == originals["xfail"]
    assert docs["pass"].read_bytes() == originals["pass"]
    assert b"status: failing" in docs["fail"].read_bytes()


def test_a_crashed_xdist_worker_leaves_its_doc_alone(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    pytester.makeconftest(
        """
        import os

        def pytest_runtest_teardown(item):
            if item.path.name == "xfail.md":
                os._exit(1)
        """
    )
    original = docs["xfail"].read_bytes()
    result = pytester.runpytest_subprocess("--api-update-docs", "-n", "2")
    assert docs["xfail"].read_bytes() == original
    assert b"status: verified" in docs["pass"].read_bytes()
    assert "INTERNALERROR" not in result.stdout.str()


# ---------------------------------------------------------------- files that cannot be written


def test_seed_copies_change_byte_for_byte_only_in_their_verified_at(
    pytester: pytest.Pytester, demo_env: DemoApi
) -> None:
    originals = {}
    for seed in sorted(SEEDS.iterdir()):
        originals[seed.name] = seed.read_bytes()
        shutil.copy(seed, pytester.path / seed.name)
    result = pytester.runpytest("--api-update-docs", "--api-var", BUSINESS_VAR)
    result.assert_outcomes(passed=1, xfailed=1)
    for name, raw in originals.items():
        written = (pytester.path / name).read_bytes()
        stamp = STAMP.search(written)
        old = STAMP.search(raw)
        assert stamp is not None and old is not None and stamp[1] != old[1]
        assert written == raw.replace(old[1], stamp[1])
    result.stdout.fnmatch_lines(["apispec: updated 2 docs (2 verified)"])


def test_changed_on_disk_is_not_written_and_named_under_v(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    pytester.makeconftest(
        """
        from pathlib import Path

        def pytest_collection_finish(session):
            path = Path(session.config.rootpath, "pass.md")
            path.write_text(path.read_text().replace("# A doc", "# A doc, edited"))
        """
    )
    result = pytester.runpytest("--api-update-docs", "-v")
    assert b"status: draft" in docs["pass"].read_bytes()
    assert b"# A doc, edited" in docs["pass"].read_bytes()
    result.stdout.fnmatch_lines(
        [
            "apispec: not written: pass.md: changed on disk: *",
            "apispec: updated 3 docs (1 verified, 1 failing, 1 outdated);"
            " 1 not written: changed on disk",
        ]
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.tmp"))


def test_read_only_doc_and_folder_and_no_frontmatter(
    pytester: pytest.Pytester, docs: dict[str, Path], write_doc: DocWriter
) -> None:
    locked = write_doc.raw("locked/in.md", doc())
    bare = write_doc.raw(
        "bare.md",
        "# Bare\n\n## Test Request\n\n```yaml\nsteps:\n  - method: GET\n    path: /health\n```\n",
    )
    docs["pass"].chmod(0o444)
    locked.parent.chmod(0o555)
    try:
        originals = {p: p.read_bytes() for p in (docs["pass"], locked, bare)}
        result = pytester.runpytest("--api-update-docs", "-v")
        assert {p: p.read_bytes() for p in originals} == originals
    finally:
        locked.parent.chmod(0o755)
    assert stat.S_IMODE(docs["pass"].stat().st_mode) == 0o444
    result.stdout.fnmatch_lines(
        [
            "apispec: not changed: bare.md: no frontmatter: *",
            "apispec: not written: locked/in.md: not writable: its folder is read-only",
            "apispec: not written: pass.md: not writable: the file is read-only",
            "apispec: updated 3 docs (1 verified, 1 failing, 1 outdated);"
            " 2 not written: not writable; 1 without frontmatter, not changed",
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str()
    assert leftovers(pytester.path) == []


def test_a_full_disk_leaves_no_temporary_file_and_others_are_written(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    pytester.makeconftest(
        """
        import errno, os
        import pytest

        real_fsync = os.fsync

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            def full(fd):
                if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and os.fstat(fd).st_size > 0:
                    if ".fail.md." in os.readlink(f"/proc/self/fd/{fd}"):
                        raise OSError(errno.ENOSPC, "No space left on device")
                return real_fsync(fd)
            os.fsync = full
        """
    )
    original = docs["fail"].read_bytes()
    result = pytester.runpytest("--api-update-docs", "-v")
    assert docs["fail"].read_bytes() == original
    assert b"status: verified" in docs["pass"].read_bytes()
    result.stdout.fnmatch_lines(
        [
            "apispec: not written: fail.md: disk full: No space left on device",
            "apispec: updated 3 docs (2 verified, 1 outdated); 1 not written: disk full",
        ]
    )
    assert leftovers(pytester.path) == []


def test_a_doc_replaced_by_a_folder_is_named_and_others_written(
    pytester: pytest.Pytester, docs: dict[str, Path]
) -> None:
    pytester.makeconftest(
        """
        import os
        from pathlib import Path

        def pytest_collection_finish(session):
            path = Path(session.config.rootpath, "fail.md")
            os.replace(path, path.with_name("moved.txt"))
            path.mkdir()
        """
    )
    result = pytester.runpytest("--api-update-docs")
    assert (pytester.path / "fail.md").is_dir()
    assert b"status: verified" in docs["pass"].read_bytes()
    result.stdout.fnmatch_lines(["*; 1 not written: not a file"])
    assert "INTERNALERROR" not in result.stdout.str()
    assert os.listdir(pytester.path / "fail.md") == []


def test_crlf_bom_and_permissions_survive_a_run(
    pytester: pytest.Pytester, demo_env: DemoApi
) -> None:
    text = doc().replace("\n", "\r\n")
    path = pytester.path / "crlf.md"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    path.chmod(0o640)
    pytester.runpytest("--api-update-docs").assert_outcomes(passed=1)
    written = path.read_bytes()
    stamp = verified_stamp(path)
    expected = with_status(text, "verified", stamp).encode()
    assert written == b"\xef\xbb\xbf" + expected
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_missing_status_and_verified_at_are_added_before_the_closing_line(
    pytester: pytest.Pytester, demo_env: DemoApi
) -> None:
    text = doc().replace("status: draft  # kept\n", "").replace(f"verifiedAt: {OLD}\n", "")
    path = pytester.path / "bare_front.md"
    path.write_text(text)
    pytester.runpytest("--api-update-docs").assert_outcomes(passed=1)
    stamp = verified_stamp(path)
    assert path.read_text() == text.replace(
        "\n\n---\n", f"\n\nstatus: verified\nverifiedAt: {stamp}\n---\n", 1
    )
