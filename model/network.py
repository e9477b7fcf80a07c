"""The social network: a homophilous small world, held as sparse arrays for the hot path.

Construction is Watts-Strogatz (a ring lattice with a share of edges rewired at random),
laid out on citizens sorted by a noisy complexity score, so contacts resemble each other
(homophily) while shortcuts keep paths short. The mean degree is set by a parameter and
does not grow with population size. Edges are generated with numpy because networkx's
pure-Python generator takes tens of seconds at a million nodes; :meth:`SocialNetwork.to_networkx`
gives the same graph as a ``networkx.Graph`` for analysis and for Mesa's ``Network`` space.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp

from model.params import Parameters
from model.rng import RandomStreams


class SocialNetwork:
    """Undirected contacts between citizens; ``peer_share`` is the hot-path operation."""

    def __init__(self, n: int, edges: np.ndarray):
        self.n = n
        #: unique undirected edges, shape (m, 2), with edges[:, 0] < edges[:, 1]
        self.edges = edges
        rows = np.concatenate([edges[:, 0], edges[:, 1]])
        cols = np.concatenate([edges[:, 1], edges[:, 0]])
        adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
        self.degree = np.asarray(adj.sum(axis=1)).ravel().astype(np.int32)
        inv = np.divide(1.0, self.degree, out=np.zeros(n), where=self.degree > 0)
        #: row-normalised adjacency: (A @ x)[i] is the mean of x over i's contacts
        self._mean_op = sp.diags(inv) @ adj
        self._mean_op = self._mean_op.tocsr()

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
        edges = np.unique(np.stack([a, b], axis=1), axis=0).astype(np.int32)
        return cls(n, edges)

    def peer_share(self, indicator: np.ndarray) -> np.ndarray:
        """Share of each citizen's contacts for whom ``indicator`` is true (0 if no contacts)."""
        return self._mean_op @ indicator.astype(np.float64)

    def neighbours(self, i: int) -> np.ndarray:
        return self._mean_op.indices[self._mean_op.indptr[i]:self._mean_op.indptr[i + 1]]

    def to_networkx(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        g.add_edges_from(self.edges.tolist())
        return g
