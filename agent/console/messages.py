"""Every text the console shows, marked for the catalogue (src/cetak/i18n); translated per request.

Alerts say what to do, in the order the operator does it, and end with the button to press.
"""

from __future__ import annotations

from cetak.i18n import N_
from cetak.printers.status import Condition

# What the operator does about each printer condition. The printer's own words are shown
# beside it, for the technician.
ALERTS: dict[Condition, str] = {
    Condition.CARD_JAM: N_("Card jam: open the cover, take the card out, press Continue"),
    Condition.RIBBON_OUT: N_("Ribbon out: change the ribbon, then press Continue"),
    Condition.FILM_OUT: N_("Film out: change the retransfer film, then press Continue"),
    Condition.FEEDER_EMPTY: N_("No blank cards: load blanks, record them below, then press "
                               "Continue"),
    Condition.COVER_OPEN: N_("Cover open: close the printer cover, then press Continue"),
    Condition.CHIP_WRITE_FAILED: N_("Chip not written: take the card out, put it with the "
                                    "spoiled cards, press Continue"),
    Condition.OUTPUT_FULL: N_("Output tray full: take the finished cards out, then press "
                              "Continue"),
    Condition.NEEDS_CLEANING: N_("Printer needs cleaning: clean it as its manual says, then "
                                 "press Continue"),
    Condition.OFFLINE: N_("Printer not answering: check its power and cable, switch it on, "
                          "then press Continue"),
    Condition.COMMAND_ERROR: N_("Printer refused a card: check the printer's display, then "
                                "press Continue"),
    Condition.QUEUE_STOPPED: N_("Print queue stopped: fix the printer, have the queue started "
                                "again (cupsenable), then press Continue"),
    Condition.OTHER: N_("Printer error: read the printer's display, fix it, then press "
                        "Continue"),
}

LOW_RIBBON = N_("Ribbon almost used up ({percent}%): have a new ribbon ready")
LOW_FILM = N_("Film almost used up ({percent}%): have a new film ready")
LOW_BLANKS = N_("Only {count} blank cards left in the hopper: load more soon")
UNKNOWN_OUTCOME = N_("Result of card {record} unknown: look at the card, then press Printed "
                     "or Not printed")
UNKNOWN_AFTER_RESTART = N_("The agent stopped while card {record} was printing (blank "
                           "{serial}): look at the card, then press Printed or Not printed")
PAUSED = N_("Paused by the operator: press Resume to print again")
# A card the printer still holds, left by an agent that stopped mid-card: the printer refuses
# every next card as "busy" until a person takes it out, so nothing is fed until then.
CARD_LEFT = N_("Card left in the printer: open the cover, remove the card, press Continue")

CONNECTED = N_("Connected to the central server")
DISCONNECTED = N_("Central server not connected — still printing from the local queue: "
                  "{count} cards left")
UNSENT = N_("{count} reports waiting to be sent to the central server")
# The controller refuses this agent (runner.Agent.refused): no outage will end by itself.
REFUSED = {
    "revoked": N_("Agent certificate revoked — contact the Dinas office. The central server "
                  "refuses this agent; {count} cards left in the local queue"),
    "refused": N_("The central server refuses this agent's certificate — contact the Dinas "
                  "office; {count} cards left in the local queue"),
}

STATES = {
    "ready": N_("Ready"),
    "busy": N_("Printing"),
    "error": N_("Needs attention"),
    "offline": N_("Not connected"),
    "unknown": N_("Unknown"),
}

OUTCOMES = {
    "PRINTED": N_("Printed"),
    "SPOILED": N_("Spoiled"),
    "FAILED_BEFORE_CARD": N_("Not started"),
    "UNKNOWN": N_("Unknown"),
}

# The printer's reasons for an outcome (Condition values), short, for the latest-cards list.
REASONS = {
    Condition.FEEDER_EMPTY.value: N_("no blank cards"),
    Condition.RIBBON_OUT.value: N_("ribbon out"),
    Condition.FILM_OUT.value: N_("film out"),
    Condition.CARD_JAM.value: N_("card jam"),
    Condition.COVER_OPEN.value: N_("cover open"),
    Condition.CHIP_WRITE_FAILED.value: N_("chip not written"),
    Condition.OUTPUT_FULL.value: N_("output tray full"),
    Condition.NEEDS_CLEANING.value: N_("needs cleaning"),
    Condition.OFFLINE.value: N_("printer not answering"),
    Condition.OTHER.value: N_("printer error"),
    Condition.QUEUE_STOPPED.value: N_("queue stopped"),
    # a CUPS queue's (printers/cups/queue.py; tests/cups/test_queue_state.py keeps them equal)
    "completed; queue not trusted: confirm": N_("completed; queue not trusted: confirm"),
    "job cancelled while printing": N_("job cancelled while printing"),
    "job aborted while printing": N_("job aborted while printing"),
    "job vanished from the queue": N_("job vanished from the queue"),
    "no job of this attempt in the queue": N_("no job of this attempt in the queue"),
    "queue not accepting jobs": N_("queue not accepting jobs"),
}

# Why a printed card is spoiled: a code goes to the controller (never free text, which could
# carry personal data), the label to the screen.
SPOIL_REASONS = {
    "smudged": N_("Smudged or streaked print"),
    "colours": N_("Wrong colours"),
    "scratched": N_("Scratched or bent card"),
    "chip": N_("Chip does not read"),
    "dropped": N_("Dropped or damaged while handling"),
    "other": N_("Other"),
}

# Labels of the page (the script reads them from the page, already translated).
LABELS = {
    "title": N_("cetak operator console"),
    "site": N_("Site"),
    "agent": N_("Agent"),
    "printer": N_("Printer"),
    "state": N_("State"),
    "ribbon": N_("Ribbon"),
    "film": N_("Film"),
    "blanks": N_("Blank cards in the hopper"),
    "now_printing": N_("Now printing"),
    "nothing": N_("Nothing"),
    "queue": N_("Local queue"),
    "queue_empty": N_("The local queue is empty"),
    "queue_more": N_("and {count} more"),
    "pause": N_("Pause"),
    "resume": N_("Resume"),
    "continue": N_("Continue"),
    "paused": N_("Paused"),
    "blanks_loaded": N_("Blanks loaded"),
    "count": N_("Number of cards"),
    "serial_from": N_("First serial number"),
    "serial_to": N_("Last serial number"),
    "record": N_("Record"),
    "recent": N_("Latest cards"),
    "blank_serial": N_("Blank serial"),
    "result": N_("Result"),
    "mark_spoiled": N_("Mark spoiled"),
    "reason": N_("Reason"),
    "printed": N_("Printed"),
    "not_printed": N_("Not printed"),
    "reported": N_("Reported"),
    "save": N_("Save"),
    "cards_today": N_("Printed by this agent since it started"),
    "lost_connection": N_("The console cannot reach the agent. Is the agent running?"),
    "names_masked": N_("Names are hidden: this screen is not on the site's own PC"),
    "language": N_("Language"),
}

# Answers to actions.
DONE = N_("Recorded; it will be sent to the central server")
ERRORS = {
    "bad_token": N_("The page is out of date: reload it"),
    "bad_request": N_("The request could not be read"),
    "unknown_action": N_("Unknown action"),
    "unknown_printer": N_("Unknown printer"),
    "bad_count": N_("The number of cards must be a whole number from 1 to 10000"),
    "bad_serial": N_("A serial number has at most 64 letters, digits, '-' or '/'"),
    "unknown_card": N_("That card is not among the latest cards of this printer"),
    "already_reported": N_("That card was already reported"),
    "bad_reason": N_("Choose a reason"),
    "not_unknown": N_("Only a card whose result is unknown can be resolved"),
    "not_printed_card": N_("Only a printed card can be marked spoiled"),
    "printer_unreachable": N_("The virtual printer's service port did not answer: {error}"),
    "stopping": N_("The agent is stopping"),
}
