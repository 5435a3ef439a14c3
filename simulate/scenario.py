"""The scenario file of `cetak simulate` (TOML, docs/simulate.md): read, checked, made typed.

Every refusal names the key (as a dotted path, `site[3].printers`) and says what is expected;
nothing is assumed about a key that is not known (a misspelt key is an error, not a default).
Sites are checked by the site registry's own rules (controller/sites.py), printer models by the
model table (printers/models.py), so a scenario describes only sites and printers that could
exist in a real campaign.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from cetak.controller.calendar import DAY_MINUTES, ZONES, SiteCalendar, WorkingHours
from cetak.controller.sites import Site, SiteInvalid, complete
from cetak.printers.errors import UnknownModel
from cetak.printers.models import ALL_MODELS, PrinterModel, get_model
from cetak.prr.regions import depok_kelurahan, load_regions

from .errors import ScenarioError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ITEMS = ("blank", "ribbon", "film")
CENTRE = "centre"
MAX_RECORDS = 2_000_000
MAX_SITES = 2_000
DEPOK_OFFICE = "32.76"


@dataclass(frozen=True)
class ModelSpec:
    """How one printer model behaves in the simulation (defaults from the model table)."""

    name: str
    cards_per_hour: float
    duty_cards_per_day: tuple[int, int]      # overheat stop: cards a day, drawn in [lo, hi]
    mtbf_cards: float                        # mean cards between jams/failures (0: never)
    repair_minutes: tuple[float, float]      # a jam cleared on site, drawn in [lo, hi]
    send_away_chance: float                  # a failure that needs the printer sent away
    send_away_days: tuple[float, float]
    spoil_rate: float                        # cards spoiled (print or chip defect)
    ribbon_yield: int                        # cards per ribbon roll
    film_yield: int                          # cards per film roll; 0: direct-to-card
    ribbon_change_minutes: float


@dataclass(frozen=True)
class SiteSpec:
    site: Site                               # checked by controller/sites.complete
    printers: tuple[str, ...]                # model names
    records_baru: int = 0
    records_penggantian: int = 0
    weight: float = 1.0

    @property
    def code(self) -> str:
        return self.site.site_code

    @property
    def calendar(self) -> SiteCalendar:
        s = self.site
        return SiteCalendar(hours=s.hours, overtime_cap_minutes=s.overtime_cap_minutes,
                            timezone=s.timezone,
                            holidays=frozenset(date.fromisoformat(d) for d in s.holidays))


@dataclass(frozen=True)
class Delivery:
    at_ms: int
    site: str                                # a site code, or "*": shared by records
    item: str
    count: int


@dataclass(frozen=True)
class Outage:
    target: str                              # "centre" or a site code
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class RecordMove:
    """Queued records moved from one site to another before the drive starts."""

    from_site: str
    count: int
    to_site: str


@dataclass(frozen=True)
class Policy:
    window_hours: float = 4.0
    lease_hours: float = 6.0
    report_minutes: float = 5.0              # how often a connected agent reports and asks
    plan_every_hours: float = 0.0            # run the planner and apply its transfers
    apply_record_moves: bool = False         # also apply the planner's record moves


@dataclass(frozen=True)
class Scenario:
    name: str
    campaign_id: str
    seed: int
    start_ms: int
    deadline_ms: int
    budget_baru: int
    budget_penggantian: int
    sites: tuple[SiteSpec, ...]
    models: dict[str, ModelSpec]
    deliveries: tuple[Delivery, ...]
    outages: tuple[Outage, ...]
    policy: Policy
    source: str = ""
    moves: tuple[RecordMove, ...] = ()

    @property
    def records(self) -> int:
        return sum(s.records_baru + s.records_penggantian for s in self.sites)

    @property
    def printers(self) -> int:
        return sum(len(s.printers) for s in self.sites)

    def site(self, code: str) -> SiteSpec:
        return next(s for s in self.sites if s.code == code)


# -- reading ------------------------------------------------------------------------------------

class _Table:
    """One TOML table with the path it sits at, for errors that name the key."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(path or "(file)", "a table")
        self.data = data
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def only(self, *names: str) -> None:
        for k in self.data:
            if k not in names:
                raise ScenarioError(self.key(k), "one of the known keys: "
                                    + ", ".join(names))

    def has(self, name: str) -> bool:
        return name in self.data

    def table(self, name: str) -> _Table:
        return _Table(self.data.get(name, {}), self.key(name))

    def tables(self, name: str) -> list[_Table]:
        value = self.data.get(name, [])
        if not isinstance(value, list):
            raise ScenarioError(self.key(name), f"an array of tables ([[{name}]])")
        return [_Table(v, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def string(self, name: str, default: str | None = None) -> str:
        value = self.data.get(name, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise ScenarioError(self.key(name), "a text value in quotes")
        return value.strip()

    def integer(self, name: str, default: int | None = None, minimum: int = 0,
                maximum: int | None = None) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(self.key(name), f"a whole number of at least {minimum}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f" and at most {maximum}" if maximum is not None else ""
            raise ScenarioError(self.key(name), f"a whole number of at least {minimum}{bound},"
                                f" not {value}")
        return value

    def number(self, name: str, default: float | None = None, minimum: float = 0.0,
               maximum: float | None = None) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(self.key(name), f"a number of at least {minimum:g}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f" and at most {maximum:g}" if maximum is not None else ""
            raise ScenarioError(self.key(name), f"a number of at least {minimum:g}{bound}, "
                                f"not {value:g}")
        return float(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            raise ScenarioError(self.key(name), "true or false")
        return value

    def span(self, name: str, default: tuple[float, float], integral: bool = False
             ) -> tuple[float, float]:
        """A number, or [low, high]."""
        value = self.data.get(name, list(default))
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = [value, value]
        ok = (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
                      for v in value) and value[0] <= value[1])
        if ok and integral:
            ok = all(isinstance(v, int) for v in value)
        if not ok:
            kind = "whole numbers" if integral else "numbers"
            raise ScenarioError(self.key(name), f"a number or [low, high] ({kind} >= 0, "
                                "low <= high)")
        return float(value[0]), float(value[1])

    def instant(self, name: str, required: bool = True) -> int | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ScenarioError(self.key(name), "a date-time with its UTC offset, unquoted, "
                                "e.g. 2019-02-11T07:00:00+07:00")
        return int(value.astimezone(UTC).timestamp() * 1000)

    def strings(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self.data.get(name, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(self.key(name), "a list of texts, e.g. [\"a\", \"b\"]")
        return [v.strip() for v in value]


def _minute(text: str, key: str) -> int:
    try:
        hh, mm = text.split(":")
        minute = int(hh) * 60 + int(mm)
    except ValueError:
        raise ScenarioError(key, f"a time HH:MM, not {text!r}") from None
    if not 0 <= minute <= DAY_MINUTES or not 0 <= int(mm) < 60:
        raise ScenarioError(key, f"a time between 00:00 and 24:00, not {text!r}")
    return minute


def _hours(t: _Table) -> tuple[WorkingHours, ...]:
    """hours = { mon = "08:00-16:00", sat = ["08:00-12:00", "13:00-15:00"] }"""
    hours = t.table("hours")
    hours.only(*WEEKDAYS)
    out = []
    for day, value in hours.data.items():
        spans = [value] if isinstance(value, str) else value
        key = hours.key(day)
        if not isinstance(spans, list) or not all(isinstance(s, str) for s in spans):
            raise ScenarioError(key, "a span \"HH:MM-HH:MM\" or a list of them")
        for text in spans:
            a, sep, b = text.partition("-")
            if not sep:
                raise ScenarioError(key, f"a span HH:MM-HH:MM, not {text!r}")
            out.append(WorkingHours(WEEKDAYS.index(day), _minute(a.strip(), key),
                                    _minute(b.strip(), key)))
    return tuple(sorted(out))


def _calendar(t: _Table, base: dict | None = None) -> dict:
    """The calendar keys of a table (over `base`): hours, overtime, holidays, time zone."""
    out = dict(base or {"hours": (), "overtime_cap_minutes": 0, "timezone": "",
                        "holidays": ()})
    if t.has("hours"):
        out["hours"] = _hours(t)
    if t.has("overtime_hours"):
        out["overtime_cap_minutes"] = int(round(t.number("overtime_hours", maximum=12) * 60))
    if t.has("holidays"):
        out["holidays"] = tuple(t.strings("holidays"))
    if t.has("timezone"):
        tz = t.string("timezone")
        out["timezone"] = ZONES.get(tz.upper(), tz)
    return out


def _model_spec(name: str, t: _Table, base: PrinterModel) -> ModelSpec:
    t.only("cards_per_hour", "duty_cards_per_day", "mtbf_cards", "repair_minutes",
           "send_away_chance", "send_away_days", "spoil_rate", "ribbon_yield", "film_yield",
           "ribbon_change_minutes")
    duty = t.span("duty_cards_per_day", (100, 200), integral=True)
    # An e-KTP is printed on both sides and the table counts one-side panel sets, so a card
    # takes two: a 1000-set roll yields ~500 cards, as offices report.
    ribbon = t.integer("ribbon_yield", default=max(1, base.ribbon_panels // 2), minimum=1)
    film = t.integer("film_yield", default=base.film_frames, minimum=0)
    return ModelSpec(
        name=base.name,
        cards_per_hour=t.number("cards_per_hour", default=base.cards_per_hour, minimum=0.1,
                                maximum=10_000),
        duty_cards_per_day=(int(duty[0]), int(duty[1])),
        mtbf_cards=t.number("mtbf_cards", default=2000.0),
        repair_minutes=t.span("repair_minutes", (10.0, 45.0)),
        send_away_chance=t.number("send_away_chance", default=0.05, maximum=1.0),
        send_away_days=t.span("send_away_days", (1.0, 3.0)),
        spoil_rate=t.number("spoil_rate", default=0.01, maximum=0.5),
        ribbon_yield=ribbon, film_yield=film,
        ribbon_change_minutes=t.number("ribbon_change_minutes", default=5.0, maximum=600))


def _printers(t: _Table, name: str, default: tuple[str, ...] | None) -> tuple[str, ...]:
    if not t.has(name) and default is not None:
        return default
    names = t.strings(name)
    out = []
    for i, n in enumerate(names):
        try:
            out.append(get_model(n).name)
        except UnknownModel:
            raise ScenarioError(f"{t.key(name)}[{i}]", "a printer model of the table: "
                                + ", ".join(m.name for m in ALL_MODELS)) from None
    return tuple(out)


def _site(code: str, cal: dict, key: str, printers: int) -> Site:
    try:
        return complete(Site(site_code=code, printers_expected=printers, **cal))
    except SiteInvalid as exc:
        raise ScenarioError(f"{key}.{exc.field}", exc.text().split(": ", 1)[1]) from None


def load(path: str | Path) -> Scenario:
    """The scenario in a file; ScenarioError says what is wrong (exit 2 in the CLI)."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError("(file)", f"a readable TOML file ({exc.strerror}: {p})") from None
    except UnicodeDecodeError:
        raise ScenarioError("(file)", "a UTF-8 text file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("(file)", f"valid TOML ({exc})") from None
    return parse(data, source=str(p))


def parse(data: dict, source: str = "") -> Scenario:
    root = _Table(data, "")
    root.only("campaign", "records", "calendar", "sites", "site", "models", "delivery",
              "outage", "policy")
    c = root.table("campaign")
    c.only("id", "name", "seed", "start", "deadline", "budget_baru", "budget_penggantian")
    start_ms = c.instant("start")
    deadline_ms = c.instant("deadline")
    assert start_ms is not None and deadline_ms is not None
    if deadline_ms <= start_ms:
        raise ScenarioError("campaign.deadline", "a moment after campaign.start")
    if deadline_ms - start_ms > 60 * 24 * 3_600_000:
        raise ScenarioError("campaign.deadline", "at most 60 days after campaign.start")

    cal_t = root.table("calendar")
    cal_t.only("hours", "overtime_hours", "holidays", "timezone")
    base_cal = _calendar(cal_t)

    # models: the table's, with the scenario's behaviour
    models_t = root.table("models")
    models: dict[str, ModelSpec] = {}
    for name in models_t.data:
        try:
            base = get_model(name)
        except UnknownModel:
            raise ScenarioError(models_t.key(name), "a printer model of the table: "
                                + ", ".join(m.name for m in ALL_MODELS)) from None
        models[base.name] = _model_spec(name, models_t.table(name), base)

    # sites: a region's kelurahan and its office, then per-site overrides
    st = root.table("sites")
    st.only("kelurahan", "office", "printers", "office_printers")
    default_printers = _printers(st, "printers", ("Evolis Primacy",))
    codes: list[str] = []
    if st.has("kelurahan"):
        value = st.data["kelurahan"]
        if value == "depok":
            codes = [k.code for k in depok_kelurahan()]
        elif isinstance(value, list):
            codes = st.strings("kelurahan")
        else:
            raise ScenarioError(st.key("kelurahan"), "\"depok\" (its 63 kelurahan) or a list "
                                "of kelurahan codes PP.RR.SS.NNNN")
    office = st.string("office", default="")
    office_printers = _printers(st, "office_printers", default_printers)
    specs: dict[str, dict] = {}
    for code in codes:
        specs[code] = {"code": code, "printers": default_printers, "cal": base_cal,
                       "key": "sites.kelurahan"}
    if office:
        specs[office] = {"code": office, "printers": office_printers, "cal": base_cal,
                         "key": "sites.office"}
    for t in root.tables("site"):
        t.only("code", "printers", "records_baru", "records_penggantian", "weight", "hours",
               "overtime_hours", "holidays", "timezone")
        code = t.string("code")
        spec = specs.setdefault(code, {"code": code, "printers": default_printers,
                                       "cal": base_cal})
        spec["key"] = t.path
        spec["printers"] = _printers(t, "printers", spec["printers"])
        spec["cal"] = _calendar(t, spec["cal"])
        for k in ("records_baru", "records_penggantian"):
            if t.has(k):
                spec[k] = t.integer(k, maximum=MAX_RECORDS)
        if t.has("weight"):
            spec["weight"] = t.number("weight", maximum=1000)
    if not specs:
        raise ScenarioError("sites", "at least one site: sites.kelurahan, sites.office or "
                            "[[site]] tables")
    if len(specs) > MAX_SITES:
        raise ScenarioError("sites", f"at most {MAX_SITES} sites")
    regions = load_regions()
    del regions  # loaded once here, shared by every complete() below (functools cache)
    sites = []
    for code in sorted(specs):
        s = specs[code]
        site = _site(code, s["cal"], s["key"], len(s["printers"]))
        for m in s["printers"]:
            models.setdefault(m, _model_spec(m, _Table({}, f"models.{m}"), get_model(m)))
        sites.append(dict(site=site, printers=s["printers"],
                          records_baru=s.get("records_baru"),
                          records_penggantian=s.get("records_penggantian"),
                          weight=s.get("weight", 1.0), office=code == office))

    # records: totals spread over the sites that do not give their own
    r = root.table("records")
    r.only("baru", "penggantian", "office_share", "spread")
    totals = {"records_baru": r.integer("baru", default=0, maximum=MAX_RECORDS),
              "records_penggantian": r.integer("penggantian", default=0, maximum=MAX_RECORDS)}
    office_share = r.number("office_share", default=0.0, maximum=1.0)
    spread = r.string("spread", default="even")
    if spread not in ("even", "varied"):
        raise ScenarioError(r.key("spread"), "\"even\" or \"varied\" (weights drawn from the "
                            "seed, 0.5 to 1.5)")
    seed = c.integer("seed", default=1)
    _spread(sites, totals, office_share, spread, seed)
    total = sum(s["records_baru"] + s["records_penggantian"] for s in sites)
    if total == 0:
        raise ScenarioError("records", "some records: records.baru / records.penggantian, or "
                            "records_baru / records_penggantian in a [[site]]")
    if total > MAX_RECORDS:
        raise ScenarioError("records", f"at most {MAX_RECORDS} records in all")
    if sum(len(s["printers"]) for s in sites) == 0:
        raise ScenarioError("sites.printers", "at least one printer at some site")

    codes_set = {s["site"].site_code for s in sites}
    deliveries = []
    for t in root.tables("delivery"):
        t.only("at", "site", "item", "count")
        at = t.instant("at")
        site = t.string("site", default="*")
        if site != "*" and site not in codes_set:
            raise ScenarioError(t.key("site"), "a site of the scenario, or \"*\" (shared by "
                                "the sites in proportion to their records)")
        item = t.string("item", default="blank")
        if item not in ITEMS:
            raise ScenarioError(t.key("item"), "blank, ribbon or film")
        assert at is not None
        deliveries.append(Delivery(at, site, item, t.integer("count", minimum=1,
                                                             maximum=10_000_000)))
    outages = []
    for t in root.tables("outage"):
        t.only("target", "start", "end")
        target = t.string("target", default=CENTRE)
        if target != CENTRE and target not in codes_set:
            raise ScenarioError(t.key("target"), "\"centre\" or a site of the scenario")
        a, b = t.instant("start"), t.instant("end")
        assert a is not None and b is not None
        if b <= a:
            raise ScenarioError(t.key("end"), "a moment after start")
        outages.append(Outage(target, a, b))
    pt = root.table("policy")
    pt.only("window_hours", "lease_hours", "report_minutes", "plan_every_hours",
            "apply_record_moves")
    policy = Policy(window_hours=pt.number("window_hours", default=4.0, minimum=0.01,
                                           maximum=72),
                    lease_hours=pt.number("lease_hours", default=6.0, minimum=0.1,
                                          maximum=240),
                    report_minutes=pt.number("report_minutes", default=5.0, minimum=0.5,
                                             maximum=120),
                    plan_every_hours=pt.number("plan_every_hours", default=0.0, maximum=72),
                    apply_record_moves=pt.boolean("apply_record_moves", False))
    if policy.lease_hours <= policy.window_hours:
        raise ScenarioError("policy.lease_hours", "more than policy.window_hours (a lease "
                            "must outlive the window it is held through)")
    return Scenario(
        name=c.string("name", default=source or "scenario"),
        campaign_id=c.string("id", default="simulated"), seed=seed,
        start_ms=start_ms, deadline_ms=deadline_ms,
        budget_baru=c.integer("budget_baru", default=0, maximum=MAX_RECORDS * 2),
        budget_penggantian=c.integer("budget_penggantian", default=0,
                                     maximum=MAX_RECORDS * 2),
        sites=tuple(SiteSpec(site=s["site"], printers=s["printers"],
                             records_baru=s["records_baru"],
                             records_penggantian=s["records_penggantian"],
                             weight=s["weight"]) for s in sites),
        models=models, deliveries=tuple(sorted(deliveries, key=lambda d: d.at_ms)),
        outages=tuple(sorted(outages, key=lambda o: (o.start_ms, o.target))),
        policy=policy, source=source)


def _spread(sites: list[dict], totals: dict[str, int], office_share: float, spread: str,
            seed: int) -> None:
    """Fill each site's records not given in the file from the totals: the office takes
    `office_share`, the rest goes by weight (largest remainders, so the sums are exact)."""
    import random

    rng = random.Random(f"{seed}:spread")
    weights = {}
    for s in sites:
        w = s["weight"] * (rng.uniform(0.5, 1.5) if spread == "varied" else 1.0)
        weights[s["site"].site_code] = w
    for key, total in totals.items():
        open_sites = [s for s in sites if s[key] is None]
        left = total - sum(s[key] for s in sites if s[key] is not None)
        if left < 0:
            raise ScenarioError(f"records.{key.removeprefix('records_')}",
                                "at least the records the [[site]] tables give "
                                f"({total - left})")
        shares: dict[str, float] = {}
        offices = [s for s in open_sites if s["office"]]
        others = [s for s in open_sites if not s["office"]]
        office_n = left * office_share if offices and others else 0.0
        for s in offices:
            shares[s["site"].site_code] = office_n / len(offices)
        pool = [s for s in (others or offices)]
        wsum = sum(weights[s["site"].site_code] for s in pool) or 1.0
        for s in pool:
            code = s["site"].site_code
            shares[code] = shares.get(code, 0.0) + (left - office_n) * weights[code] / wsum
        floors = {k: int(v) for k, v in shares.items()}
        order = sorted(shares, key=lambda k: (floors[k] - shares[k], k))
        for k in order[:left - sum(floors.values())]:
            floors[k] += 1
        for s in open_sites:
            s[key] = floors.get(s["site"].site_code, 0)


# -- what-if overrides (the command line) ----------------------------------------------------

def _when(text: str, key: str, timezone: str, day: datetime | None = None) -> datetime:
    """An ISO date-time (in the campaign's zone unless it says its offset), or for an end
    only a time HH:MM on the start's day."""
    from zoneinfo import ZoneInfo

    try:
        if day is not None and len(text) <= 5 and ":" in text:
            hh, mm = text.split(":")
            return day.replace(hour=int(hh), minute=int(mm))
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ScenarioError(key, f"a date-time like 2019-02-11T07:00 (or, for an end, "
                            f"13:00), not {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(timezone))


def _ms(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp() * 1000)


def with_outage(sc: Scenario, text: str) -> Scenario:
    """--outage 'centre 2019-02-11T07:00/13:00' (or a site code instead of centre)."""
    from dataclasses import replace

    parts = text.split()
    if len(parts) != 2 or "/" not in parts[1]:
        raise ScenarioError("--outage", "TARGET START/END, e.g. 'centre 2019-02-11T07:00/13:00'")
    target, span = parts
    if target != CENTRE and target not in {s.code for s in sc.sites}:
        raise ScenarioError("--outage", f"\"centre\" or a site of the scenario, not {target!r}")
    tz = sc.sites[0].calendar.timezone
    a_text, b_text = span.split("/", 1)
    a = _when(a_text, "--outage", tz)
    b = _when(b_text, "--outage", tz, day=a)
    if b <= a:
        raise ScenarioError("--outage", "an end after the start")
    outages = tuple(sorted(sc.outages + (Outage(target, _ms(a), _ms(b)),),
                           key=lambda o: (o.start_ms, o.target)))
    return replace(sc, outages=outages)


def with_delivery(sc: Scenario, text: str) -> Scenario:
    """--delivery 'blank 27750 * 2019-02-12T08:00' (item, count, site or *, when)."""
    from dataclasses import replace

    parts = text.split()
    if len(parts) != 4 or parts[0] not in ITEMS or not parts[1].isdigit() or int(parts[1]) < 1:
        raise ScenarioError("--delivery", "ITEM COUNT SITE WHEN, e.g. 'blank 27750 * "
                            "2019-02-12T08:00' (item blank, ribbon or film; site a code or *)")
    item, count, site, when = parts
    if site != "*" and site not in {s.code for s in sc.sites}:
        raise ScenarioError("--delivery", f"a site of the scenario or *, not {site!r}")
    at = _ms(_when(when, "--delivery", sc.sites[0].calendar.timezone))
    deliveries = tuple(sorted(sc.deliveries + (Delivery(at, site, item, int(count)),),
                              key=lambda d: d.at_ms))
    return replace(sc, deliveries=deliveries)


def without_deliveries(sc: Scenario, item: str) -> Scenario:
    from dataclasses import replace

    return replace(sc, deliveries=tuple(d for d in sc.deliveries if d.item != item))


def with_move(sc: Scenario, text: str) -> Scenario:
    """--move SITE:N:TO: N queued records of SITE print at TO instead (from the start)."""
    from dataclasses import replace

    parts = text.split(":")
    codes = {s.code for s in sc.sites}
    if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) < 1:
        raise ScenarioError("--move", "SITE:N:TO, e.g. 32.76.01.1006:200:32.76")
    src, n, dst = parts
    for code in (src, dst):
        if code not in codes:
            raise ScenarioError("--move", f"sites of the scenario, not {code!r}")
    if src == dst:
        raise ScenarioError("--move", "two different sites")
    return replace(sc, moves=sc.moves + (RecordMove(src, int(n), dst),))
