"""Why records are not printed yet, in words: `record status` and `campaign status`.

Bahasa Indonesia first, then English (gettext catalogue, src/cetak/i18n); English alone when
the chosen language is English. The reasons and their numbers come from blockers.py, over
the admin API (RecordReason, QueueReasons, CategoryBudget): this module only words them, and
says what to do about each one that an admin can fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cetak.i18n import N_, choose_language, gettext_for

RECORD = {
    "printed": N_("printed {when} at {place}: ready for pickup at {place}"),
    "leased": N_("being printed at {place}"),
    "printable": N_("queued for printing at {place}"),
    "budget_spent": N_("blocked: {kategori} budget spent ({used} of {budget} used) — raise it "
                       "with: cetak campaign set {campaign} --budget-{flag} N"),
    "budget_short": N_("may not print: the {kategori} budget has {left} left ({used} of "
                       "{budget} used), fewer than the records queued in it — raise it with: "
                       "cetak campaign set {campaign} --budget-{flag} N"),
    "no_blanks": N_("waiting for blanks at {place}: the site has no blank cards free — "
                    "record a delivery with: cetak inventory receive {site} ..."),
    "blanks_short": N_("waiting for blanks at {place}: {available} blank cards free there, "
                       "fewer than the records queued — record a delivery with: cetak "
                       "inventory receive {site} ..."),
    "held_duplicate": N_("held: possible duplicate person (same name and birth date under "
                         "another NIK) at {place} — decide with: cetak record adjudicate "
                         "{record} --release|--reject --reason ..."),
    "held_unknown": N_("held: a print attempt's outcome at {place} is unknown until an "
                       "operator reconciles it — see: cetak record held"),
    "held": N_("held at {place}: {hold_reason}"),
    "rejected_duplicate": N_("rejected: duplicate person"),
    "rejected": N_("rejected: {hold_reason}"),
    "cancelled": N_("cancelled"),
    "cancelled_campaign": N_("cancelled: the campaign was cancelled by an admin; no card will "
                             "be printed for it"),
}

# Counts in `campaign status`, in the order blockers.REASONS gives them.
COUNT_LABELS = {
    "leased": N_("being printed (leased)"),
    "held_duplicate": N_("held: possible duplicate person"),
    "held_unknown": N_("held: print outcome unknown"),
    "held": N_("held: other reason"),
    "budget_spent": N_("blocked: category budget spent"),
    "budget_short": N_("blocked: beyond the category budget left"),
    "no_blanks": N_("waiting for blanks: none at the site"),
    "blanks_short": N_("waiting for blanks: too few at the site"),
    "printable": N_("can print now"),
}
NOT_PRINTED = N_("Not printed yet, by reason:")
BUDGET_LINE = N_("{kategori} budget: {used} of {budget} used, {left} left, {queued} queued")
CANNOT_PRINT = N_("Not on track: {count} records cannot be printed as things stand "
                  "(they are not in the forecast)")
RAISE_BUDGET = N_("raise the {kategori} budget: cetak campaign set {campaign} "
                  "--budget-{flag} N")
SEND_BLANKS = N_("record blanks delivered to {place}: cetak inventory receive {site} ...")


def translator(lang: str | None = None) -> tuple[str, Callable[[str], str]]:
    chosen = choose_language(lang)
    return chosen, gettext_for(chosen)


def both(message: str, lang: str | None = None, **values: object) -> list[str]:
    """The message in the chosen language, then in English when that differs."""
    chosen, _ = translator(lang)
    lines = [_(message).format(**values)]
    english = message.format(**values)
    if chosen != "en" and english != lines[0]:
        lines.append(english)
    return lines


def record_text(d: dict, lang: str | None = None) -> list[str]:
    """The lines that tell a clerk where a record is (d: record_cli.describe's dict)."""
    reason, detail = d["reason"], d.get("reason_detail", {})
    budget, used = detail.get("budget", 0), detail.get("budget_used", 0)
    values = dict(place=d["place"], site=d["site_code"], when=d.get("printed_at", ""),
                  kategori=d.get("kategori", ""), flag=d.get("kategori", "").lower(),
                  campaign=d["campaign_id"], record=d["record_id"], budget=budget,
                  used=used, left=max(0, budget - used),
                  available=detail.get("blanks_available", 0),
                  hold_reason=d.get("hold_reason", "") or "-")
    key = reason
    if reason == "rejected" and d.get("hold_reason") == "rejected_duplicate_person":
        key = "rejected_duplicate"
    elif reason == "cancelled" and d.get("hold_reason") == "campaign_cancelled":
        key = "cancelled_campaign"
    return both(RECORD.get(key, RECORD["held"] if reason.startswith("held") else "{hold_reason}"),
                lang, **values)


def _flag(kategori: str) -> str:
    return kategori.lower()


def campaign_reason_lines(status, place: Callable[[str], str] = str,
                          lang: str | None = None) -> Iterable[str]:
    """Lines for `campaign status` (status: a CampaignStatus message): the counts per
    reason overall and per site, the budgets, and what keeps records from printing."""
    reasons = _counts(status.reasons)
    if not any(reasons.values()):
        return
    yield " / ".join(both(NOT_PRINTED, lang))
    for name, n in reasons.items():
        if not n:
            continue
        per_site = [f"{place(s.site_code)} {c}" for s in status.sites
                    if (c := _counts(s.reasons).get(name, 0))]
        yield f"  {' / '.join(both(COUNT_LABELS[name], lang))}: {n}" + (
            f" ({', '.join(per_site)})" if per_site else "")
    for b in status.budgets:
        if b.budget > 0:
            yield "  " + " / ".join(both(BUDGET_LINE, lang, kategori=b.kategori, used=b.used,
                                         budget=b.budget, left=b.left, queued=b.queued))
    if status.cannot_print:
        yield " / ".join(both(CANNOT_PRINT, lang, count=status.cannot_print))
        for b in status.budgets:
            if b.budget > 0 and b.queued > b.left:
                yield "  - " + " / ".join(both(RAISE_BUDGET, lang, kategori=b.kategori,
                                               campaign=status.campaign_id,
                                               flag=_flag(b.kategori)))
        for s in status.sites:
            c = _counts(s.reasons)
            if c.get("no_blanks") or c.get("blanks_short"):
                yield "  - " + " / ".join(both(SEND_BLANKS, lang, place=place(s.site_code),
                                               site=s.site_code))


def _counts(msg) -> dict[str, int]:
    from .blockers import REASONS

    return {name: int(getattr(msg, name)) for name in REASONS}
