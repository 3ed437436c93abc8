"""Timeline events the text states, built from what the field modules found.

Attribute names are the Case model's (``remission.model.events``): a CAR-T infusion has
``product``, ``target``, ``cell_source``, ``costimulatory``; a therapy ``agents`` and ``courses``;
a relapse ``number`` and ``sites``; an assessment ``response`` and ``mrd``; a toxicity episode
``syndrome`` and ``grade`` (``{grade, scale}``); a follow-up ``alive``. ``when`` is a calendar date
or a day relative to the first index event (``car1+28d``) when the sentence gives one.
"""

from __future__ import annotations

from typing import Any

from remission.evidence.numbers import calendar_date, relative_day
from remission.evidence.reading import Found, Reading
from remission.evidence.result import ExtractedEvent
from remission.evidence.therapies import IndexPlan

__all__ = ["build_events"]


def _sentence_text(reading: Reading, pos: int) -> tuple[str, int]:
    s = reading.sentence_at(pos)
    return (s.text, s.index) if s is not None else ("", -1)


def build_events(
    reading: Reading, plan: IndexPlan, found: dict[str, Found]
) -> tuple[ExtractedEvent, ...]:
    events: list[tuple[int, dict[str, Any]]] = []
    first_id: str | None = None

    def add(
        pos: int,
        etype: str,
        eid: str,
        attrs: dict[str, Any],
        f: Found | None,
        *,
        index: bool = False,
        when: str | None = None,
        evidence: tuple[Any, ...] | None = None,
    ) -> None:
        text, _ = _sentence_text(reading, pos)
        if when is None and etype in (
            "relapse",
            "hsct",
            "diagnosis",
            "therapy",
            "car_t_infusion",
            "death",
        ):
            when = calendar_date(text)
        ev = evidence if evidence is not None else (f.evidence if f else ())
        events.append(
            (
                pos,
                {
                    "id": eid,
                    "type": etype,
                    "attributes": attrs,
                    "when": when,
                    "index": index,
                    "evidence": ev,
                },
            )
        )

    car_n = 0
    for i, row in enumerate(plan.rows):
        f = found.get(f"index_therapies[{i}]")
        if row.therapy_class == "car_t":
            car_n += 1
            eid = f"car{car_n}"
            attrs: dict[str, Any] = {"product": row.agent or "investigational"}
            for key in ("target", "cell_source"):
                if getattr(row, key):
                    attrs[key] = getattr(row, key)
            if row.costimulatory and not row.either:
                attrs["costimulatory"] = list(row.costimulatory)
            if row.either:
                attrs["costimulatory_either"] = ["CD28", "4-1BB"]
            if row.courses:
                attrs["infusions"] = row.courses
        else:
            eid = f"index{i + 1}"
            attrs = {"agents": [row.agent] if row.agent else []}
            if row.courses:
                attrs["courses"] = row.courses
        first_id = first_id or eid
        add(
            row.first,
            "car_t_infusion" if row.therapy_class == "car_t" else "therapy",
            eid,
            attrs,
            f,
            index=True,
        )
    seen_prior: set[str] = set()
    for m in plan.prior_mentions:
        agent = m.meta.get("id") if m.label in ("AGENT", "CAR_PRODUCT") else None
        key = agent or m.text.lower()
        if key in seen_prior:
            continue
        seen_prior.add(key)
        etype = "car_t_infusion" if m.label in ("CAR_T", "CAR_PRODUCT") else "therapy"
        attrs = (
            {"product": agent or "investigational"}
            if etype == "car_t_infusion"
            else {"agents": [agent] if agent else []}
        )
        add(
            m.start,
            etype,
            f"prior{len(seen_prior)}",
            attrs,
            None,
            evidence=(reading.mention_evidence(m, rule="prior_therapy", match="synonym"),),
        )
    anchor = first_id or "index"

    def rel(pos: int) -> str | None:
        text, _ = _sentence_text(reading, pos)
        day = relative_day(text)
        return f"{anchor}+{day}d" if day is not None and first_id else None

    if "relapse_count" in found or "extramedullary_sites" in found:
        f = found.get("relapse_count") or found["extramedullary_sites"]
        attrs = {}
        if "relapse_count" in found and found["relapse_count"].value:
            attrs["number"] = found["relapse_count"].value
        if "extramedullary_sites" in found:
            attrs["sites"] = list(found["extramedullary_sites"].value)
        evidence = tuple(
            e
            for key in ("relapse_count", "extramedullary_sites")
            if key in found
            for e in found[key].evidence
        )
        add(f.position, "relapse", "relapse-treated", attrs, f, evidence=evidence)
    if found.get("prior_hsct") and found["prior_hsct"].value:
        add(
            found["prior_hsct"].position,
            "hsct",
            "hsct-prior",
            {"kind": "allogeneic"},
            found["prior_hsct"],
        )
    if "response" in found or "mrd_negative" in found:
        f = found.get("response") or found["mrd_negative"]
        attrs = {}
        if "response" in found:
            attrs["response"] = found["response"].value
        if "mrd_negative" in found:
            attrs["mrd"] = {"detectable": not found["mrd_negative"].value}
        evidence = tuple(
            e for key in ("response", "mrd_negative") if key in found for e in found[key].evidence
        )
        add(
            f.position,
            "disease_assessment",
            "response",
            attrs,
            f,
            when=rel(f.position),
            evidence=evidence,
        )
    for key, syndrome in (("crs_max_grade", "crs"), ("icans_max_grade", "icans")):
        if key in found:
            f = found[key]
            add(
                f.position,
                "toxicity",
                syndrome,
                {
                    "syndrome": syndrome,
                    "grade": {"grade": f.value, "scale": f.extra.get("scale", "unspecified")},
                },
                f,
                when=rel(f.position),
            )
    if "gvhd" in found:
        f = found["gvhd"]
        attrs = (
            {"syndrome": "gvhd"}
            if f.value
            else {"syndrome": "gvhd", "grade": {"grade": 0, "scale": "unspecified"}}
        )
        add(f.position, "toxicity", "gvhd", attrs, f)
    if found.get("relapse_after") and found["relapse_after"].value:
        add(found["relapse_after"].position, "relapse", "relapse-after", {}, found["relapse_after"])
    if found.get("bridged_to_hsct") and found["bridged_to_hsct"].value:
        add(
            found["bridged_to_hsct"].position,
            "hsct",
            "hsct-bridge",
            {"kind": "allogeneic"},
            found["bridged_to_hsct"],
            when=None,
        )
    alive = found.get("alive_at_last_follow_up")
    if alive is not None and alive.value is False:
        add(alive.position, "death", "death", {}, alive)
    fu = found.get("follow_up_months")
    if fu is not None or (alive is not None and alive.value):
        f = fu or alive
        assert f is not None
        attrs = {"alive": bool(alive.value) if alive else True}
        if fu is not None:
            attrs["months_after_index"] = fu.value
        ra = found.get("relapse_after")
        if ra is not None:
            attrs["disease_status"] = "relapse" if ra.value else "remission"
        evidence = tuple(e for x in (fu, alive) if x is not None for e in x.evidence)
        add(f.position, "follow_up", "last-follow-up", attrs, f, evidence=evidence)
    events.sort(key=lambda pe: pe[0])
    # built from the fixed ids and types above (short, valid by construction) and the values
    # the finders produced, so pydantic's validation is skipped: it was a tenth of the
    # per-patient time
    return tuple(ExtractedEvent.model_construct(order=k, **e) for k, (_, e) in enumerate(events))
