"""The VGW's route priority applied to advertisements: who wins, and when it is a tie."""

from __future__ import annotations

from tasks.path_decision import Advertisement, decide


def adv(
    router: str,
    tunnel: str = "tun1",
    prefix: str = "0.0.0.0/0",
    path: tuple[int, ...] = (65010,),
    med: int | None = None,
    static: bool = False,
) -> Advertisement:
    return Advertisement(router, tunnel, prefix, path, med, static)


def test_primary_wins_on_shorter_as_path() -> None:
    d = decide([adv("r1"), adv("r1", "tun2"), adv("r2", path=(65010, 65010, 65010), med=100)])
    assert d.router == "r1"
    assert not d.tie
    assert "shortest AS_PATH (1)" in d.reason
    assert {a.tunnel for a in d.winners} == {"tun1", "tun2"}


def test_med_breaks_equal_paths_from_the_same_first_as() -> None:
    d = decide([adv("r1", med=0), adv("r2", med=100)])
    assert d.router == "r1"
    assert "lowest MED (0)" in d.reason


def test_med_is_not_compared_across_different_first_as() -> None:
    d = decide([adv("r1", path=(65010,), med=200), adv("r2", path=(65020,), med=0)])
    assert d.tie and d.router is None
    assert d.routers == ["r1", "r2"]


def test_weight_only_backup_is_a_tie() -> None:
    # The reference design: router2 "less preferred" by weight, which AWS never sees.
    d = decide([adv("router1"), adv("router2")])
    assert d.tie
    assert "may pick either" in d.reason


def test_longest_prefix_beats_as_path() -> None:
    d = decide(
        [adv("r1"), adv("r2", prefix="0.0.0.0/1", path=(65010, 65010, 65010))],
        destination="8.8.8.0/24",
    )
    assert d.router == "r2"


def test_static_beats_bgp_at_equal_length() -> None:
    d = decide([adv("r1"), adv("r2", static=True, path=())])
    assert d.router == "r2"
    assert "static over BGP" in d.reason


def test_nothing_advertised() -> None:
    d = decide([adv("r1", prefix="10.0.0.0/8")])
    assert d.router is None and not d.tie
    assert "no router advertises" in d.reason
