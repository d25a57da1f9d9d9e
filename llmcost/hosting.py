"""Where owned GPUs live: the host box around them, the site it runs at, and what keeping it costs.

One host model for every command (compare, pretrain, finetune, serve):

- `box_for`: N cards take the smallest host of profiles/hosts.yaml (fewest slots, then cheapest) of the
  right form (PCIe cards or SXM/OAM modules; datacenter cards only in rack servers) whose non-redundant
  power supply carries the cards' board power plus the host's busy draw within
  `psu_headroom_fraction` (a rack server is checked full of the same card, since replicas share it slot
  by slot). When none does, the box does not fit and `reason` says why. A GPU profile with
  `integrated_host: true` is a whole machine and takes no host.
- `cluster_for`: a training run's GPUs in boxes of the largest count one host carries.
- `economics`: the scenario's economics with every default filled in; `site_rates`: electricity price
  and PUE where a box runs (rack servers in a datacenter, desk-side boxes at the scenario's deployment).
- `replica_costs`: per-replica arrays the lifecycle engine takes (host price, idle and busy power,
  upkeep: operations time, colocation, failed-card replacements).

Numbers may be arrays (sweeps, Monte Carlo); the host choice itself is structural and uses each
assumption's point value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost.catalog import Catalog, gpu_price_usd
from llmcost.schema import Gpu, Host, Scenario

DEPLOYMENTS = ("home", "office", "datacenter")
DEFAULT_DEPLOYMENT = "office"
"""Where desk-side boxes run when a scenario does not say (commercial electricity)."""

ELECTRICITY = {"home": "electricity_usd_per_kwh", "office": "electricity_usd_per_kwh_commercial",
               "datacenter": "electricity_usd_per_kwh_industrial"}
"""The assumption that prices electricity at each deployment (residential, commercial, industrial tariff)."""

FROM_ASSUMPTIONS = ("lifetime_months", "horizon_months", "discount_rate", "ops_hours_per_month", "ops_usd_per_hour",
                    "colocation_usd_per_kw_month")
"""Scenario economics that fall back to the assumption of the same name."""

PER_OPTION = ("electricity_usd_per_kwh", "pue", "resale_fraction", "ops_usd_per_month", "host_usd", "host_power_w")
"""Scenario economics that, when absent, depend on the option (its site, its GPU class, its host)."""


def point(cat: Catalog, name: str) -> float:
    """An assumption's point value even while Monte Carlo holds it as an array of draws (for choices that
    are structural, such as which host a box takes)."""
    a = cat.assumptions[name]
    if np.ndim(a.value) == 0:
        return float(a.value)
    return float(a.range) if a.range is not None else float(np.median(a.value))


def gpu_form(gpu: Gpu) -> str:
    """pcie for add-in cards, sxm for datacenter modules on a baseboard (any datacenter link but PCIe)."""
    return "sxm" if gpu.gpu_class == "datacenter" and gpu.interconnect != "pcie" else "pcie"


@dataclass(frozen=True)
class Box:
    """The host of `cards` GPUs of one kind: one replica, or one box of a training cluster."""

    gpu: Gpu
    cards: int
    host: Host | None
    share: float = 1.0
    """Share of the host this box pays: 1 for a desk-side box, cards / slots in a rack server."""
    reason: str = ""
    """Why no host carries the cards ('' when one does, or when the GPU is a whole machine)."""

    @property
    def integrated(self) -> bool:
        return self.gpu.integrated_host

    @property
    def fits(self) -> bool:
        return self.host is not None or self.integrated

    @property
    def datacenter(self) -> bool:
        return self.host is not None and self.host.form_factor == "rack"

    @property
    def boxes(self) -> float:
        """Boxes to look after (operations time): whole machines, one desk-side box, or a rack share."""
        return float(self.cards) if self.integrated else self.share if self.host is not None else 0.0

    def usd(self, override: Any = None) -> Any:
        if self.host is None:
            return 0.0
        return (self.host.price_usd if override is None else override) * self.share

    def power_w(self, busy: bool, override: Any = None) -> Any:
        if self.host is None:
            return 0.0
        return (self.host.busy_power_w if busy else self.host.idle_power_w) * self.share if override is None else override * self.share

    @property
    def label(self) -> str:
        if self.integrated:
            return "integrated"
        if self.host is None:
            return "none"
        return self.host.id if self.share == 1 else f"{self.cards}/{self.host.max_gpus} {self.host.id}"


def _candidates(cat: Catalog, gpu: Gpu) -> list[Host]:
    form = gpu_form(gpu)
    hosts = [h for h in cat.entries["hosts"].values()
             if h.gpu_form == form and (gpu.gpu_class != "datacenter" or h.form_factor == "rack")]
    return sorted(hosts, key=lambda h: (h.max_gpus, h.price_usd, h.id))


def _load_w(host: Host, gpu: Gpu, cards: int) -> float:
    """What the host's supply carries: its cards (a rack server full of them) and its own busy draw."""
    filled = host.max_gpus if host.form_factor == "rack" else cards
    return filled * gpu.power_w + host.busy_power_w


def box_for(cat: Catalog, gpu: Gpu, cards: int) -> Box:
    """The smallest host that carries `cards` x `gpu` with headroom, or a Box that does not fit and says why;
    chosen once per catalog (Catalog.derived)."""
    return cat.derived(_box_for, gpu, int(cards))


def _box_for(cat: Catalog, gpu: Gpu, cards: int) -> Box:
    if gpu.integrated_host:
        return Box(gpu, cards, None)
    headroom = point(cat, "psu_headroom_fraction")
    hosts = _candidates(cat, gpu)
    for h in hosts:
        if h.max_gpus >= cards and _load_w(h, gpu, cards) <= headroom * h.psu_w:
            return Box(gpu, cards, h, cards / h.max_gpus if h.form_factor == "rack" else 1.0)
    return Box(gpu, cards, None, 0.0, _no_host(gpu, cards, hosts, headroom))


def _no_host(gpu: Gpu, cards: int, hosts: list[Host], headroom: float) -> str:
    what = f"no host in the catalogue carries {cards}x {gpu.id} ({cards * gpu.power_w:,.0f} W of cards)"
    kind = f"{gpu_form(gpu).upper()} {'rack ' if gpu.gpu_class == 'datacenter' else ''}hosts"
    if not hosts:
        return f"{what}: there are no {kind} in profiles/hosts.yaml"
    roomy = [h for h in hosts if h.max_gpus >= cards]
    if not roomy:
        return f"{what}: the largest of the {kind} has {max(h.max_gpus for h in hosts)} slots"
    h = max(roomy, key=lambda x: x.psu_w)
    return (f"{what}: the largest supply, {h.id}'s {h.psu_w:,.0f} W, carries {headroom * h.psu_w:,.0f} W at "
            f"{headroom:g} and the box needs {_load_w(h, gpu, cards):,.0f} W")


def cluster_for(cat: Catalog, gpu: Gpu, gpus: int) -> tuple[Box, int]:
    """(box, number of boxes) of a training run on `gpus` GPUs: one box when a host carries them all, else
    boxes of the most cards one host carries (whole boxes). No host at all: a box that does not fit, 0.
    Chosen once per catalog (Catalog.derived)."""
    return cat.derived(_cluster_for, gpu, int(gpus))


def _cluster_for(cat: Catalog, gpu: Gpu, gpus: int) -> tuple[Box, int]:
    one = box_for(cat, gpu, gpus)
    if one.fits:
        return one, (gpus if gpu.integrated_host else 1)
    per = max((c for c in range(1, gpus) if box_for(cat, gpu, c).fits), default=0)
    if per == 0:
        return one, 0
    return box_for(cat, gpu, per), math.ceil(gpus / per)


# ---------------------------------------------------------------------------------------------- sites


def economics(cat: Catalog, sc: Scenario | None) -> dict[str, Any]:
    """The scenario's economics (None: the commands without a scenario) with defaults filled in: the
    FROM_ASSUMPTIONS values from the assumptions, the PER_OPTION ones None (each option resolves them),
    deployment `office`. Arrays (sweeps, samples) pass through."""
    given = sc.economics if sc is not None else None

    def value(name: str) -> Any:
        v = getattr(given, name, None) if given is not None else None
        return v if v is None or isinstance(v, (np.ndarray, str)) else float(v)

    out: dict[str, Any] = {n: value(n) for n in PER_OPTION}
    for n in FROM_ASSUMPTIONS:
        v = value(n)
        out[n] = v if v is not None else cat.value(n)
    out["deployment"] = value("deployment") or DEFAULT_DEPLOYMENT
    return out


def site_rates(cat: Catalog, eco: Mapping[str, Any], datacenter: Any) -> tuple[Any, Any]:
    """(electricity USD/kWh, PUE) where a box runs: a datacenter (rack servers, or deployment datacenter) at
    the industrial tariff and pue_datacenter, else the deployment's tariff and pue; scenario values win."""
    where = eco["deployment"]
    in_dc = np.asarray(datacenter, dtype=bool) | (where == "datacenter")
    price = eco["electricity_usd_per_kwh"]
    if price is None:
        price = np.where(in_dc, cat.value(ELECTRICITY["datacenter"]), cat.value(ELECTRICITY[where]))
    pue = eco["pue"]
    if pue is None:
        pue = np.where(in_dc, cat.value("pue_datacenter"), cat.value("pue"))
    return _scalar(price), _scalar(pue)


def _scalar(v: Any) -> Any:
    return float(v) if np.ndim(v) == 0 else v


def resale_fraction(cat: Catalog, eco: Mapping[str, Any], gpu: Gpu) -> Any:
    """Share of the price recovered at the end of life: the scenario's, else by GPU class."""
    if eco["resale_fraction"] is not None:
        return eco["resale_fraction"]
    return cat.value("resale_fraction_datacenter" if gpu.gpu_class == "datacenter" else "resale_fraction")


def replica_costs(cat: Catalog, eco: Mapping[str, Any], gpu: Gpu, counts: Any, used: bool) -> dict[str, Any]:
    """Per owned replica of `counts` x `gpu` (counts: a number or an array of rows): host box, capex, power
    and monthly upkeep.

    Keys: fits (a host carries it), host (label), reason, capex_usd (cards + host share), idle_w and
    busy_extra_w (cards and host share), datacenter, electricity_usd_per_kwh, pue, ops_usd_per_month (staff
    hours x rate x boxes, or the scenario's per-replica figure), colocation_usd_per_month (rated IT kW x
    $/kW-month, in a datacenter), failures_usd_per_month (cards x price x annual failure rate / 12).
    """
    c = np.atleast_1d(np.asarray(counts, dtype=float))
    boxes = {v: box_for(cat, gpu, int(v)) for v in np.unique(c).tolist()}
    pick = {k: np.array([getattr(boxes[v], k) for v in c.tolist()]) for k in ("fits", "datacenter", "boxes", "share")}
    host_usd = np.array([boxes[v].usd(eco["host_usd"]) for v in c.tolist()], dtype=float) if np.ndim(eco["host_usd"]) == 0 \
        else np.array([boxes[v].share for v in c.tolist()]) * eco["host_usd"]
    idle = _host_w(boxes, c, False, eco["host_power_w"])
    busy = _host_w(boxes, c, True, eco["host_power_w"])
    price = gpu_price_usd(gpu, used)
    it_kw = (c * gpu.power_w + busy) / 1000.0
    electricity, pue = site_rates(cat, eco, pick["datacenter"])
    in_dc = pick["datacenter"] | (eco["deployment"] == "datacenter")
    ops = eco["ops_usd_per_month"]
    if ops is None:
        ops = eco["ops_hours_per_month"] * eco["ops_usd_per_hour"] * pick["boxes"]
    out = {
        "fits": pick["fits"],
        "host": np.array([boxes[v].label for v in c.tolist()], dtype=object),
        "reason": np.array([boxes[v].reason for v in c.tolist()], dtype=object),
        "capex_usd": c * price + host_usd,
        "idle_w": c * gpu.idle_power_w + idle,
        "busy_extra_w": c * (gpu.power_w - gpu.idle_power_w) + (busy - idle),
        "datacenter": in_dc,
        "electricity_usd_per_kwh": electricity,
        "pue": pue,
        "ops_usd_per_month": ops,
        "colocation_usd_per_month": np.where(in_dc, it_kw * eco["colocation_usd_per_kw_month"], 0.0),
        "failures_usd_per_month": c * price * cat.value("gpu_annual_failure_rate") / 12.0,
    }
    if np.ndim(counts) == 0:
        return {k: v[0] if isinstance(v, np.ndarray) and v.shape == (1,) else v for k, v in out.items()}
    return out


def _host_w(boxes: Mapping[float, Box], c: np.ndarray, busy: bool, override: Any) -> Any:
    if np.ndim(override) == 0:
        return np.array([boxes[v].power_w(busy, override) for v in c.tolist()], dtype=float)
    return np.array([boxes[v].share for v in c.tolist()]) * override


def _memory_gb_per_s(box: Box) -> float:
    """CPU memory bandwidth of a box: its share of the host's (a rack server's slots split it as they split its
    price); a machine that is its own host (Apple) has unified memory, the GPU's bandwidth. inf where the host
    profile does not say (the host-side optimizer step is then not costed)."""
    if box.integrated:
        return box.gpu.memory_bandwidth_gb_per_s
    if box.host is None or box.host.memory_bandwidth_gb_per_s is None:
        return math.inf
    return box.host.memory_bandwidth_gb_per_s * box.share


def run_costs_inputs(cat: Catalog, eco: Mapping[str, Any], gpu: Gpu, gpus: Any, used: bool) -> dict[str, Any]:
    """Per-GPU host, site and upkeep inputs of a training run on `gpus` x `gpu` (a number or an array of rows)
    for llmcost.engine.training.run_costs, plus fits, host, boxes, reason and the hosts' CPU memory bandwidth per GPU.

    A run over more than one box also buys a network (cluster_network_fraction of the cluster's hardware:
    GPUs and hosts are 1 - fraction of it) and spares (spare_gpu_fraction of its GPUs, at their price)."""
    g = np.atleast_1d(np.asarray(gpus, dtype=float))
    clusters = {v: cluster_for(cat, gpu, int(v)) for v in np.unique(g).tolist()}
    box = [clusters[v][0] for v in g.tolist()]
    n_boxes = np.array([clusters[v][1] for v in g.tolist()], dtype=float)
    host_usd = np.array([b.usd(eco["host_usd"]) for b in box], dtype=float) * n_boxes
    busy_w = np.array([b.power_w(True, eco["host_power_w"]) for b in box], dtype=float) * n_boxes
    boxes = np.array([b.boxes for b in box]) * np.where([b.integrated for b in box], 1.0, n_boxes)
    datacenter = np.array([b.datacenter for b in box])
    price = gpu_price_usd(gpu, used)
    multi = n_boxes > 1
    hardware = g * price + host_usd
    network = np.where(multi, hardware * cat.value("cluster_network_fraction") / (1.0 - cat.value("cluster_network_fraction")), 0.0)
    spares = np.where(multi, g * price * cat.value("spare_gpu_fraction"), 0.0)
    electricity, pue = site_rates(cat, eco, datacenter)
    in_dc = datacenter | (eco["deployment"] == "datacenter")
    ops = eco["ops_usd_per_month"]
    ops = ops * n_boxes if ops is not None else eco["ops_hours_per_month"] * eco["ops_usd_per_hour"] * boxes
    colo = np.where(in_dc, (g * gpu.power_w + busy_w) / 1000.0 * eco["colocation_usd_per_kw_month"], 0.0)
    failures = g * price * cat.value("gpu_annual_failure_rate") / 12.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "fits": np.array([b.fits and n > 0 for b, n in zip(box, n_boxes.tolist(), strict=True)]),
            "host": np.array([f"{int(n)}x {b.label}" if n > 1 else b.label for b, n in zip(box, n_boxes.tolist(), strict=True)],
                             dtype=object),
            "reason": np.array([b.reason for b in box], dtype=object),
            "boxes": n_boxes,
            "host_power_w_per_gpu": busy_w / g,
            "host_memory_gb_per_s_per_gpu": np.array([_memory_gb_per_s(b) for b in box], dtype=float) * n_boxes / g,
            "capex_usd_per_gpu": (hardware + network + spares) / g,
            "network_usd": network,
            "spares_usd": spares,
            "upkeep_usd_per_gpu_month": (ops + colo + failures) / g,
            "electricity_usd_per_kwh": electricity,
            "pue": pue,
            "resale_fraction": resale_fraction(cat, eco, gpu),
            "lifetime_months": eco["lifetime_months"],
        }
    if np.ndim(gpus) == 0:
        return {k: v[0] if isinstance(v, np.ndarray) and v.shape == (1,) else v for k, v in out.items()}
    return out
