"""docs/draw.md walks an auditor through a real ceremony; every number on the page must
recompute from the others, exactly as the page tells the reader to recompute it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from assignment.ceremony import (
    SEED_DOMAIN,
    SPEC_DOMAIN,
    derive_seed,
    library_versions,
    secret_commitment,
    seed_preimage,
    spec_hash,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "draw.md").read_text(encoding="utf-8")


def marked(name: str) -> str:
    """The value right after `<!-- name -->`: an inline `code` span or a fenced block."""
    match = re.search(rf"<!-- {name} -->\s*(?:`([^`]+)`|```\w*\n(.*?)```)", DOC, re.S)
    assert match is not None, f"docs/draw.md has no value marked {name}"
    return match.group(1) if match.group(1) is not None else match.group(2)


def test_every_number_in_the_walkthrough_recomputes() -> None:
    text = marked("spec-text").strip("\n")
    spec = json.loads(text)
    assert spec["domain"] == SPEC_DOMAIN and spec["versions"] == library_versions()
    digest = spec_hash(text)
    assert f"spec sha256: `{digest}`" in DOC
    secrets = {role: marked(f"secret-{role}") for role in ("organizer", "supervisor")}
    for role, secret in secrets.items():
        assert secret_commitment(digest, secret) == marked(f"commitment-{role}")
    revealed = [(role, secrets[role]) for role in spec["parties"]]
    assert marked("seed-preimage") == seed_preimage(digest, revealed, None)
    assert marked("seed-preimage").startswith(SEED_DOMAIN)
    seed = marked("seed")
    assert seed == derive_seed(digest, revealed, None)
    # the shell commands on the page print the same numbers
    assert f"# {seed}  -" in DOC and f"# {digest}  -" in DOC
    for role in secrets:
        assert f"# {marked(f'commitment-{role}')}  -" in DOC


def test_the_shell_commands_on_the_page_print_what_they_claim() -> None:
    """Each `printf … | sha256sum` block, run by bash, prints the hash under it."""
    import shutil
    import subprocess

    if shutil.which("sha256sum") is None:  # pragma: no cover - coreutils is everywhere here
        raise AssertionError("sha256sum is missing: the page's commands cannot be checked")
    block = re.search(r"## 5\..*?```bash\n(.*?)```", DOC, re.S)
    assert block is not None
    commands = re.findall(r"(printf .*?\| sha256sum)\n# ([0-9a-f]{64})  -", block.group(1),
                          re.S)
    assert len(commands) == 3  # two commitments and the seed
    for command, expected in commands:
        got = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                             check=True).stdout.split()[0]
        assert got == expected, command
