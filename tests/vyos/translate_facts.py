"""Normalising parsers: the facts a rendered frr.conf, swanctl file, nft table, interfaces.ip or
isp-health.sh states, independent of line order, names and spelling, so the VyOS translation
(tasks/lab/vyos/translate.py) and the FRR platform's rendering can be compared by meaning."""

from __future__ import annotations

import re
from typing import Any


def frr(text: str) -> dict[str, Any]:
    """BGP instance, neighbors (session and address-family), prefix-lists and route-maps."""
    facts: dict[str, Any] = {
        "flags": set(), "neighbors": {}, "af": {}, "networks": set(), "redistribute": set(),
        "prefix_lists": {}, "route_maps": {},
    }  # fmt: skip
    section, rmap = None, None
    for raw in text.splitlines():
        line = raw.strip()
        words = line.split()
        if not words or line.startswith("!"):
            continue
        if words[0] == "ip" and words[1] == "prefix-list":
            name, _, seq, action, prefix, *bounds = words[2:]
            bound = dict(zip(bounds[::2], bounds[1::2], strict=True))
            facts["prefix_lists"].setdefault(name, []).append(
                (int(seq), action, prefix, bound.get("ge"), bound.get("le"))
            )
        elif words[0] == "route-map":
            rmap = {"seq": int(words[3]), "action": words[2], "match": None, "prepend": (),
                    "metric": None, "local_pref": None}  # fmt: skip
            facts["route_maps"].setdefault(words[1], []).append(rmap)
            section = "route-map"
        elif words[:2] == ["router", "bgp"]:
            facts["asn"], section = words[2], "bgp"
        elif line == "address-family ipv4 unicast":
            section = "af"
        elif line in ("exit", "exit-address-family"):
            section = "bgp" if line == "exit-address-family" else None
        elif section == "route-map" and rmap is not None:
            if words[:4] == ["match", "ip", "address", "prefix-list"]:
                rmap["match"] = words[4]
            elif words[:3] == ["set", "as-path", "prepend"]:
                rmap["prepend"] = tuple(words[3:])
            elif words[:2] == ["set", "metric"]:
                rmap["metric"] = int(words[2])
            elif words[:2] == ["set", "local-preference"]:
                rmap["local_pref"] = int(words[2])
        elif section == "bgp":
            _bgp_line(facts, words, line)
        elif section == "af":
            _af_line(facts, words)
    return facts


def _bgp_line(facts: dict[str, Any], words: list[str], line: str) -> None:
    if words[:2] == ["bgp", "router-id"]:
        facts["router_id"] = words[2]
    elif words[:3] == ["bgp", "conditional-advertisement", "timer"]:
        facts["cond_timer"] = int(words[3])
    elif words[0] == "neighbor":
        n = facts["neighbors"].setdefault(words[1], {})
        key, rest = words[2], words[3:]
        if key == "timers" and rest[0] == "connect":
            n["connect"] = int(rest[1])
        elif key == "timers":
            n["keepalive"], n["holdtime"] = int(rest[0]), int(rest[1])
        elif key == "shutdown":
            n["shutdown"] = True
        else:
            n[key] = " ".join(rest)
    else:
        facts["flags"].add(line)


def _af_line(facts: dict[str, Any], words: list[str]) -> None:
    if words[0] == "network":
        facts["networks"].add(words[1])
    elif words[0] == "redistribute":
        facts["redistribute"].add(" ".join(words[1:]))
    elif words[0] == "neighbor":
        n = facts["af"].setdefault(words[1], {})
        key, rest = words[2], words[3:]
        if key == "route-map":
            n[f"route-map {rest[1]}"] = rest[0]
        elif key == "advertise-map":
            n["advertise-map"], n[rest[1]] = rest[0], rest[2]
        else:
            n[key] = " ".join(rest) or True


def policy(facts: dict[str, Any], name: str | None) -> list[dict[str, Any]] | None:
    """A route-map's rules by meaning: the matched prefix-list's entries in place of its name,
    the prepend as (count, ASNs)."""
    if name is None:
        return None
    rules = []
    for rule in sorted(facts["route_maps"][name], key=lambda r: r["seq"]):
        match = rule["match"]
        rules.append({
            "seq": rule["seq"], "action": rule["action"],
            "match": None if match is None else sorted(facts["prefix_lists"][match]),
            "prepend_count": len(rule["prepend"]), "prepend": rule["prepend"],
            "metric": rule["metric"], "local_pref": rule["local_pref"],
        })  # fmt: skip
    return rules


def _braces(text: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    stack = [root]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.endswith("{"):
            child: dict[str, Any] = {}
            stack[-1][line[:-1].strip()] = child
            stack.append(child)
        elif line == "}":
            stack.pop()
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            stack[-1][key] = value.strip('"')
    return root


def _seconds(value: str | None) -> int | None:
    return None if value is None else int(value.removesuffix("s"))


def swanctl(text: str) -> dict[str, dict[str, Any]]:
    """Per remote address: the IKE and CHILD_SA facts and the PSK (names dropped)."""
    tree = _braces(text)
    secrets = {(s["id-local"], s["id-remote"]): s["secret"] for s in tree["secrets"].values()}
    out = {}
    for conn in tree["connections"].values():
        (child,) = conn["children"].values()
        local_id, remote_id = conn["local"]["id"], conn["remote"]["id"]
        out[conn["remote_addrs"]] = {
            "version": conn["version"], "local_addrs": conn["local_addrs"],
            "proposals": conn["proposals"].lower().split(","),
            "ike_lifetime": _seconds(conn.get("rekey_time")),
            "dpd_delay": _seconds(conn.get("dpd_delay")),
            "dpd_timeout": _seconds(conn.get("dpd_timeout")),
            "keyingtries": conn.get("keyingtries"),
            "auth": (conn["local"]["auth"], conn["remote"]["auth"]),
            "ids": (local_id, remote_id),
            "esp_proposals": child["esp_proposals"].lower().split(","),
            # the one ESP lifetime each configures (the FRR template as rekey_time, VyOS as
            # life_time: see test_translate.py's divergence test)
            "esp_lifetime": _seconds(child.get("rekey_time") or child.get("life_time")),
            "dpd_action": child.get("dpd_action"), "mode": child["mode"],
            "ts": (child["local_ts"], child["remote_ts"]),
            "start_action": child["start_action"], "close_action": child["close_action"],
            "secret": secrets[(local_id, remote_id)],
        }  # fmt: skip
    return out


def nft(text: str) -> dict[str, Any]:
    """Masquerade and the outbound counter as (interface, source) pairs, however the rules
    group them; MSS clamps per (direction, interface)."""
    masq, counted, clamp = set(), set(), {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            continue
        saddr = re.search(r"ip saddr (\{ [^}]* \}|\S+)", line)
        sources = frozenset(saddr.group(1).strip("{} ").split(", ")) if saddr else frozenset()
        oif = re.search(r'oifname "([^"]+)"', line)
        iif = re.search(r'iifname "([^"]+)"', line)
        if line.endswith("masquerade") or " masquerade " in line:
            masq |= {(oif.group(1) if oif else None, source) for source in sources}
        elif "vpc outbound" in line:
            counted |= {(oif.group(1) if oif else None, source) for source in sources}
        mss = re.search(r"maxseg size set (\d+)", line)
        if mss:
            direction, dev = ("out", oif) if oif else ("in", iif)
            assert dev is not None
            clamp[(direction, dev.group(1))] = int(mss.group(1))
    return {"masquerade": masq, "outbound_counter": counted, "clamp": clamp}


def interfaces(text: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        words = line.split()
        if words[:3] == ["link", "set", "dev"]:
            dev = out.setdefault(words[3], {"addresses": set()})
            dev["mtu"], dev["up"] = int(words[words.index("mtu") + 1]), words[-1] == "up"
        elif words[:2] == ["address", "replace"]:
            out.setdefault(words[4], {"addresses": set()})["addresses"].add(words[2])
    return out


def health(text: str) -> dict[str, Any] | None:
    """What the ISP health monitor checks and does, or None for the "no monitor" file."""
    if "TARGETS=" not in text:
        return None

    def one(pattern: str) -> str:
        found = re.search(pattern, text)
        assert found, pattern
        return found.group(1)

    return {
        "targets": one(r'TARGETS="([^"]*)"').split(),
        "peers": one(r'PEERS="([^"]*)"').split(),
        "interface": one(r"ping -n -q -c 1 -W \d+ -I (\S+)"),
        "timeout": int(one(r"ping -n -q -c 1 -W (\d+)")),
        "falls": int(one(r'"\$fails" -ge (\d+)')),
        "rises": int(one(r'"\$goods" -ge (\d+)')),
        "interval": int(one(r"then sleep (\d+);")),
        "token": one(r"ip route replace blackhole (\S+)"),
    }
