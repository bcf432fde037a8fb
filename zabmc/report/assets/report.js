// zabmc counterexample report: clicking a step shows every server's state after it.
"use strict";
(function () {
  const doc = JSON.parse(document.getElementById("cex-data").textContent);
  const servers = doc.servers;
  const panel = document.getElementById("state-view");
  const heading = document.getElementById("state-heading");

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  function show(v) {
    if (v === null || v === undefined) return "-";
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.length ? v.map(show).join(", ") : "[]";
    if (typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => k + ": " + show(x)).join(", ") + "}";
    return String(v);
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  // a variable is per server when it is an object keyed by exactly the servers' names
  const perServer = (v) => v !== null && typeof v === "object" && !Array.isArray(v) &&
    servers.length > 0 && same(Object.keys(v).sort(), [...servers].sort());

  function history(server, before) {
    const cell = el("td", { class: "mono" });
    const entries = server.history || [];
    entries.forEach((z, i) => {
      cell.append(el("span", { class: i < server.committed ? "zxid committed" : "zxid",
        title: i < server.committed ? "committed" : "not known committed" }, z));
    });
    if (!entries.length) cell.append(el("span", { class: "note" }, "empty"));
    if (server.committed > entries.length)
      cell.append(el("div", { class: "warn" }, "committed " + server.committed + " of " + entries.length));
    if (before && !same([before.history, before.committed], [server.history, server.committed]))
      cell.classList.add("changed");
    return cell;
  }

  function render(k) {
    const step = doc.steps[k], prev = k > 0 ? doc.steps[k - 1] : null;
    heading.textContent = k === 0 ? "Initial state" : "After step " + k + ": " + step.label;
    panel.replaceChildren();
    if (servers.length) {
      const table = el("table", { class: "state servers" });
      table.append(el("tr", {}, el("th", {}, ""), ...servers.map((s) => el("th", {}, s))));
      if (step.servers.some((s) => s.status !== null)) {
        table.append(el("tr", {}, el("td", { class: "var" }, "role/phase"), ...step.servers.map((s, i) =>
          el("td", { class: prev && prev.servers[i].status !== s.status ? "changed" : "" },
            (s.status || "-").replace("/", "/\u200b")))));
      }
      if (step.servers.some((s) => s.history !== null)) {
        table.append(el("tr", { class: "history" }, el("td", { class: "var", title: "each entry's zxid; the committed prefix in green" }, "zxids"),
          ...step.servers.map((s, i) => history(s, prev && prev.servers[i]))));
      }
      for (const [name, value] of Object.entries(step.state)) {
        if (!perServer(value)) continue;
        table.append(el("tr", {}, el("td", { class: "var" }, name), ...servers.map((s) =>
          el("td", { class: prev && !same(prev.state[name][s], value[s]) ? "changed" : "" }, show(value[s])))));
      }
      panel.append(table);
      panel.append(el("p", { class: "note" }, "Green zxids are the committed prefix; highlighted cells changed in this step."));
    }
    const rest = Object.entries(step.state).filter(([, v]) => !perServer(v));
    if (rest.length) {
      const table = el("table", { class: "state globals" });
      for (const [name, value] of rest) {
        const changed = prev && !same(prev.state[name], value);
        table.append(el("tr", {}, el("td", { class: "var" }, name), el("td", { class: changed ? "changed" : "" }, show(value))));
      }
      panel.append(el("h3", {}, "Other variables"), table);
    }
    for (const node of document.querySelectorAll(".selected")) node.classList.remove("selected");
    for (const node of document.querySelectorAll('[data-step="' + k + '"].row, tr.step[data-step="' + k + '"]'))
      node.classList.add("selected");
    current = k;
  }

  let current = doc.steps.length - 1;
  document.addEventListener("click", (event) => {
    const hit = event.target.closest(".row[data-step], tr.step[data-step]");
    if (hit) render(Number(hit.dataset.step));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "j") render(Math.min(current + 1, doc.steps.length - 1));
    else if (event.key === "ArrowUp" || event.key === "k") render(Math.max(current - 1, 0));
    else return;
    event.preventDefault();
  });
  const wanted = /^#step-(\d+)$/.exec(location.hash);
  render(wanted && Number(wanted[1]) < doc.steps.length ? Number(wanted[1]) : current);
})();
