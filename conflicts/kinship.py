"""Kinship derivation: who is whose relative, in which category, as of a date.

Only primitive facts are stored (`parent_of` with adoptive/step flags, `spouse_of`, and a
declared relation when the linking persons are unknown); the categories of DESIGN §4 are
derived here by walking the graph with sparse-matrix products.

Generation counting. With U the child→parent step and D its reverse, a blood relative r
of c lies at (a, b) when some common ancestor is a steps up from c and b steps up from r:
r ∈ row c of U^a·D^b. Lineal relatives are (1,0) parent, (2,0) grandparent, (0,1) child,
(0,2) grandchild; collateral relatives within three generations are (1,1) sibling,
(2,1) uncle/aunt, (1,2) nephew/niece, (2,2) first cousin. Adoptive and step parents count
as parents (拟制血亲). A person holds one blood category, the first that applies in that
order (a full sibling also shares grandparents, but is a sibling, not a cousin); a second
cousin (3,3), a great-uncle (3,1), a first cousin's child (2,3) and a grand-nephew (1,3)
are out of scope because no product reaches them.

Close in-laws (近姻亲) are derived from the blood categories of the persons a marriage
links: spouse's parents; spouse's siblings and their spouses; children's spouses and those
spouses' parents; spouses of the collateral relatives above. A relative may hold several
in-law categories, and an in-law category beside a blood one; each is reported.

Everything is evaluated on one date: a divorce ends the spouse tie, an adoption counts
from its start. Axis order everywhere: rows are the asked persons, columns the encoded
person index of `KinshipGraph.keys`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from conflicts.policy import Kin

# Priority order of the blood categories (one per relative) and the in-law categories.
BLOOD: tuple[Kin, ...] = (Kin.parent, Kin.child, Kin.grandparent, Kin.grandchild,
                          Kin.sibling, Kin.uncle_aunt, Kin.nephew_niece, Kin.cousin)
IN_LAW: tuple[Kin, ...] = (Kin.parent_in_law, Kin.sibling_in_law, Kin.child_in_law,
                           Kin.child_in_law_parent, Kin.collateral_spouse)
LINEAL = frozenset((Kin.parent, Kin.child, Kin.grandparent, Kin.grandchild))
COLLATERAL = frozenset((Kin.sibling, Kin.uncle_aunt, Kin.nephew_niece, Kin.cousin))
ALL_KIN: tuple[Kin, ...] = (Kin.spouse, *BLOOD, *IN_LAW)
BIT: dict[Kin, int] = {kin: 1 << i for i, kin in enumerate(ALL_KIN)}

# The steps that lead to each category: U up to a parent, D down to a child, S spouse.
# Explanations search these patterns; derivation uses the same walks as matrix products.
PATTERNS: dict[Kin, tuple[str, ...]] = {
    Kin.spouse: ("S",),
    Kin.parent: ("U",), Kin.child: ("D",), Kin.grandparent: ("UU",), Kin.grandchild: ("DD",),
    Kin.sibling: ("UD",), Kin.uncle_aunt: ("UUD",), Kin.nephew_niece: ("UDD",),
    Kin.cousin: ("UUDD",),
    Kin.parent_in_law: ("SU",), Kin.sibling_in_law: ("SUD", "SUDS"),
    Kin.child_in_law: ("DS",), Kin.child_in_law_parent: ("DSU",),
    Kin.collateral_spouse: ("UDS", "UUDS", "UDDS", "UUDDS"),
}

# A declared relation read from the other person's side.
INVERSE: dict[Kin, Kin] = {
    Kin.parent: Kin.child, Kin.child: Kin.parent, Kin.grandparent: Kin.grandchild,
    Kin.grandchild: Kin.grandparent, Kin.uncle_aunt: Kin.nephew_niece,
    Kin.nephew_niece: Kin.uncle_aunt, Kin.parent_in_law: Kin.child_in_law,
    Kin.child_in_law: Kin.parent_in_law,
}


def _kin_of_bit(bit: int) -> Kin:
    return next(kin for kin in ALL_KIN if BIT[kin] == bit)


def mask_of(kins: Iterable[Kin]) -> int:
    out = 0
    for kin in kins:
        out |= BIT[Kin(kin)]
    return out


def kins_of(mask: int) -> tuple[Kin, ...]:
    return tuple(kin for kin in ALL_KIN if mask & BIT[kin])


@dataclass(frozen=True, slots=True)
class KinEdges:
    """Primitive kinship facts as encoded arrays (one entry per tie in force on the date).

    `tie` is the caller's row number of the tie, carried so evidence can name it."""

    parent: np.ndarray  # parent_of: the parent
    child: np.ndarray  # parent_of: the child
    parent_tie: np.ndarray
    spouse_a: np.ndarray
    spouse_b: np.ndarray
    spouse_tie: np.ndarray
    declared_subject: np.ndarray  # declared relation: object is the subject's <category>
    declared_object: np.ndarray
    declared_bit: np.ndarray  # BIT of the category, as the subject states it
    declared_tie: np.ndarray


class KinshipGraph:
    """CSR adjacency of the kinship facts in force on one date, over `n` encoded persons.

    Each matrix stores `tie row + 1` as its value, so a walk can name the tie it used."""

    def __init__(self, n: int, edges: KinEdges) -> None:
        self.n = n
        self.up = _adjacency(n, edges.child, edges.parent, edges.parent_tie)  # child → parent
        self.down = self.up.T.tocsr()  # parent → child
        a = np.concatenate([edges.spouse_a, edges.spouse_b])
        b = np.concatenate([edges.spouse_b, edges.spouse_a])
        self.spouse = _adjacency(n, a, b, np.concatenate([edges.spouse_tie] * 2))
        self._up1 = _ones(self.up)
        self._down1 = _ones(self.down)
        self._spouse1 = _ones(self.spouse)
        # declared relations, both directions, read from the row person's side
        inverse_bit = np.array([BIT[INVERSE.get(k, k)] for k in ALL_KIN], dtype=np.int64)
        bit_pos = np.log2(edges.declared_bit.astype(np.float64)).astype(np.int64) \
            if len(edges.declared_bit) else np.zeros(0, np.int64)
        self.declared_rows = np.concatenate([edges.declared_subject, edges.declared_object])
        self.declared_cols = np.concatenate([edges.declared_object, edges.declared_subject])
        self.declared_bits = np.concatenate([edges.declared_bit.astype(np.int64),
                                             inverse_bit[bit_pos]])
        self.declared_ties = np.concatenate([edges.declared_tie, edges.declared_tie])
        order = np.argsort(self.declared_rows, kind="stable")
        for name in ("declared_rows", "declared_cols", "declared_bits", "declared_ties"):
            setattr(self, name, getattr(self, name)[order])

    # -- derivation ---------------------------------------------------------------------

    def relatives(self, rows: Sequence[int] | np.ndarray) -> sp.csr_matrix:
        """Category bit masks (see `BIT`) of every relative in scope of each asked person:
        a (len(rows) × n) int64 CSR matrix; the asked person is never their own relative."""
        rows = np.asarray(rows, dtype=np.int64)
        m = len(rows)
        blood = self._blood(rows)  # (m × n) int64, one bit per entry
        spouse = self._spouse1[rows]
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [_entries(spouse, BIT[Kin.spouse])]
        parts.append(_coo(blood))
        # in-laws through the spouse: spouse's parents, spouse's siblings and their spouses
        parts.append(_entries(spouse @ self._up1, BIT[Kin.parent_in_law]))
        spouse_rows, spouse_cols = _nonzero(spouse)
        if len(spouse_cols):
            spouse_blood = self._blood(spouse_cols)
            sib = _select(spouse_blood, BIT[Kin.sibling])
            sib = _without_self(_regroup(sib, spouse_rows, m), rows)  # the asked persons' rows
            parts.append(_entries(sib, BIT[Kin.sibling_in_law]))
            parts.append(_entries(sib @ self._spouse1, BIT[Kin.sibling_in_law]))
        # children's spouses and their parents
        child_spouse = _without_self(self._down1[rows] @ self._spouse1, rows)
        parts.append(_entries(child_spouse, BIT[Kin.child_in_law]))
        parts.append(_entries(child_spouse @ self._up1, BIT[Kin.child_in_law_parent]))
        # spouses of collateral relatives
        collateral = _select(blood, mask_of(COLLATERAL))
        parts.append(_entries(collateral @ self._spouse1, BIT[Kin.collateral_spouse]))
        parts.append(self._declared(rows))
        r = np.concatenate([p[0] for p in parts])
        c = np.concatenate([p[1] for p in parts])
        v = np.concatenate([p[2] for p in parts])
        keep = c != rows[r]
        out = _bitwise_or_matrix(r[keep], c[keep], v[keep], (m, self.n))
        return out

    def _blood(self, rows: np.ndarray) -> sp.csr_matrix:
        """One blood-category bit per relative (first in `BLOOD` order), self excluded."""
        up1 = self._up1[rows]
        up2 = up1 @ self._up1
        down1 = self._down1[rows]
        down2 = down1 @ self._down1
        sib_raw = up1 @ self._down1
        unc_raw = up2 @ self._down1
        walks = ((up1, Kin.parent), (down1, Kin.child), (up2, Kin.grandparent),
                 (down2, Kin.grandchild), (sib_raw, Kin.sibling), (unc_raw, Kin.uncle_aunt),
                 (sib_raw @ self._down1, Kin.nephew_niece), (unc_raw @ self._down1, Kin.cousin))
        r_parts, c_parts, p_parts = [], [], []
        for priority, (matrix, _kin) in enumerate(walks):
            r, c = _nonzero(matrix)
            r_parts.append(r)
            c_parts.append(c)
            p_parts.append(np.full(len(r), priority, dtype=np.int64))
        r = np.concatenate(r_parts)
        c = np.concatenate(c_parts)
        p = np.concatenate(p_parts)
        keep = c != rows[r]
        r, c, p = r[keep], c[keep], p[keep]
        order = np.lexsort((p, c, r))
        r, c, p = r[order], c[order], p[order]
        first = np.ones(len(r), dtype=bool)
        first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        bits = np.array([BIT[kin] for _m, kin in walks], dtype=np.int64)
        return sp.csr_matrix((bits[p[first]], (r[first], c[first])),
                             shape=(len(rows), self.n))

    def _declared(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo = np.searchsorted(self.declared_rows, rows, side="left")
        hi = np.searchsorted(self.declared_rows, rows, side="right")
        counts = hi - lo
        if not counts.sum():
            return (np.zeros(0, np.int64),) * 3
        r = np.repeat(np.arange(len(rows)), counts)
        idx = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True) if b > a])
        return r, self.declared_cols[idx], self.declared_bits[idx]

    # -- evidence -----------------------------------------------------------------------

    def walk(self, start: int, end: int, kin: Kin) -> list[tuple[str, int, int, int]] | None:
        """One walk from `start` to `end` that proves `kin`: a list of steps (step letter
        U/D/S or X for a declared relation, from, to, tie row), or None.

        A blood category is proved by a path of its pattern (one without a repeated person
        always exists for the category a relative holds); an in-law category by the
        definition itself: the spouse, the sibling (by blood category), the child."""
        declared = self._declared_step(start, end, kin)
        if declared is not None:
            return [declared]
        if kin in BLOOD or kin is Kin.spouse:
            return self._pattern(start, end, PATTERNS[kin][0])
        spouses = self._next(self.spouse, start)
        if kin is Kin.parent_in_law:
            return next(([("S", start, s, t), up] for s, t in spouses
                         for up in self._steps("U", s) if up[2] == end), None)
        if kin is Kin.sibling_in_law:
            for s, t in spouses:
                siblings = self._with_blood(s, Kin.sibling) - {start}
                if end in siblings:
                    return [("S", start, s, t), *self._need(s, end, "UD")]
                for x in sorted(siblings):
                    for step in self._steps("S", x):
                        if step[2] == end:
                            return [("S", start, s, t), *self._need(s, x, "UD"), step]
            return None
        if kin in (Kin.child_in_law, Kin.child_in_law_parent):
            for down in self._steps("D", start):
                for married in self._steps("S", down[2]):
                    e = married[2]
                    if kin is Kin.child_in_law and e == end:
                        return [down, married]
                    if kin is Kin.child_in_law_parent and e != start:
                        for up in self._steps("U", e):
                            if up[2] == end:
                                return [down, married, up]
            return None
        # collateral_spouse: the relative's spouse is a collateral relative of `start`
        blood = self._blood(np.array([start])).tocoo()
        category = {int(c): _kin_of_bit(int(b)) for c, b in zip(blood.col, blood.data,
                                                                strict=True)}
        for _, _, x, tie in self._steps("S", end):
            if category.get(x) in COLLATERAL:
                return [*self._need(start, x, PATTERNS[category[x]][0]), ("S", x, end, tie)]
        return None

    def _next(self, matrix: sp.csr_matrix, node: int) -> list[tuple[int, int]]:
        lo, hi = matrix.indptr[node], matrix.indptr[node + 1]
        return [(int(n), int(t) - 1) for n, t in zip(matrix.indices[lo:hi],
                                                     matrix.data[lo:hi], strict=True)]

    def _steps(self, letter: str, node: int) -> list[tuple[str, int, int, int]]:
        matrix = {"U": self.up, "D": self.down, "S": self.spouse}[letter]
        return [(letter, node, n, t) for n, t in self._next(matrix, node)]

    def _with_blood(self, person: int, kin: Kin) -> set[int]:
        row = self._blood(np.array([person])).tocoo()
        return {int(c) for c, b in zip(row.col, row.data, strict=True) if b & BIT[kin]}

    def _pattern(self, start: int, end: int,
                 pattern: str) -> list[tuple[str, int, int, int]] | None:
        matrices = {"U": self.up, "D": self.down, "S": self.spouse}
        return _search(matrices, pattern, start, end)

    def _need(self, start: int, end: int, pattern: str) -> list[tuple[str, int, int, int]]:
        found = self._pattern(start, end, pattern)
        if found is None:  # the derivation guarantees one; failing here is a bug
            raise AssertionError(f"no {pattern} path from {start} to {end}")
        return found

    def _declared_step(self, start: int, end: int, kin: Kin) -> tuple[str, int, int, int] | None:
        lo = np.searchsorted(self.declared_rows, start, side="left")
        hi = np.searchsorted(self.declared_rows, start, side="right")
        for i in range(lo, hi):
            if self.declared_cols[i] == end and self.declared_bits[i] & BIT[kin]:
                return ("X", start, end, int(self.declared_ties[i]))
        return None


def _search(matrices: dict[str, sp.csr_matrix], pattern: str, start: int,
            end: int) -> list[tuple[str, int, int, int]] | None:
    """Depth-first walk following `pattern` exactly; steps never revisit a person."""

    def step(node: int, i: int, path: list[tuple[str, int, int, int]],
             seen: set[int]) -> list[tuple[str, int, int, int]] | None:
        if i == len(pattern):
            return path if node == end else None
        m = matrices[pattern[i]]
        lo, hi = m.indptr[node], m.indptr[node + 1]
        for nxt, tie in zip(m.indices[lo:hi], m.data[lo:hi], strict=True):
            nxt = int(nxt)
            if nxt in seen:
                continue
            found = step(nxt, i + 1, [*path, (pattern[i], node, nxt, int(tie) - 1)],
                         seen | {nxt})
            if found is not None:
                return found
        return None

    return step(start, 0, [], {start})


def _without_self(m: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """Drop entry (i, rows[i]): a derivation never passes through the asked person."""
    coo = m.tocoo()
    keep = coo.col != rows[coo.row]
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=m.shape)


def _adjacency(n: int, rows: np.ndarray, cols: np.ndarray, ties: np.ndarray) -> sp.csr_matrix:
    """CSR with `tie + 1` per (row, col); where two ties join the same pair the first
    (lowest row number) is kept, so values are never summed."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    ties = np.asarray(ties, dtype=np.int64)
    order = np.lexsort((ties, cols, rows))
    rows, cols, ties = rows[order], cols[order], ties[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_matrix((ties[first] + 1, (rows[first], cols[first])), shape=(n, n),
                         dtype=np.int64)


def _ones(m: sp.csr_matrix) -> sp.csr_matrix:
    out = m.copy()
    out.data = np.ones(len(out.data), dtype=np.int32)
    return out


def _nonzero(m: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    coo = m.tocoo()
    keep = coo.data != 0
    return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)


def _coo(m: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coo = m.tocoo()
    keep = coo.data != 0
    return (coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64),
            coo.data[keep].astype(np.int64))


def _entries(m: sp.spmatrix, bit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, c = _nonzero(m)
    return r, c, np.full(len(r), bit, dtype=np.int64)


def _select(m: sp.csr_matrix, mask: int) -> sp.csr_matrix:
    """0/1 matrix of the entries of `m` whose bits intersect `mask`."""
    coo = m.tocoo()
    keep = (coo.data.astype(np.int64) & mask) != 0
    return sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int32),
                          (coo.row[keep], coo.col[keep])), shape=m.shape)


def _regroup(m: sp.csr_matrix, owner: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """Rows of `m` belong to `owner[i]`; sum them into an (n_rows × n) matrix."""
    coo = m.tocoo()
    out = sp.csr_matrix((coo.data, (owner[coo.row], coo.col)), shape=(n_rows, m.shape[1]))
    out.data = np.ones(len(out.data), dtype=np.int32)
    return out


def _bitwise_or_matrix(r: np.ndarray, c: np.ndarray, v: np.ndarray,
                       shape: tuple[int, int]) -> sp.csr_matrix:
    if not len(r):
        return sp.csr_matrix(shape, dtype=np.int64)
    order = np.lexsort((c, r))
    r, c, v = r[order], c[order], v[order]
    start = np.ones(len(r), dtype=bool)
    start[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    group = np.cumsum(start) - 1
    bits = np.zeros(int(group[-1]) + 1, dtype=np.int64)
    np.bitwise_or.at(bits, group, v)
    return sp.csr_matrix((bits, (r[start], c[start])), shape=shape, dtype=np.int64)


def in_force(day: dt.date, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Mask of ties in force on `day` (dates as datetime64[D]; NaT = open)."""
    d = np.datetime64(day, "D")
    return (np.isnat(start) | (start <= d)) & (np.isnat(end) | (d <= end))
