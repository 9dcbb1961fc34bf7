"""Deterministic, realistic seeded data for the emulator: one Salesforce org, one HubSpot portal, the ground truth.

Everything comes from one seeded generator and ``as_of`` (the "today" the data is anchored to), so the same
settings give the same data. All instants lie before ``as_of`` 00:00 UTC, so none is in the future of a real clock
that reads ``as_of``. Internally, times are integer milliseconds relative to that instant (negative = past).

Each CRM gets exactly ``deals`` deal records: ~27% are real deals present in both CRMs (with drift: name spelling,
tiny amount differences, close date a few days apart, stage one step apart), ~4% are extra records of a deal
already in the same CRM (within-CRM duplicates, sometimes a third record), ~3% are deleted (Salesforce
``IsDeleted``) or archived (HubSpot), the rest exist once. See ``PLANTED_RULES`` for the problems recorded in
``GroundTruth.flags``; every member of one real deal, across and within CRMs, is in one duplicate cluster.

Stale rules are planted on open deals only. Clean open deals have activity in the last 20 days, entered their
stage in the last ~15 days, close at least ~10 days ahead, were pushed at most once, and have a plausible amount
(4k-80k USD) or, before ``proposal``, sometimes none: so no unflagged live deal meets a planted condition.
"""

from __future__ import annotations

import gc
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from dealsync.emulator import seed_names as nm
from dealsync.emulator.seed_names import (
    CANON_LABEL,
    HS_BY_CANON,
    HS_RATES,
    HS_RENEWAL_STAGES,
    HS_STAGE_INFO,
    LOST,
    RENEWALS_PIPELINE_ID,
    SF_BY_CANON,
    SF_CUSTOM_STAGES,
    SF_RATES,
    SF_STAGE_INFO,
    WON,
    build_catalog,
    hs_deal_properties,
    hs_pipelines,
    sf_id,
)
from dealsync.emulator.state import EmulatorState, GroundTruth, HubSpotObject, HubSpotPortal, SalesforceOrg

DAY = 86_400_000  # milliseconds

# rule id -> the condition that holds in the data for every flag of that rule (and for no unflagged live deal)
PLANTED_RULES: dict[str, str] = {
    "stale.no_activity": "open; last activity (LastActivityDate / notes_last_updated) 45-300 days before as_of",
    "stale.stage_too_long": "open in initial_contact, proposal or negotiation; stage entered 46-200 days ago",
    "stale.close_date_past": "open; close date 3-150 days before as_of",
    "stale.close_date_pushed": "close date moved later 3-5 times in the history",
    "mis_valued.missing_amount": "open at proposal or negotiation with no amount (null, or '' in HubSpot)",
    "mis_valued.zero_amount": "amount is 0",
    "mis_valued.negative_amount": "amount below 0",
    "mis_valued.outlier": "amount 10x or 100x a plausible one (>= 350k USD; clean deals stay <= 80k USD)",
    "mis_valued.linked_amount_mismatch": "the linked deal in the other CRM is 17-45% off once converted",
    "consistency.currency_mismatch": "the linked deal uses another currency; same value once converted",
    "consistency.won_future_close": "won, close date 3-60 days after as_of",
    "consistency.stage_backwards": "the last stage change moved to an earlier canonical stage (in the last 15 days)",
    "unmapped_stage": "open in a custom stage: Salesforce Discovery / Verbal Commit, HubSpot Renewals pipeline",
}
_T = TypeVar("_T")
Ref = dict[str, str]


@dataclass(frozen=True)
class SeedSettings:
    deals: int = 2000  # Opportunity records (live + deleted) in Salesforce, and deal records in HubSpot
    seed: int = 42
    as_of: date | None = None  # "today" for the data; None -> today's UTC date


@dataclass
class _Company:
    name: str  # legal name as Salesforce has it
    hs_name: str  # the HubSpot company name (sometimes drifted)
    short: str  # name without legal suffix, used in deal names
    country: str
    domain: str
    industry: str
    sf_id: str | None = None
    hs_id: str | None = None


@dataclass
class _Plan:
    """One record to create in one CRM. ``path`` is (stage code, ms) oldest first: canonical index 1..5, WON,
    LOST, or -1-k for custom stage k (Salesforce custom stage, HubSpot renewals pipeline)."""

    company: _Company | None
    name: str
    currency: str
    amount: float | None
    prior_amount: float | None  # amount before the one amount change in history, if any
    status: str  # open | won | lost
    path: list[tuple[int, int]]
    close: date
    pushes: int
    activity: int | None
    owner: int
    rules: list[str]
    kind: str | None
    source: str | None
    description: str | None
    prob_override: float | None = None
    deleted: bool = False
    cluster: int = -1
    rec_id: str = ""
    created: int = 0  # == path[0][1]

    def __post_init__(self) -> None:
        self.created = self.path[0][1]


class _Random(random.Random):
    """``random.Random`` with cheaper integer draws (one ``random()`` call each); still fully seeded."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # noqa: ARG002 - step unused
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start)) if stop > start else start

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Sequence[_T]) -> _T:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]


def _ago(rng: random.Random, lo_days: float, hi_days: float) -> int:
    return -rng.randrange(int(lo_days * DAY), max(int(lo_days * DAY) + 1, int(hi_days * DAY)))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, max(2, len(text) - 1))
    if not text[i].isalpha() or not text[i - 1].isalpha():
        return text[:i] + text[i + 1 :] if text[i].isalpha() else text.replace(" - ", " ", 1)
    op = rng.random()
    if op < 0.4:
        return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
    if op < 0.7:
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]


def _name_drift(rng: random.Random, p: _Plan) -> str:
    name, r = p.name, rng.random()
    if r < 0.2:
        return name.upper() if rng.random() < 0.3 else name.lower()
    if r < 0.4:
        return name.replace(" - ", rng.choice((": ", " \u2013 ", " / ", " ")), 1)
    if r < 0.6:
        return name.rsplit(" ", 1)[0]  # the year dropped
    if r < 0.8:
        return _typo(rng, name)
    if p.company is not None and p.company.name != p.company.short:
        return name.replace(p.company.short, p.company.name, 1)
    return name + " (copy)" if rng.random() < 0.5 else name + " "


class _Gen:
    def __init__(self, settings: SeedSettings) -> None:
        self.rng = _Random(settings.seed)
        self.as_of = settings.as_of or datetime.now(UTC).date()
        self.t0 = datetime(self.as_of.year, self.as_of.month, self.as_of.day, tzinfo=UTC)
        self.n = max(0, settings.deals)
        self.counters: dict[str, int] = {}
        self.day_text: dict[int, str] = {}
        self.names: set[str] = set()
        self.bases: set[str] = set()
        self.companies = [self._company() for _ in range(max(12, self.n // 4))]

    # ---- small helpers -------------------------------------------------------------------------------------
    def at(self, ms: int) -> datetime:
        return self.t0 + timedelta(0, 0, ms * 1000)

    def day(self, ms: int) -> date:
        return self.as_of + timedelta(days=ms // DAY)

    def iso(self, ms: int) -> str:
        """ISO 8601 with milliseconds and ``Z``, as HubSpot sends instants (hand-made: this is the hot path)."""
        days, rest = divmod(ms, DAY)
        day = self.day_text.get(days)
        if day is None:
            day = self.day_text[days] = f"{self.as_of + timedelta(days=days)}T"
        return "%s%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 - %-formatting is the fastest here
            day,
            rest // 3_600_000,
            rest // 60_000 % 60,
            rest // 1000 % 60,
            rest % 1000,
        )

    def sf_next(self, prefix: str) -> str:
        number = self.counters.get(prefix)
        if number is None:
            number = self.rng.randrange(2_000_000, 90_000_000)
        number += 1 + int(self.rng.random() * 7)  # ids grow with gaps, as in a busy org
        self.counters[prefix] = number
        return sf_id(prefix, number)

    def hs_next(self, kind: str, start: int) -> str:
        self.counters[kind] = self.counters.get(kind, start + self.rng.randrange(10**8)) + 1 + self.rng.randrange(900)
        return str(self.counters[kind])

    def _company(self) -> _Company:
        rng = self.rng
        base, country = "", "US"
        for attempt in range(30):  # company names are unique (near-namesakes are fine, and realistic)
            if rng.random() < 0.12:
                base, country = rng.choice(nm.ACCENTED_COMPANIES)
            else:
                country = rng.choice(nm.COUNTRIES)
                base = f"{rng.choice(nm.COMPANY_PREFIXES)} {rng.choice(nm.COMPANY_CORES)}"
            if attempt > 3 or rng.random() < 0.15:
                base = f"{base} {rng.choice(nm.COMPANY_QUALIFIERS)}"
            if base not in self.bases:
                break
        else:
            base = f"{base} {len(self.bases)}"
        self.bases.add(base)
        suffix = rng.choice(nm.LEGAL_SUFFIXES[country])
        name = f"The {base} Company" if country == "US" and rng.random() < 0.06 else f"{base} {suffix}"
        hs_name = name
        if rng.random() < 0.15:  # the HubSpot side was typed differently
            hs_name = rng.choice((base, _ascii(name), name.upper(), f"{base}, {suffix}"))
        slug = "".join(c for c in _ascii(base).lower().replace(" ", "-") if c.isalnum() or c == "-")
        return _Company(
            name,
            hs_name,
            base if rng.random() < 0.7 else name,
            country,
            f"{slug}.{nm.TLD[country]}",
            rng.choice(nm.INDUSTRIES),
        )

    def _amount(self, cur: str, lo: float = 4_000, hi: float = 80_000) -> float:
        usd = min(hi, max(lo, self.rng.lognormvariate(math.log(25_000), 0.6)))
        return self._local(usd, cur)

    def _local(self, usd: float, cur: str) -> float:
        v, r = usd * SF_RATES[cur], self.rng.random()
        if cur == "JPY":
            return float(round(v, -3))
        return float(round(v, -2)) if r < 0.5 else float(round(v, -3)) if r < 0.7 else round(v, 2)

    # ---- plans ---------------------------------------------------------------------------------------------
    def plan(self, status: str, rules: list[str], target: str, custom: int = -1, narrow: bool = False) -> _Plan:
        """A live record for ``target`` ("sf", "hs" or "both": a deal that must fit both pipelines)."""
        rng = self.rng
        start = 1 if target == "sf" else 2
        now_ish = -rng.randrange(DAY // 24, DAY)
        activity: int | None
        pushes = rng.randrange(3, 6) if "stale.close_date_pushed" in rules else int(rng.random() < 0.25)
        if status == "open":
            if custom >= 0:
                single = rng.random() < 0.2 or (target == "hs" and custom == 0)
                cur, pre = -1 - custom, ([] if single else [1 if target == "sf" else -1])
                la = _ago(rng, 1, 12 if single else 15)
            elif "stale.stage_too_long" in rules:
                cur = rng.randrange(4 if "mis_valued.missing_amount" in rules else 3, 6)
                pre, la = self._pre(start, cur), _ago(rng, 46, 200)
            elif "consistency.stage_backwards" in rules:
                prev = rng.randrange(start + 1, 6)
                cur = rng.randrange(max(start, 4 if "mis_valued.missing_amount" in rules else start), prev)
                pre, la = [*self._pre(start, prev), prev], _ago(rng, 1, 15)
            else:
                lo = 4 if "mis_valued.missing_amount" in rules else start + 1 if rules else start
                cur = rng.choices(range(lo, 6), weights=[5, 6, 7, 6, 4][lo - 1 :])[0]
                pre, la = self._pre(start, cur), _ago(rng, 1, 12 if cur == start else 15)
            old_activity = "stale.no_activity" in rules
            min_age = 80 if (old_activity or "stale.close_date_past" in rules) else 5
            created = la if not pre else la - int(max(min_age, min(700, 3 + rng.expovariate(1 / 150))) * DAY)
            created = self._floor(created)
            path = [*self._times(pre, created, la), (cur, la)]
            ca = -created // DAY
            if "stale.close_date_past" in rules:
                close = self.as_of - timedelta(days=rng.randint(3, min(150, ca - 2)))
            else:
                close = self.as_of + timedelta(days=rng.randint(10, 200))
            if old_activity:
                activity = max(created + 1000, _ago(rng, 45, min(300, ca - 2)))
            else:
                activity = max(created + 1000, _ago(rng, 1, min(20, ca + 1)))
        else:
            future = "consistency.won_future_close" in rules
            t_end = _ago(rng, 1, 30) if future else _ago(rng, 7, 600)
            last = rng.randrange(max(start, 3), 6)
            created = self._floor(t_end - rng.randrange(10 * DAY, 150 * DAY))
            done = WON if status == "won" else LOST
            path = [*self._times([*self._pre(start, last), last], created, t_end), (done, t_end)]
            close = self.as_of + timedelta(days=rng.randint(3, 60)) if future else self.day(t_end)
            activity = None
            if rng.random() >= 0.1:
                activity = rng.randrange(created + 1000, min(now_ish, t_end + 20 * DAY))
        company = rng.choice(self.companies) if rng.random() < 0.97 else None
        cur_code = "USD"
        if company is not None and rng.random() < 0.75:
            cur_code = nm.COUNTRY_CURRENCY[company.country]
        elif rng.random() < 0.1:
            cur_code = rng.choice(("EUR", "GBP", "CAD"))
        amount: float | None = self._amount(cur_code, *((8_000, 60_000) if narrow else (4_000, 80_000)))
        prior = amount * rng.uniform(0.7, 1.3) if amount is not None and rng.random() < 0.3 else None
        if "mis_valued.missing_amount" in rules or (
            status == "open" and path[-1][0] in (1, 2, 3) and not rules and custom < 0 and rng.random() < 0.15
        ):
            amount, prior = None, None
        elif "mis_valued.zero_amount" in rules:
            amount, prior = 0.0, amount
        elif "mis_valued.negative_amount" in rules:
            amount, prior = -(amount or 0.0), (amount if rng.random() < 0.5 else None)
        elif "mis_valued.outlier" in rules:
            base = self._local(rng.uniform(35_000, 70_000), cur_code)
            amount, prior = base * rng.choice((10, 100)), (base if rng.random() < 0.5 else None)
        prior = None if prior is None else round(prior, -2)
        override = None
        if status == "open" and custom < 0 and rng.random() < 0.07:
            override = float(rng.choice((5, 15, 25, 35, 45, 55, 65, 80, 85, 95)))
        return _Plan(
            company=company,
            name=self._deal_name(company, close),
            currency=cur_code,
            amount=amount,
            prior_amount=prior,
            status=status,
            path=path,
            close=close,
            pushes=pushes,
            activity=activity,
            owner=rng.randrange(12),
            rules=list(rules),
            kind=rng.choice(
                (
                    "New Customer",
                    "Existing Customer - Upgrade",
                    "Existing Customer - Replacement",
                    "Existing Customer - Downgrade",
                    None,
                )
            ),
            source=rng.choice(("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", None)),
            description=self._description(),
            prob_override=override,
        )

    def _floor(self, created: int) -> int:
        """Keep creation within about two years, without piling records up on one instant."""
        return created if created >= -725 * DAY else -self.rng.randrange(700 * DAY, 725 * DAY)

    def _pre(self, start: int, cur: int) -> list[int]:
        """Stages passed through before ``cur``: always ``start``, then an increasing random subset."""
        if cur <= start:
            return []
        return [start] + [c for c in range(start + 1, cur) if self.rng.random() < 0.5]

    def _times(self, stages: list[int], created: int, last: int) -> list[tuple[int, int]]:
        if not stages:
            return []
        inner = sorted(self.rng.randrange(created + 1, max(created + 2, last)) for _ in stages[1:])
        return list(zip(stages, [created, *inner], strict=True))

    def _deal_name(self, company: _Company | None, close: date) -> str:
        rng = self.rng
        # a deal without an account: a person buying for themselves
        who = company.short if company is not None else f"{rng.choice(nm.FIRST_NAMES)} {rng.choice(nm.LAST_NAMES)}"
        name = ""
        for _ in range(6):
            name = f"{who} - {rng.choice(nm.PRODUCTS)} {rng.choice(nm.DEAL_KINDS)} {close.year}"
            if name not in self.names:
                break
        else:
            name = f"{name} #{len(self.names)}"
        self.names.add(name)
        return name

    def _description(self) -> str | None:
        r = self.rng.random()
        if r < 0.35:
            return None
        return self.rng.choice(nm.HOSTILE_DESCRIPTIONS if r < 0.45 else nm.DESCRIPTIONS)

    def drift(self, p: _Plan, rule: str | None) -> _Plan:
        """The same real deal as typed into the other CRM: small differences, or the planted pair problem."""
        rng = self.rng
        q = replace(p, rules=[], path=list(p.path), cluster=p.cluster)
        q.name = _name_drift(rng, p) if rng.random() < 0.6 else p.name
        shift = -rng.randrange(0, 2 * DAY)
        q.path[0] = (q.path[0][0], p.created + shift)
        q.created = p.created + shift
        if p.amount is not None and rule is None and rng.random() < 0.4:
            q.amount = round(p.amount * (1 + rng.uniform(-0.004, 0.004)), 0 if p.currency == "JPY" else 2)
        if rule == "mis_valued.linked_amount_mismatch" and p.amount is not None:
            q.amount = round(p.amount * rng.choice((rng.uniform(1.2, 1.6), rng.uniform(0.55, 0.8))), -2)
        elif rule == "consistency.currency_mismatch" and p.amount is not None:
            q.currency = "USD" if p.currency != "USD" else rng.choice(("EUR", "GBP", "CAD"))
            digits = 0 if q.currency == "JPY" else 2
            q.amount = round(p.amount / SF_RATES[p.currency] * SF_RATES[q.currency], digits)
        if rng.random() < 0.4:
            q.close = p.close + timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 5))
        if p.status == "open" and rng.random() < 0.25:
            c, last = p.path[-1]
            top = 5 if p.amount is not None else 3  # no unflagged missing amount at proposal or later
            new = rng.choice([x for x in (c - 1, c + 1) if 3 <= x <= top] or [c])
            pre = [s for s in q.path[:-1] if s[0] < new] or [(2, q.created)]
            q.path = [*pre, (new, last)]
        return q

    def dup(self, p: _Plan) -> _Plan:
        """A second record of the same deal in the same CRM."""
        rng = self.rng
        q = replace(p, rules=[], path=list(p.path), pushes=0, prior_amount=None)
        q.name = _name_drift(rng, p) if rng.random() < 0.8 else p.name
        if p.amount is not None and rng.random() < 0.3:
            q.amount = round(p.amount * (1 + rng.uniform(-0.004, 0.004)), 0 if p.currency == "JPY" else 2)
        if rng.random() < 0.5:
            q.owner = rng.randrange(12)
        if p.status == "open":
            created = _ago(rng, 1, 12)
            q.path, q.activity = [(p.path[-1][0], created)], rng.randrange(created + 1000, -DAY // 24)
            q.created = created
        else:
            q.created = p.created - rng.randrange(0, 2 * DAY)
            q.path[0] = (p.path[0][0], q.created)
        if rng.random() < 0.3:
            q.close = p.close + timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 3))
        return q

    # ---- what a plan becomes in each CRM ------------------------------------------------------------------
    def events(self, p: _Plan) -> tuple[float | None, date, list[tuple[int, str, object]]]:
        """Initial amount, initial close date, and the later changes oldest first (kind "stage"/"close"/"amount")."""
        rng = self.rng
        end = p.path[-1][1] if p.status != "open" else -DAY // 24
        evs: list[tuple[int, str, object]] = [(t, "stage", c) for c, t in p.path[1:]]
        deltas = [rng.randint(7, 45) for _ in range(p.pushes)]
        close = p.close - timedelta(days=sum(deltas))
        for t, d in zip(
            sorted(rng.randrange(p.created + 1, max(p.created + 2, end)) for _ in deltas), deltas, strict=True
        ):
            close += timedelta(days=d)
            evs.append((t, "close", close))
        if p.prior_amount is not None:
            evs.append((rng.randrange(p.created + 1, max(p.created + 2, end)), "amount", p.amount))
        if len(evs) > len(p.path) - 1:
            evs.sort(key=lambda e: e[0])
        return (p.amount if p.prior_amount is None else p.prior_amount), p.close - timedelta(days=sum(deltas)), evs

    def modified(self, p: _Plan, last: int) -> int:
        stamp = min(-1000, max(last, p.created) + self.rng.randrange(0, DAY))
        if p.deleted:
            stamp = max(stamp, min(-1000, _ago(self.rng, 1, 60)))
        return max(stamp, last, p.created)

    def detail(self, rule: str, p: _Plan, stage: str, prev_stage: str) -> str:
        canon = CANON_LABEL.get(p.path[-1][0], "unmapped")
        days = {
            "no_activity": (self.as_of - self.day(p.activity or 0)).days,
            "in_stage": (self.as_of - self.day(p.path[-1][1])).days,
            "close": abs((self.as_of - p.close).days),
        }
        amount = f"{p.amount:,.2f} {p.currency}" if p.amount is not None else "none"
        return {
            "stale.no_activity": f"no activity for {days['no_activity']} days",
            "stale.stage_too_long": f"in stage {stage} ({canon}) for {days['in_stage']} days",
            "stale.close_date_past": f"open, but the close date {p.close} passed {days['close']} days ago",
            "stale.close_date_pushed": f"close date pushed {p.pushes} times, now {p.close}",
            "mis_valued.missing_amount": f"no amount at stage {stage} ({canon})",
            "mis_valued.zero_amount": f"amount is 0 at stage {stage}",
            "mis_valued.negative_amount": f"negative amount {amount}",
            "mis_valued.outlier": f"amount {amount} is 10-100x a typical deal (extra zeros?)",
            "consistency.won_future_close": f"won, but the close date {p.close} is {days['close']} days ahead",
            "consistency.stage_backwards": f"stage moved back from {prev_stage} to {stage}",
            "unmapped_stage": f"stage {stage} has no canonical mapping: add it to stage_map",
        }[rule]

    def sf_record(self, p: _Plan, org: SalesforceOrg, users: list[str], truth: GroundTruth) -> None:
        rng = self.rng
        names = [SF_CUSTOM_STAGES[-1 - c][0] if c < 0 else rng.choice(SF_BY_CANON[c]) for c, _ in p.path]
        amount, close, evs = self.events(p)
        stage, hist, oid, i = names[0], org.tables["OpportunityHistory"], p.rec_id, 1
        sf_next, at, deleted = self.sf_next, self.at, p.deleted
        for t, kind, value in [(p.created, "", None), *evs]:
            if kind == "stage":
                stage, i = names[i], i + 1
            elif kind == "close":
                close = value  # type: ignore[assignment]
            elif kind == "amount":
                amount = value  # type: ignore[assignment]
            hid, stamp = sf_next("008"), at(t)
            hist[hid] = {
                "Id": hid,
                "OpportunityId": oid,
                "StageName": stage,
                "Amount": amount,
                "CloseDate": close,
                "Probability": SF_STAGE_INFO[stage][1],
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": deleted,
            }
        _, prob, closed, won, forecast = SF_STAGE_INFO[stage]
        if p.prob_override is not None:
            prob = p.prob_override
            hist[hid]["Probability"] = prob
        if not closed and p.path[-1][0] >= 4 and rng.random() < 0.1:
            forecast = rng.choice(("Best Case", "Commit"))
        modified = self.at(self.modified(p, evs[-1][0] if evs else p.created))
        account = None
        if p.company is not None:
            account = p.company.sf_id or self.sf_account(p, org, users)
        org.tables["Opportunity"][oid] = {
            "Id": oid,
            "Name": p.name,
            "AccountId": account,
            "Amount": p.amount,
            "CurrencyIsoCode": p.currency,
            "StageName": stage,
            "Probability": prob,
            "CloseDate": p.close,
            "OwnerId": users[p.owner],
            "CreatedDate": self.at(p.created),
            "LastModifiedDate": modified,
            "SystemModstamp": modified,
            "LastActivityDate": None if p.activity is None else self.day(p.activity),
            "IsDeleted": p.deleted,
            "IsClosed": closed,
            "IsWon": won,
            "ForecastCategoryName": forecast,
            "Type": p.kind,
            "LeadSource": p.source,
            "Description": p.description,
            "DealSync_Health_Score__c": None,
        }
        for rule in p.rules:
            prev = names[-2] if len(names) > 1 else stage
            truth.flags.append(
                {
                    "system": "salesforce",
                    "id": oid,
                    "rule": rule,
                    "detail": self.detail(rule, p, f"'{stage}'", f"'{prev}'"),
                }
            )

    def sf_account(self, p: _Plan, org: SalesforceOrg, users: list[str]) -> str:
        assert p.company is not None  # noqa: S101 - callers check
        c, aid = p.company, self.sf_next("001")
        created = self.at(p.created - self.rng.randrange(DAY, 90 * DAY))
        org.table("Account")[aid] = {
            "Id": aid,
            "Name": c.name,
            "Type": self.rng.choice(("Customer - Direct", "Prospect", "Customer - Channel")),
            "Industry": c.industry,
            "BillingCountry": c.country,
            "Website": f"https://www.{c.domain}",
            "OwnerId": users[self.rng.randrange(len(users))],
            "CreatedDate": created,
            "LastModifiedDate": created,
            "SystemModstamp": created,
            "IsDeleted": False,
        }
        c.sf_id = aid
        return aid

    def hs_record(self, p: _Plan, portal: HubSpotPortal, owners: list[str], truth: GroundTruth) -> None:
        rng, iso = self.rng, self.iso
        ids = [HS_RENEWAL_STAGES[-1 - c][0] if c < 0 else rng.choice(HS_BY_CANON[c]) for c, _ in p.path]
        pipeline = RENEWALS_PIPELINE_ID if p.path[-1][0] < 0 else "default"
        amount, close, evs = self.events(p)
        clock = "T15:30:00.000Z" if rng.random() < 0.06 else "T00:00:00.000Z"  # mostly midnight UTC
        amount_text = self.hs_amount(p.amount, p.currency)
        created = iso(p.created)
        stages = [{"value": ids[0], "timestamp": created, "sourceType": "CRM_UI"}]
        closes = [{"value": f"{close}{clock}", "timestamp": created, "sourceType": "CRM_UI"}]
        amounts = []
        if amount is not None:
            first = amount_text if p.prior_amount is None else self.hs_amount(amount, p.currency)
            amounts.append({"value": first or "", "timestamp": created, "sourceType": "CRM_UI"})
        i = 1
        for t, kind, value in evs:
            if kind == "stage":
                stages.append({"value": ids[i], "timestamp": iso(t), "sourceType": "CRM_UI"})
                i += 1
            elif kind == "close":
                closes.append({"value": f"{value}{clock}", "timestamp": iso(t), "sourceType": "CRM_UI"})
            else:
                amounts.append({"value": amount_text or "", "timestamp": iso(t), "sourceType": "CRM_UI"})
        history = {"dealstage": stages[::-1], "closedate": closes[::-1]}
        if amounts:
            history["amount"] = amounts[::-1]
        stage = HS_STAGE_INFO[ids[-1]]
        # logging an activity recalculates notes_last_updated, which bumps hs_lastmodifieddate
        updated = self.modified(p, max(evs[-1][0] if evs else p.created, p.activity or p.created))
        updated_at = self.at(updated)
        did = p.rec_id
        props: dict[str, str | None] = {
            "dealname": p.name,
            "amount": amount_text,
            "closedate": f"{p.close}{clock}",
            "createdate": created,
            "hs_lastmodifieddate": iso(updated),
            "hs_object_id": did,
            "pipeline": pipeline,
            "dealstage": ids[-1],
            "hubspot_owner_id": owners[p.owner],
            "deal_currency_code": None if p.currency == "USD" and rng.random() < 0.4 else p.currency,
            "amount_in_home_currency": None if p.amount is None else _num(p.amount * HS_RATES.get(p.currency, 1.0)),
            "hs_deal_stage_probability": stage[2],
            "notes_last_updated": None if p.activity is None else iso(p.activity),
            "hs_is_closed": "true" if stage[3] else "false",
            "hs_is_closed_won": "true" if stage[3] and stage[2] == "1.0" else "false",
            "num_associated_contacts": rng.choice(("0", "1", "1", "2", "2", "3", "4")),
            "dealtype": None if p.kind is None else "newbusiness" if p.kind == "New Customer" else "existingbusiness",
            "description": p.description,
        }
        portal.deals[did] = HubSpotObject(
            did, props, self.at(p.created), updated_at, p.deleted, updated_at if p.deleted else None, history
        )
        if p.company is not None and rng.random() < 0.97:
            portal.deal_companies[did] = [p.company.hs_id or self.hs_company(p, portal)]
        for rule in p.rules:
            label = f"{ids[-1]} ('{stage[1]}') in pipeline {pipeline}"
            prev = ids[-2] if len(ids) > 1 else ids[-1]
            truth.flags.append(
                {
                    "system": "hubspot",
                    "id": did,
                    "rule": rule,
                    "detail": self.detail(rule, p, label, f"{prev} ('{HS_STAGE_INFO[prev][1]}')"),
                }
            )

    def hs_amount(self, value: float | None, cur: str) -> str | None:
        if value is None:
            return "" if self.rng.random() < 0.2 else None
        if cur == "JPY" or (value == int(value) and self.rng.random() < 0.5):
            return str(int(value))
        return f"{value:.2f}"

    def hs_company(self, p: _Plan, portal: HubSpotPortal) -> str:
        assert p.company is not None  # noqa: S101 - callers check
        c, cid = p.company, self.hs_next("company", 5_000_000_000)
        created = p.created - self.rng.randrange(DAY, 90 * DAY)
        updated = min(-1000, created + self.rng.randrange(0, 30 * DAY))
        portal.companies[cid] = HubSpotObject(
            cid,
            {
                "name": c.hs_name,
                "domain": c.domain,
                "hs_object_id": cid,
                "createdate": self.iso(created),
                "hs_lastmodifieddate": self.iso(updated),
            },
            self.at(created),
            self.at(updated),
        )
        c.hs_id = cid
        return cid


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


_OPEN_STALE: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.04, ("stale.no_activity",)),
    (0.07, ("stale.no_activity", "stale.stage_too_long")),
    (0.12, ("stale.stage_too_long",)),
    (0.18, ("stale.close_date_past",)),
    (0.22, ("stale.close_date_pushed",)),
    (0.25, ("consistency.stage_backwards",)),
)
_VALUE: tuple[tuple[float, str], ...] = (
    (0.03, "mis_valued.missing_amount"),
    (0.045, "mis_valued.zero_amount"),
    (0.055, "mis_valued.negative_amount"),
    (0.07, "mis_valued.outlier"),
)


def _status(rng: random.Random) -> str:
    r = rng.random()
    return "open" if r < 0.6 else "won" if r < 0.82 else "lost"


def _single(g: _Gen, crm: str) -> _Plan:
    """A deal that exists once, in one CRM, with its planted problems."""
    rng, status = g.rng, _status(g.rng)
    rules: list[str] = []
    if status == "open" and rng.random() < 0.05:
        return g.plan(status, ["unmapped_stage"], crm, custom=rng.randrange(2 if crm == "sf" else 3))
    if status == "open":
        u = rng.random()
        rules += next((list(r) for p, r in _OPEN_STALE if u < p), [])
    elif status == "won" and rng.random() < 0.08:
        rules.append("consistency.won_future_close")
    v = rng.random()
    value = next((r for p, r in _VALUE if v < p), None)
    if value is not None and not (
        value == "mis_valued.missing_amount" and (status != "open" or "consistency.stage_backwards" in rules)
    ):
        rules.append(value)
    return g.plan(status, rules, crm)


def _people(g: _Gen, org: SalesforceOrg, portal: HubSpotPortal) -> tuple[list[str], list[str]]:
    """Twelve sales reps, as Salesforce Users and HubSpot owners (the same people in both)."""
    rng, users, owners = g.rng, [], []
    pairs = [(f, la) for f in nm.FIRST_NAMES for la in nm.LAST_NAMES]
    for k, (first, last) in enumerate(rng.sample(pairs, 12)):
        email = f"{_ascii(first).lower()}.{_ascii(last).lower().replace(chr(39), '')}@dealsync-demo.example"
        uid, made_ms = g.sf_next("005"), -rng.randrange(730 * DAY, 1500 * DAY)
        made = g.at(made_ms)
        org.table("User")[uid] = {
            "Id": uid,
            "Name": f"{first} {last}",
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "Username": email,
            "IsActive": k < 11,
            "CreatedDate": made,
            "LastModifiedDate": made,
            "SystemModstamp": made,
        }
        oid = str(rng.randrange(30_000_000, 99_999_999))
        portal.owners[oid] = {
            "id": oid,
            "email": email,
            "firstName": first,
            "lastName": last,
            "userId": rng.randrange(1_000_000, 9_999_999),
            "createdAt": g.iso(made_ms),
            "updatedAt": g.iso(-rng.randrange(DAY, 300 * DAY)),
            "archived": False,
        }
        users.append(uid)
        owners.append(oid)
    return users, owners


def generate(settings: SeedSettings) -> EmulatorState:
    """Seed one Salesforce org and one HubSpot portal with ``settings.deals`` deal records each.

    The cyclic garbage collector is paused meanwhile: the seed builds millions of small acyclic objects, and
    collections triggered by them would only rescan the growing heap (about a fifth of the time at 100k deals).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(settings)
    finally:
        if was_enabled:
            gc.enable()


def _generate(settings: SeedSettings) -> EmulatorState:
    g = _Gen(settings)
    rng, n = g.rng, g.n
    org, portal = SalesforceOrg(), HubSpotPortal(exchange_rates=dict(HS_RATES))
    truth = GroundTruth(seed=settings.seed, as_of=g.as_of)
    stages, currencies = build_catalog(g.sf_next)
    org.tables["OpportunityStage"], org.tables["CurrencyType"] = stages, currencies
    portal.pipelines, portal.deal_properties = hs_pipelines(rng), hs_deal_properties()
    users, owners = _people(g, org, portal)
    for table in ("Opportunity", "Account", "OpportunityHistory"):
        org.table(table)
    shared, dups, deleted = n * 27 // 100, n * 4 // 100, n * 3 // 100
    plans: dict[str, list[_Plan]] = {"sf": [], "hs": []}
    pairs: list[tuple[_Plan, _Plan, str]] = []
    clusters = 0
    for _ in range(shared):
        r = rng.random()
        rule = "mis_valued.linked_amount_mismatch" if r < 0.07 else "consistency.currency_mismatch" if r < 0.12 else ""
        a = g.plan(_status(rng), [], "both", narrow=bool(rule))
        a.cluster, clusters = clusters, clusters + 1
        b = g.drift(a, rule or None)
        a, b = (a, b) if rng.random() < 0.6 else (b, a)
        plans["sf"].append(a)
        plans["hs"].append(b)
        if rule and a.amount is not None:
            pairs.append((a, b, rule))
    paired = {id(p) for pair in pairs for p in pair[:2]}
    for crm, items in plans.items():
        items.extend(_single(g, crm) for _ in range(n - shared - dups - deleted))
        bases = [p for p in items if not p.rules and id(p) not in paired and p.path[-1][0] > 0]
        doubled: list[_Plan] = []
        for _ in range(dups):
            if doubled and rng.random() < 0.15:  # a third record: at most one per deal and CRM
                k = rng.randrange(len(doubled))
                base, doubled[k] = doubled[k], doubled[-1]
                doubled.pop()
            elif bases:
                k = rng.randrange(len(bases))
                base, bases[k] = bases[k], bases[-1]
                bases.pop()
                doubled.append(base)
            else:
                items.append(_single(g, crm))
                continue
            if base.cluster < 0:
                base.cluster, clusters = clusters, clusters + 1
            items.append(g.dup(base))
        for _ in range(deleted):
            gone = g.plan(_status(rng), [], crm)
            gone.deleted = True
            items.append(gone)
        items.sort(key=lambda p: p.created)
        for p in items:
            p.rec_id = g.sf_next("006") if crm == "sf" else g.hs_next("deal", 14_000_000_000)
    members: dict[int, list[Ref]] = {}
    for p in plans["sf"]:
        g.sf_record(p, org, users, truth)
        if p.cluster >= 0:
            members.setdefault(p.cluster, []).append({"system": "salesforce", "id": p.rec_id})
    for p in plans["hs"]:
        g.hs_record(p, portal, owners, truth)
        if p.cluster >= 0:
            members.setdefault(p.cluster, []).append({"system": "hubspot", "id": p.rec_id})
    truth.duplicate_clusters = [m for _, m in sorted(members.items()) if len(m) > 1]
    for a, b, rule in pairs:
        for x, y, sx, sy in ((a, b, "salesforce", "hubspot"), (b, a, "hubspot", "salesforce")):
            usd = (x.amount or 0.0) / SF_RATES[x.currency]
            detail = (
                f"amount {x.amount:,.2f} {x.currency} here, {y.amount:,.2f} {y.currency} on linked {sy} deal "
                f"{y.rec_id}" + ("" if rule.startswith("mis_valued") else f"; same value (~{usd:,.0f} USD)")
            )
            truth.flags.append({"system": sx, "id": x.rec_id, "rule": rule, "detail": detail})
    used = [int(i) for i in (*portal.deals, *portal.companies)]
    portal.next_id = max([portal.next_id, *used]) + 1000
    return EmulatorState(salesforce=org, hubspot=portal, truth=truth)
