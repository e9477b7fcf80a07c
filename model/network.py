"""The social network: a homophilous small world, held as sparse arrays for the hot path.

Construction is Watts-Strogatz (a ring lattice with a share of edges rewired at random),
laid out on citizens sorted by a noisy complexity score, so contacts resemble each other
(homophily) while shortcuts keep paths short. The mean degree is set by a parameter and
does not grow with population size. Edges are generated with numpy because networkx's
pure-Python generator takes tens of seconds at a million nodes; :meth:`SocialNetwork.to_networkx`
gives the same graph as a ``networkx.Graph`` for analysis and for Mesa's ``Network`` space.

Newcomers (``model/demography.py``) join the same way (:meth:`SocialNetwork.grow`): each
takes ``mean_degree`` contacts next to it in the homophily order, a share rewired to
anybody, chosen among everyone who has ever been in the target group, so the contacts do
not depend on who is still alive in which arm. Peer shares count living contacts only.
"""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx
import numpy as np
import scipy.sparse as sp

from model.params import Parameters
from model.population import extend
from model.rng import RandomStreams


class SocialNetwork:
    """Undirected contacts between citizens; ``peer_share`` is the hot-path operation."""

    #: recent edges (newcomers') are merged into the sparse matrix when they exceed this
    #: share of its edges (a rebuild costs ~25 ms at a million edges; the recent edges
    #: cost an indexed add per month, ~1 ms at 10%: 0.1 rebuilds 9 times in 20 years at
    #: 100,000 citizens, 0.02 41 times)
    MERGE_SHARE = 0.1
    #: rows of the sparse matrix multiplied at a time in the contact counts (``_build``)
    ROW_BLOCK = 1 << 17

    def __init__(self, n: int, edges: np.ndarray, key: np.ndarray | None = None,
                 rewire: float = 0.0, k_half: int = 0):
        self.n = n
        #: unique undirected edges, shape (m, 2), with edges[:, 0] < edges[:, 1]
        self.edges = edges
        #: each citizen's place in the homophily order, and the rule newcomers join by
        self.key, self.rewire, self.k_half = key, rewire, k_half
        self._build(n)
        self._recent = np.empty((0, 2), dtype=np.int32)
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    def _build(self, n: int) -> None:
        edges = self.edges
        rows = np.concatenate([edges[:, 0], edges[:, 1]])
        cols = np.concatenate([edges[:, 1], edges[:, 0]])
        # int8 ones: contact counts are exact integers (``_contact_counts``), and one byte
        # per contact is a quarter of the memory a float64 adjacency streams every month
        self._adj = sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
        self._n_built = n
        # scipy multiplies in the wider type of the two, so a product with the int64
        # packed flags first copies the int8 ones to int64 (8 bytes a contact: ~70 MB at
        # a million citizens, the month's largest temporary); a product a block of rows
        # at a time copies one block's (the blocks are views of the matrix's arrays)
        ptr = self._adj.indptr
        self._row_blocks = [
            (lo, hi, sp.csr_matrix((self._adj.data[ptr[lo]:ptr[hi]], self._adj.indices[ptr[lo]:ptr[hi]],
                                    ptr[lo:hi + 1] - ptr[lo]), shape=(hi - lo, n), copy=False))
            for lo, hi in ((lo, min(lo + self.ROW_BLOCK, n)) for lo in range(0, n, self.ROW_BLOCK))]
        self._built_degree = np.asarray(self._adj.sum(axis=1)).ravel().astype(np.int32)
        self._mean_op_cache: sp.csr_matrix | None = None

    @property
    def degree(self) -> np.ndarray:
        """Each citizen's number of contacts (the dead included), newcomers' edges too."""
        return np.bincount(self.edges.ravel(), minlength=self.n).astype(np.int32)

    @property
    def _mean_op(self) -> sp.csr_matrix:
        """Row-normalised adjacency: (A @ x)[i] is the mean of x over i's contacts. Used
        only while everyone is alive and nobody has joined, so it is built on first use."""
        if self._mean_op_cache is None:
            deg = self._built_degree
            inv = np.divide(1.0, deg, out=np.zeros(self._n_built), where=deg > 0)
            self._mean_op_cache = (sp.diags(inv) @ self._adj.astype(np.float64)).tocsr()
        return self._mean_op_cache

    @classmethod
    def build(cls, params: Parameters, complexity: np.ndarray, streams: RandomStreams) -> SocialNetwork:
        n = complexity.size
        rng = streams.generator("network")
        k_half = min(params["network.mean_degree"] // 2, max((n - 1) // 2, 0))
        if not params["network.enabled"] or k_half == 0:
            return cls(n, np.empty((0, 2), dtype=np.int32))
        h = params["network.homophily"]
        key = h * complexity + np.sqrt(1.0 - h * h) * rng.standard_normal(n)
        order = np.argsort(key, kind="stable").astype(np.int32)
        pos = np.arange(n)
        src = np.concatenate([order[pos] for _ in range(k_half)])
        dst = np.concatenate([order[(pos + j) % n] for j in range(1, k_half + 1)])
        rewire = rng.random(src.size) < params["network.rewire"]
        new_dst = rng.integers(0, n, src.size).astype(np.int32)
        dst = np.where(rewire, new_dst, dst)
        keep = src != dst
        a, b = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
        edges = _unique_pairs(a, b)
        return cls(n, edges, key=key, rewire=params["network.rewire"], k_half=k_half)

    def grow(self, complexity: np.ndarray, new: np.ndarray, streams: RandomStreams, month: int, homophily: float) -> None:
        """Newcomers ``new`` (the last indices; ``complexity`` of everyone) join: each takes
        ``2 k_half`` contacts next to its own key in the homophily order of everyone who
        has ever been in the group, a share ``rewire`` of them replaced by anybody. Draws
        come from the stream ``network.inflow`` keyed by the month."""
        n_old, n = self.n, int(complexity.size)
        self.n = n
        if self.key is None or self.k_half == 0 or n_old == 0:
            return
        rng = streams.generator("network.inflow", month)
        key_new = homophily * complexity[new] + np.sqrt(1.0 - homophily * homophily) * rng.standard_normal(new.size)
        if self._sorted is None:  # the homophily order, kept sorted as newcomers join
            order = np.argsort(self.key, kind="stable")
            self._sorted = (self.key[order], order)
        sorted_key, order = self._sorted
        pos = np.searchsorted(sorted_key, key_new)
        offsets = np.r_[np.arange(-self.k_half, 0), np.arange(0, self.k_half)]
        contact = order[(pos[:, None] + offsets[None, :]) % n_old]
        rewired = rng.random(contact.shape) < self.rewire
        contact = np.where(rewired, rng.integers(0, n_old, contact.shape), contact)
        pairs = _unique_pairs(contact.ravel(), np.repeat(new, offsets.size))
        self.key = _appended(self.key, key_new)
        by_key = np.argsort(key_new, kind="stable")
        at = np.searchsorted(sorted_key, key_new[by_key], side="right")
        self._sorted = (np.insert(sorted_key, at, key_new[by_key]), np.insert(order, at, new[by_key]))
        self.edges = _appended(self.edges, pairs)
        self._recent = _appended(self._recent, pairs)
        if self._recent.shape[0] > self.MERGE_SHARE * max(self.edges.shape[0], 1):
            self._build(n)
            self._recent = self._recent[:0]

    def peer_share(self, indicator: np.ndarray, alive: np.ndarray | None = None) -> np.ndarray:
        """Share of each citizen's living contacts for whom ``indicator`` is true (0 if no
        living contacts). ``alive=None``: everyone is alive."""
        return self.peer_shares([indicator], alive)[0]

    def peer_shares(self, indicators: list[np.ndarray], alive: np.ndarray | None = None) -> np.ndarray:
        """``peer_share`` of each indicator, computed together (the pathway engine's peer
        features of a month): one row per indicator. While everyone is alive and no
        newcomer's contacts wait outside the sparse matrix, a share is the
        row-normalised product (``_mean_op``). Otherwise it is a ratio of two contact
        counts, exact integers whatever the order of summation, so they are counted in
        one pass (``_contact_counts``) and the shares are the same bits as sums of 0/1
        floats over each citizen's contacts. Each count becomes its share before the
        next is extracted (at a million rows a count is 10 MB)."""
        if not indicators:
            return np.zeros((0, 0))
        n = indicators[0].size
        if alive is None and self._n_built == n and self._recent.size == 0:
            out = np.empty((len(indicators), n))
            for row, ind in zip(out, indicators):
                row[:] = self._mean_op @ ind.astype(np.float64)
            return out
        w = np.ones(n, dtype=bool) if alive is None else alive
        counts = self._contact_counts([w, *(ind & w for ind in indicators)])
        den = next(counts).astype(np.float64)  # living contacts
        has = den > 0
        out = np.zeros((len(indicators), n))
        for row, count in zip(out, counts):
            np.divide(count, den, out=row, where=has)  # 0 without living contacts
        return out

    def _contact_counts(self, flags: list[np.ndarray]) -> Iterator[np.ndarray]:
        """Per citizen and flag (a bool per citizen), the number of contacts flagged,
        one flag's counts at a time.

        The flags are packed into one int64 per citizen, ``width`` bits each (a count
        never exceeds the number of citizens, so fields cannot overflow into each other),
        and summed over the contacts in one sparse product: the memory of the contacts is
        streamed once for up to three flags. The recent newcomers' contacts (not yet in
        the sparse matrix) are added to the same packed sums, one indexed add per end of
        an edge, whatever the number of flags."""
        n = flags[0].size
        width = max(n.bit_length(), 1)
        per_pass, field = 63 // width, (1 << width) - 1
        m = self._n_built
        a, b = self._recent[:, 0], self._recent[:, 1]
        for start in range(0, len(flags), per_pass):
            chunk = flags[start:start + per_pass]
            packed, shifted = np.zeros(n, dtype=np.int64), np.empty(n, dtype=np.int64)
            for f, flag in enumerate(chunk):
                packed |= np.left_shift(flag, width * f, out=shifted, dtype=np.int64)
            del shifted
            sums = np.zeros(n, dtype=np.int64)
            for lo, hi, block in self._row_blocks:
                sums[lo:hi] = block @ packed[:m]
            if a.size:  # contacts of the recent newcomers, not yet in the sparse matrix
                np.add.at(sums, a, packed[b])
                np.add.at(sums, b, packed[a])
            del packed
            for f in range(len(chunk)):
                count = sums >> (width * f)
                count &= field
                yield count

    def neighbours(self, i: int) -> np.ndarray:
        base = (self._adj.indices[self._adj.indptr[i]:self._adj.indptr[i + 1]]
                if i < self._n_built else np.zeros(0, dtype=np.int32))
        if self._recent.size:
            a, b = self._recent[:, 0], self._recent[:, 1]
            base = np.concatenate([base, b[a == i], a[b == i]])
        return np.sort(base)

    def to_networkx(self) -> nx.Graph:
        """The graph of everyone who has ever been in the group (the dead included)."""
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        g.add_edges_from(self.edges.tolist())
        return g


def _appended(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``np.concatenate([a, rows])`` without copying ``a`` every month
    (``model.population.extend`` along the first axis: a copy of a million edges each
    month cost more than the newcomers' own work)."""
    out = extend(a, a.shape[0] + rows.shape[0], 0, axis=0)
    out[a.shape[0]:] = rows
    return out


def _unique_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distinct pairs ``(a[i], b[i])`` (indices, >= 0) in ascending order, as int32
    rows: what ``np.unique(np.stack([a, b], axis=1).astype(np.int32), axis=0)`` gives,
    which sorts the rows as structured records (the construction at a million citizens:
    3.1 s against 1.0 s; a month's newcomers: ~1.2 ms at 100,000 citizens). One int64
    key per pair, ``a`` in the high half, sorts in the same order ~20x faster
    (``np.unique`` on the keys hashes them first: a sort is ~4x faster)."""
    key = np.sort((a.astype(np.int64) << 32) | b.astype(np.int64))
    key = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
    return np.stack([key >> 32, key & 0xFFFFFFFF], axis=1).astype(np.int32)
