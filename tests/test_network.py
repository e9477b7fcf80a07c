"""The social network: size-independent degree, homophily, small world."""

import networkx as nx
import numpy as np

from model import WelfareModel


def net(size: int, **kw):
    return WelfareModel(rng=1, **{"population.size": size, **kw}).network


def test_mean_degree_does_not_grow_with_population_size():
    small, large = net(1000), net(50000)
    assert abs(small.degree.mean() - 6) < 0.3
    assert abs(large.degree.mean() - 6) < 0.3


def test_contacts_resemble_each_other_in_complexity_when_homophily_is_high():
    def contact_correlation(h: float) -> float:
        m = WelfareModel(rng=1, **{"population.size": 5000, "network.homophily": h})
        e = m.network.edges
        c = m.population.complexity
        return float(np.corrcoef(c[e[:, 0]], c[e[:, 1]])[0, 1])

    assert contact_correlation(0.9) > 0.5
    assert abs(contact_correlation(0.0)) < 0.1


def test_small_world_clustering_high_paths_short():
    g = net(2000).to_networkx()
    assert nx.is_connected(g)
    random = nx.gnm_random_graph(2000, g.number_of_edges(), seed=1)
    assert nx.average_clustering(g) > 5 * nx.average_clustering(random)
    assert nx.average_shortest_path_length(g) < 12


def test_peer_share_is_the_mean_over_contacts():
    n = net(300)
    x = (np.arange(300) % 3 == 0)
    share = n.peer_share(x)
    for i in (0, 10, 123):
        nb = n.neighbours(i)
        assert share[i] == x[nb].mean()


def test_network_can_be_switched_off():
    n = net(500, **{"network.enabled": False})
    assert n.edges.shape == (0, 2)
    assert (n.peer_share(np.ones(500, bool)) == 0).all()


def test_peer_shares_count_newcomers_contacts_and_only_living_contacts():
    """After months of newcomers (some contacts merged into the sparse matrix, the latest
    still outside it) and deaths, each share is the mean over the living contacts, counted
    one by one on the networkx graph; the degree counts every contact."""
    m = WelfareModel(rng=3, **{"population.size": 3000})
    for _ in range(30):
        m.step()
    net, pop = m.network, m.population
    assert net._recent.shape[0] > 0 and net._n_built < net.n  # both kinds of contacts present
    g = net.to_networkx()
    assert np.array_equal(net.degree, [g.degree(i) for i in range(net.n)])
    alive = pop.alive
    flag = (pop.levels[0] >= 2) & alive
    [share] = net.peer_shares([flag], alive)
    for i in np.flatnonzero(alive):
        living = [j for j in g.neighbors(i) if alive[j]]
        expected = np.mean(flag[living]) if living else 0.0
        assert share[i] == expected
