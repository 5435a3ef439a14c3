// The operator console: polls /api/state every second and redraws; actions POST to
// /api/action with the page's token. Texts arrive translated (labels in the page, alerts in
// the state), so this script holds no words of its own.
"use strict";

const L = JSON.parse(document.getElementById("labels").textContent);
const TOKEN = document.querySelector('meta[name="cetak-token"]').content;
const LANG = document.documentElement.lang;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

function say(text, isError) {
  const box = $("message");
  box.textContent = text;
  box.className = "message" + (isError ? " error" : "");
  box.hidden = false;
  clearTimeout(say.timer);  // the answer stays long enough to read, then makes room
  say.timer = setTimeout(() => { box.hidden = true; }, isError ? 20000 : 8000);
}

async function act(printerId, action, fields) {
  try {
    const response = await fetch("/api/action?lang=" + LANG, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-Cetak-Token": TOKEN},
      body: JSON.stringify(Object.assign({action: action, printer_id: printerId}, fields || {})),
    });
    const answer = await response.json();
    if (response.ok) say(answer.message, false);
    else say(answer.error, true);
    return response.ok;
  } catch (err) {
    say(L.lost_connection, true);
    return false;
  } finally {
    poll();
  }
}

function bar(percent) {
  if (percent === null || percent === undefined) return "–";
  const outer = el("span", {class: "bar"}, el("span"));
  outer.firstChild.style.width = percent + "%";
  return el("span", {}, outer, percent + "%");
}

// One card per printer, built once; polling updates its parts so a half-typed form survives.
function printerCard(p) {
  let card = document.querySelector('.printer[data-printer="' + CSS.escape(p.id) + '"]');
  if (card) return card;
  const count = el("input", {type: "number", min: 1, max: 10000, name: "count"});
  const from = el("input", {type: "text", name: "serial_from", maxLength: 64});
  const to = el("input", {type: "text", name: "serial_to", maxLength: 64});
  const save = el("button", {type: "button", "data-action": "blanks_loaded"}, L.save);
  save.onclick = async () => {
    if (await act(p.id, "blanks_loaded", {count: count.value, serial_from: from.value,
                                           serial_to: to.value})) {
      count.value = from.value = to.value = "";
    }
  };
  card = el("article", {class: "printer", "data-printer": p.id},
    el("h2", {}, L.printer + " " + p.id, " ", el("small", {class: "model"})),
    el("div", {class: "alerts"}),
    el("div", {class: "buttons"}),
    el("div", {class: "facts"}),
    el("fieldset", {class: "blanks-form"}, el("legend", {}, L.blanks_loaded),
       el("label", {}, L.count + " ", count), el("label", {}, L.serial_from + " ", from),
       el("label", {}, L.serial_to + " ", to), save),
    el("h3", {}, L.recent),
    el("div", {class: "recent"}));
  card.dataset.recent = "";
  $("printers").append(card);
  return card;
}

function drawPrinter(p) {
  const card = printerCard(p);
  card.className = "printer " + p.state;
  card.querySelector(".model").textContent = p.model + " · " + p.transport;
  // Redrawn only when they change, so a button is not replaced under the operator's finger.
  const alerts = card.querySelector(".alerts");
  const alertsKey = JSON.stringify(p.alerts);
  if (alerts.dataset.key !== alertsKey) {
    alerts.dataset.key = alertsKey;
    alerts.replaceChildren(...p.alerts.map((a) => alertBox(p, a)));
  }

  const buttons = card.querySelector(".buttons");
  const wanted = [];
  if (p.alerts.some((a) => a.level === "error" && a.condition)) {
    wanted.push(["jam_cleared", L["continue"], "primary"]);
  }
  wanted.push(p.paused ? ["resume", L.resume, "primary"] : ["pause", L.pause, ""]);
  const key = wanted.map((w) => w[0]).join(",");
  if (buttons.dataset.key !== key) {
    buttons.replaceChildren(...wanted.map(([action, label, cls]) => {
      const b = el("button", {type: "button", class: cls, "data-action": action}, label);
      b.onclick = () => act(p.id, action);
      return b;
    }));
    buttons.dataset.key = key;
  }

  const printing = p.printing
    ? (p.printing.name ? p.printing.name + " · " : "") + p.printing.record_id : L.nothing;
  card.querySelector(".facts").replaceChildren(
    el("span", {}, L.state), el("span", {class: "state"},
                                 p.state_text + (p.paused ? " · " + L.paused : "")),
    el("span", {}, L.now_printing), el("span", {class: "printing"}, printing),
    el("span", {}, L.ribbon), bar(p.ribbon_percent),
    ...(p.film_percent === null ? [] : [el("span", {}, L.film), bar(p.film_percent)]),
    el("span", {}, L.blanks), el("span", {class: "blanks"}, p.blanks === null ? "–" : p.blanks),
    el("span", {}, L.cards_today), el("span", {class: "printed"}, p.printed));

  const recentKey = JSON.stringify(p.recent);
  if (card.dataset.recent !== recentKey) {
    card.dataset.recent = recentKey;
    card.querySelector(".recent").replaceChildren(recentTable(p));
  }
}

// An alert; an unknown outcome carries its answers (Printed / Not printed) as buttons.
function alertBox(p, a) {
  const box = el("div", {class: "alert " + a.level, "data-condition": a.condition || "",
                         "data-kind": a.kind || ""}, a.text,
                 a.printer_says ? el("span", {class: "says"}, a.printer_says) : null);
  if (a.attempt_id) {
    box.setAttribute("data-attempt", a.attempt_id);
    const answers = el("span", {class: "answers"}, ...(a.choices || []).map((c) => {
      const b = el("button", {type: "button", class: "primary", "data-action": "unknown_resolved",
                              "data-result": c.result}, c.label);
      b.onclick = () => act(p.id, "unknown_resolved", {attempt_id: a.attempt_id,
                                                       result: c.result});
      return b;
    }));
    box.append(answers);
  }
  return box;
}

function recentTable(p) {
  const rows = p.recent.map((r) => {
    let cell = "";
    if (r.reported) {
      cell = L.reported;
    } else if (r.outcome === "PRINTED") {
      const reason = el("select", {name: "reason"}, el("option", {value: ""}, L.reason),
        ...Object.entries(L.reasons).map(([code, text]) => el("option", {value: code}, text)));
      const mark = el("button", {type: "button", "data-action": "card_spoiled"}, L.mark_spoiled);
      mark.onclick = () => act(p.id, "card_spoiled", {attempt_id: r.attempt_id,
                                                      reason: reason.value});
      cell = el("span", {}, reason, mark);
    } else if (r.outcome === "UNKNOWN") {
      const yes = el("button", {type: "button", "data-action": "unknown_resolved"}, L.printed);
      yes.onclick = () => act(p.id, "unknown_resolved", {attempt_id: r.attempt_id,
                                                         result: "printed"});
      const no = el("button", {type: "button", "data-action": "unknown_resolved"}, L.not_printed);
      no.onclick = () => act(p.id, "unknown_resolved", {attempt_id: r.attempt_id,
                                                        result: "not_printed"});
      cell = el("span", {}, yes, no);
    }
    return el("tr", {"data-outcome": r.outcome},
      el("td", {}, r.record_id), el("td", {}, r.blank_serial || "–"),
      el("td", {}, r.outcome_text + (r.reason ? " (" + r.reason + ")" : "")), el("td", {}, cell));
  });
  return el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, L.record), el("th", {}, L.blank_serial),
                       el("th", {}, L.result), el("th"))),
    el("tbody", {}, ...rows));
}

function draw(s) {
  $("site").textContent = L.site + " " + s.site_code + " · " + L.agent + " " + s.agent_id;
  const banner = $("banner");
  banner.textContent = s.banner;
  banner.className = "banner " + (s.connected ? "ok" : s.refused ? "refused" : "down");
  $("unsent").textContent = s.unsent_text;
  $("masked").hidden = s.names_shown;
  $("masked").textContent = L.names_masked;
  s.printers.forEach(drawPrinter);
  $("queue-title").textContent = L.queue + " (" + s.queue.count + ")";
  $("queue").replaceChildren(...s.queue.shown.map((q) =>
    el("li", {}, (q.name ? q.name + " · " : "") + q.record_id)));
  $("queue-more").textContent = s.queue.count === 0 ? L.queue_empty
    : (s.queue.more ? L.queue_more.replace("{count}", s.queue.more) : "");
}

let polling = null;
async function poll() {
  try {
    const response = await fetch("/api/state?lang=" + LANG, {cache: "no-store"});
    if (!response.ok) throw new Error(String(response.status));
    draw(await response.json());
    document.body.dataset.ready = "1";
  } catch (err) {
    $("banner").textContent = L.lost_connection;
    $("banner").className = "banner down";
  }
}

poll();
polling = setInterval(poll, 1000);
