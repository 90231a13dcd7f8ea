"""The draw ceremony's arithmetic (DESIGN §5): the sealed draw specification and its
hash, each party's commitment to its secret, and the seed derived from the revealed
secrets and an optional public value, in the spirit of RFC 3797.

Every value here can be recomputed by hand with `sha256sum` (docs/draw.md):

- a party's commitment binds its secret to the sealed specification: sha256 of the text
  `COMMIT_DOMAIN`, one line `spec <hash>` and one line `secret <secret>`, each ending in
  a newline, the secret being 32–128 lowercase hex digits (128–512 bits):
  `printf 'xuncha-draw-commit-v1\nspec %s\nsecret %s\n' SPEC SECRET | sha256sum`;
- the specification hash is sha256 of the specification's canonical JSON text;
- the seed is sha256 of the text `SEED_DOMAIN`, then one line `spec <hash>`, one line
  `<role> <secret>` per party in the ceremony's fixed order, and one line
  `public <value>` (`public -` when the round names no public value), each line ending
  in a newline.

Pure: no database, no web framework."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

SPEC_DOMAIN = "xuncha-draw-spec-v1"
COMMIT_DOMAIN = "xuncha-draw-commit-v1"
SEED_DOMAIN = "xuncha-draw-seed-v1"
SECRET_PATTERN = re.compile(r"^[0-9a-f]{32,128}$")
DIGEST_PATTERN = re.compile(r"^[0-9a-f]{64}$")
SOLVER_SEED_MODULUS = 2**31  # CP-SAT's random_seed is a 32-bit signed integer


class CeremonyError(ValueError):
    """A value that cannot take part in a ceremony; the message says which and why."""


def new_secret() -> str:
    """A fresh 256-bit secret as 64 lowercase hex digits (made on the party's machine)."""
    return secrets.token_hex(32)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_secret(secret: str) -> str:
    if not SECRET_PATTERN.fullmatch(secret):
        raise CeremonyError(
            "秘密值须为32–128位小写十六进制数字（至少128比特），请用 `xuncha seed new` 生成 / "
            "a secret is 32–128 lowercase hex digits (at least 128 bits); make one with "
            "`xuncha seed new`")
    return secret


def check_digest(digest: str) -> str:
    if not DIGEST_PATTERN.fullmatch(digest):
        raise CeremonyError("承诺值须为64位小写十六进制 sha256 / a commitment is a sha256: "
                            "64 lowercase hex digits")
    return digest


def commitment_preimage(spec_sha256: str, secret: str) -> str:
    check_digest(spec_sha256)
    return f"{COMMIT_DOMAIN}\nspec {spec_sha256}\nsecret {check_secret(secret)}\n"


def secret_commitment(spec_sha256: str, secret: str) -> str:
    """What a party publishes before any reveal: its secret bound to the specification
    it has read (a commitment made for another draw does not open this one)."""
    return sha256_hex(commitment_preimage(spec_sha256, secret))


def spec_text(spec: Mapping[str, Any]) -> str:
    """The specification's canonical JSON (sorted keys, no spaces, UTF-8 as is), with
    its domain: the exact text whose sha256 the parties commit to."""
    return json.dumps({"domain": SPEC_DOMAIN, **spec}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def spec_hash(text: str) -> str:
    return sha256_hex(text)


def seed_preimage(spec_sha256: str, revealed: Sequence[tuple[str, str]],
                  public_value: str | None) -> str:
    """The text whose sha256 is the seed; `revealed` is (role, secret) in the ceremony's
    fixed order."""
    check_digest(spec_sha256)
    lines = [SEED_DOMAIN, f"spec {spec_sha256}"]
    for role, secret in revealed:
        if not re.fullmatch(r"[a-z_]{1,32}", role):
            raise CeremonyError(f"参与方角色名无效 / invalid party role {role!r}")
        lines.append(f"{role} {check_secret(secret)}")
    if public_value is not None and ("\n" in public_value or not public_value.strip()):
        raise CeremonyError("公开值须为一行非空文字 / the public value is one non-empty line")
    lines.append(f"public {public_value if public_value is not None else '-'}")
    return "".join(f"{line}\n" for line in lines)


def derive_seed(spec_sha256: str, revealed: Sequence[tuple[str, str]],
                public_value: str | None) -> str:
    """The draw's seed: 64 hex digits that no party could choose alone."""
    return sha256_hex(seed_preimage(spec_sha256, revealed, public_value))


def seed_number(seed_hex: str) -> int:
    """The seed as the integer the optimizer takes (all 256 bits; the solver's own
    32-bit seed is `solver_seed` of it)."""
    check_digest(seed_hex)
    return int(seed_hex, 16)


def solver_seed(seed: int) -> int:
    """CP-SAT's `random_seed` for a draw seed of any size (trial seeds below 2^31 are
    their own solver seed)."""
    return seed % SOLVER_SEED_MODULUS


def library_versions() -> dict[str, str]:
    """The exact versions a draw's result depends on (recorded, compared on replay and
    at every proposal read); a fresh dict each call, looked up once per process."""
    return dict(_versions())


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    from importlib.metadata import version

    return (("numpy", version("numpy")), ("ortools", version("ortools")))
