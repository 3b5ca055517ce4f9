"""Explainable risk: sourced app attributes -> facts -> a weighted score with its reasons.

An app's attributes come from the catalog sources only (``mfa`` from twofactorauth, ``sso``
from sso.tax, ``fedramp`` from the FedRAMP Marketplace). Each attribute gives at most one
*fact* (e.g. ``mfa_security_key``); the score is ``base`` plus the weights of the facts,
rounded half up and kept within 0-10 (10 safest). The weights live in a TOML file the user can
replace (the shipped one is ``shadowlens/data/catalog/risk-weights.toml``, which documents
every fact). An app without attributes has no score ("not assessed").

Examples
--------
>>> w = load_weights()
>>> risk, reasons = score((Attribute("mfa", "sms;totp;u2f", "twofactorauth:x.json"),), w)
>>> risk
7
>>> reasons[1]
'+2 mfa_security_key: security keys supported (sms, totp, u2f) [twofactorauth:x.json]'
>>> score((), w)
(None, ())
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shadowlens.errors import ConfigError

#: Every fact a weights file may name, with what it means.
FACTS: dict[str, str] = {
    "mfa_security_key": "security keys supported",
    "mfa_app": "authenticator or vendor app, no security keys",
    "mfa_codes_only": "only SMS, call or e-mail codes",
    "mfa_none": "no 2FA offered",
    "sso_extra_cost": "SSO only in a more expensive plan",
    "fedramp_authorized_high": "FedRAMP Authorized, High impact",
    "fedramp_authorized_moderate": "FedRAMP Authorized, Moderate impact",
    "fedramp_authorized_low": "FedRAMP Authorized, Low impact",
    "fedramp_in_process": "FedRAMP Ready or In Process, not authorized",
}


@dataclass(frozen=True, slots=True)
class Attribute:
    """One sourced fact about an app: ``name`` (mfa, sso, fedramp), its value, its source."""

    name: str
    value: str
    source: str


@dataclass(frozen=True, slots=True)
class RiskWeights:
    """``base`` plus one weight per fact name; ``origin`` is the file they were read from."""

    base: float
    weights: Mapping[str, float]
    origin: str


def load_weights(path: str | Path | None = None) -> RiskWeights:
    """The weights of ``path``, or the shipped ones.

    Raises
    ------
    ConfigError
        The file cannot be read, is not TOML, names an unknown fact or a non-number.

    Examples
    --------
    >>> load_weights().weights["mfa_none"]
    -2.0
    """
    if path is None:
        ref = resources.files("shadowlens") / "data" / "catalog" / "risk-weights.toml"
        text, origin = ref.read_text(encoding="utf-8"), "risk-weights.toml (shipped)"
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            msg = f"{path}: cannot read risk weights: {exc.strerror}"
            raise ConfigError(msg) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{origin}: invalid TOML: {exc}"
        raise ConfigError(msg) from exc
    unknown = set(data) - {"base", "weights"}
    table = data.get("weights", {})
    if unknown or not isinstance(table, dict):
        msg = f"{origin}: expected `base = N` and a [weights] table, got {sorted(unknown)}"
        raise ConfigError(msg)
    bad = sorted(set(table) - set(FACTS))
    if bad:
        msg = f"{origin}: unknown facts {bad}; known: {', '.join(FACTS)}"
        raise ConfigError(msg)
    values = {"base": data.get("base", 5), **table}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = f"{origin}: {name} must be a number, got {value!r}"
            raise ConfigError(msg)
    weights = {name: float(table.get(name, 0)) for name in FACTS}
    return RiskWeights(float(values["base"]), weights, origin)


def facts(attributes: Iterable[Attribute]) -> list[tuple[str, str, Attribute]]:
    """The facts the attributes establish: ``(fact, what it means here, attribute)``.

    Examples
    --------
    >>> [f for f, _, _ in facts([Attribute("fedramp", "Authorized, High", "fedramp:F1")])]
    ['fedramp_authorized_high']
    """
    out: list[tuple[str, str, Attribute]] = []
    for a in attributes:
        fact = _fact(a)
        if fact is not None:
            detail = FACTS[fact]
            if a.name == "mfa" and a.value != "none":
                detail += f" ({a.value.replace(';', ', ')})"
            elif a.name == "fedramp":
                detail = f"FedRAMP {a.value}"
            out.append((fact, detail, a))
    return out


def _fact(a: Attribute) -> str | None:
    if a.name == "mfa":
        methods = set(a.value.split(";"))
        if a.value == "none":
            return "mfa_none"
        if "u2f" in methods:
            return "mfa_security_key"
        if methods & {"totp", "custom-software", "custom-hardware"}:
            return "mfa_app"
        return "mfa_codes_only"
    if a.name == "sso" and a.value == "extra-cost":
        return "sso_extra_cost"
    if a.name == "fedramp":
        status, _, level = a.value.partition(",")
        if status.strip() != "Authorized":
            return "fedramp_in_process"
        text = level.lower()
        if "high" in text:
            return "fedramp_authorized_high"
        return "fedramp_authorized_moderate" if "moderate" in text else "fedramp_authorized_low"
    return None


def score(
    attributes: Iterable[Attribute], weights: RiskWeights
) -> tuple[int | None, tuple[str, ...]]:
    """The risk (0-10, 10 safest) and its reasons; ``(None, ())`` without any fact.

    The first reason names the base and the weights file; then one reason per fact, with its
    weight, what it means and the source of the attribute.
    """
    found = facts(attributes)
    if not found:
        return None, ()
    total = weights.base
    reasons = [f"base {_num(weights.base)} ({weights.origin})"]
    for fact, detail, attr in found:
        w = weights.weights.get(fact, 0.0)
        total += w
        reasons.append(f"{'+' if w >= 0 else ''}{_num(w)} {fact}: {detail} [{attr.source}]")
    return max(0, min(10, math.floor(total + 0.5))), tuple(reasons)


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
