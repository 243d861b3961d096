"""Every ```python block in docs/ runs and its assertions hold."""

import re
import shlex
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for number, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8")), 1):
            found.append((f"{page.name}#{number}", match.group(1)))
    return found


@pytest.mark.parametrize(("where", "code"), _blocks(), ids=[w for w, _ in _blocks()])
def test_doc_example_runs(where: str, code: str) -> None:
    exec(compile(code, where, "exec"), {"__name__": "docs_example"})


def test_docs_have_examples() -> None:
    assert len(_blocks()) >= 6


# -- transcripts: the requests a page shows are sent, and the answers compared ----------
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
_CURL = re.compile(r"127\.0\.0\.1:8000(\S*)")

#: Runs in the generated project's own interpreter: its models must not join this
#: process's shared metadata. Reads the requests as JSON, prints the answers as JSON.
_REPLAY = """
import json, sys
from mvcpy.migrate import upgrade
from mvcpy.testing import TestClient
from {package}.app import app

upgrade(app)
answers = []
with TestClient(app) as client:
    for method, path, headers, body in json.load(sys.stdin):
        response = client.request(method, path, headers=headers, content=body)
        answers.append([response.status_code, response.text])
print(json.dumps(answers))
"""


def _curl_steps(block: str) -> list[tuple[str, list[str]]]:
    """Split a transcript into (curl command line, output lines) pairs."""
    steps: list[tuple[str, list[str]]] = []
    lines = iter(block.splitlines())
    for line in lines:
        if line.startswith("$ curl"):
            command = line
            while command.endswith("\\"):
                command = command[:-1] + next(lines).strip()
            steps.append((command, []))
        elif line.startswith("$ "):
            continue
        elif steps:
            steps[-1][1].append(line)
    return steps


def _request(command: str) -> tuple[str, str, dict[str, str], str]:
    """Read ``curl [-i] [-X M] URL [-H 'k: v'] [-d 'body']`` into a request."""
    words = shlex.split(command[2:])
    method, headers, body = "", {}, ""
    path = ""
    for flag, value in zip(words, [*words[1:], ""], strict=False):
        if flag == "-X":
            method = value
        elif flag == "-H":
            name, _, text = value.partition(":")
            headers[name.strip()] = text.strip()
        elif flag == "-d":
            body = value
        elif _CURL.fullmatch(flag):
            path = _CURL.fullmatch(flag).group(1)  # type: ignore[union-attr]
    return method or ("POST" if body else "GET"), path, headers, body


def _expected(command: str, output: list[str]) -> tuple[int | None, str]:
    """The status the transcript shows (with ``-i``) and the body it shows."""
    if " -i " not in command:
        return None, "\n".join(output).strip()
    status = int(output[0].split()[1])
    blank = output.index("") if "" in output else len(output)
    return status, "\n".join(output[blank + 1 :]).strip()


def test_the_api_scaffold_transcript_in_generators_md_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os
    import subprocess
    import sys

    from mvcpy.cli import main
    from mvcpy.project import create_project

    page = (DOCS / "generators.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"^```\n(.*?)^```", page, re.S | re.M) if "$ curl" in b]
    steps = _curl_steps(block)
    assert len(steps) == 8
    project = create_project("blog", tmp_path / "blog", api=True)
    monkeypatch.chdir(project)
    for name in [n for n in os.environ if n.startswith("MVCPY_")]:
        monkeypatch.delenv(name)
    assert main(["generate", "scaffold", "post", "title:str", "body:text", "published:bool"]) == 0
    requests = [_request(command) for command, _ in steps]
    done = subprocess.run(
        [sys.executable, "-c", _REPLAY.format(package="blog")],
        input=json.dumps(requests),
        cwd=project,
        env={**os.environ, "MVCPY_ENV": "test", "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for (command, output), (status, text) in zip(steps, json.loads(done.stdout), strict=True):
        shown_status, shown_body = _expected(command, output)
        if shown_status is not None:
            assert status == shown_status, (command, text)
        else:
            assert status < 300 or json.loads(text).get("error"), (command, text)
        body = _TIMESTAMP.sub("T", text)
        shown = _TIMESTAMP.sub("T", shown_body)
        if "..." in shown:  # an elided tail: the shown head must match
            assert body.startswith(shown.split("...")[0]), (command, body)
        else:
            assert body == shown, (command, body)


def test_the_readme_pictures_are_there() -> None:
    """The README shows the screenshots the demo's browser test takes (make screenshots)."""
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", readme)
    assert len(pictures) == 6
    for picture in pictures:
        data = (DOCS.parent / picture).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), picture
