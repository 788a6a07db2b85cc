"use strict";
(function () {
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("nhiscan-data").textContent);
  var SEV = ["critical", "high", "medium", "low", "info"];
  var PAGE = 100;
  // While the page is printed every row of each table is in the DOM, not one page of it: paper has
  // no Next button.
  var printing = false;

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function $(id) { return document.getElementById(id); }
  function sevTag(s) { return el("span", { cls: "sev-" + s, text: s }); }
  function tags(list, cls) { return el("span", null, (list || []).map(function (t) { return el("span", { cls: "tag " + (cls || ""), text: t, title: (D.risk_names || {})[t] || t }); })); }

  // State lives in the URL fragment, so a filtered view can be bookmarked or shared.
  var state = {};
  (location.hash || "").replace(/^#/, "").split("&").forEach(function (kv) {
    if (!kv) return;
    var i = kv.indexOf("=");
    var k = i < 0 ? kv : kv.slice(0, i);
    state[decodeURIComponent(k)] = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
  });
  function saveState() {
    var parts = [];
    for (var k in state) if (state[k]) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(state[k]));
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* file:// in some browsers */ }
  }

  // ---- header and tabs
  $("title").textContent = D.title;
  $("source").textContent = D.source;
  $("generated").textContent = D.generated;
  var tabs = ["summary", "inventory", "findings", "coverage"];
  function show(tab) {
    if (tabs.indexOf(tab) < 0) tab = "summary";
    tabs.forEach(function (t) {
      $("tab-" + t).classList.toggle("on", t === tab);
      $(t).classList.toggle("on", t === tab);
    });
    state.tab = tab === "summary" ? "" : tab;
    saveState();
  }
  tabs.forEach(function (t) { $("tab-" + t).addEventListener("click", function () { show(t); }); });

  // ---- summary
  function bars(target, entries, cls) {
    var max = 1;
    entries.forEach(function (e) { max = Math.max(max, e[1]); });
    var box = $(target);
    entries.forEach(function (e) {
      var bar = el("div", { cls: "bar " + (cls ? cls(e[0]) : "") });
      bar.style.width = (100 * e[1] / max).toFixed(1) + "%";
      box.appendChild(el("div", { cls: "row" }, [el("span", { text: e[0] }), el("div", null, [bar]), el("span", { cls: "n", text: String(e[1]) })]));
    });
    if (!entries.length) box.appendChild(el("div", { cls: "empty", text: "none" }));
  }
  function entries(obj) { return Object.keys(obj || {}).map(function (k) { return [k, obj[k]]; }).sort(function (a, b) { return b[1] - a[1]; }); }
  var S = D.summary;
  [["findings", S.findings], ["identities", S.identities], ["long-lived credentials", S.long_lived_share], ["reused identities", S.reused], ["across environments", S.cross_environment], ["repositories", D.coverage.length]].forEach(function (c) {
    $("cards").appendChild(el("div", { cls: "card" }, [el("b", { text: String(c[1]) }), el("span", { text: c[0] })]));
  });
  bars("by-severity", SEV.filter(function (s) { return S.by_severity[s]; }).map(function (s) { return [s, S.by_severity[s]]; }), function (s) { return "sev-" + s; });
  bars("by-category", entries(S.by_category));
  bars("by-provider", entries(S.by_provider).slice(0, 15));
  bars("by-risk", entries(S.by_risk).map(function (e) { return [e[0] + " " + ((D.risk_names || {})[e[0]] || ""), e[1]]; }));
  bars("exposure", S.exposure_histogram);
  if (D.runs.length) {
    bars("runs", D.runs.map(function (r) { return [r.started.slice(0, 10) + " +" + r["new"] + " −" + r.fixed, r.open]; }));
  } else {
    $("runs").appendChild(el("div", { cls: "empty", text: "One scan: new and fixed findings over runs need a results store." }));
  }

  // ---- a filtered, paginated table (only one page of rows is ever in the DOM)
  function Table(opts) {
    this.o = opts; this.page = 0; this.rows = opts.rows; this.open = -1;
    var self = this;
    opts.prev.addEventListener("click", function () { if (self.page > 0) { self.page--; self.draw(); } });
    opts.next.addEventListener("click", function () { if ((self.page + 1) * PAGE < self.rows.length) { self.page++; self.draw(); } });
  }
  Table.prototype.filter = function (pred) {
    this.rows = this.o.rows.filter(pred); this.page = 0; this.open = -1; this.draw();
  };
  Table.prototype.draw = function () {
    var o = this.o, body = o.body, self = this;
    body.textContent = "";
    var from = printing ? 0 : this.page * PAGE, to = printing ? this.rows.length : Math.min(this.rows.length, from + PAGE);
    for (var i = from; i < to; i++) (function (row, idx) {
      var tr = el("tr", { cls: "item", tabindex: "0", "aria-expanded": String(self.open === idx) }, o.cells(row).map(function (c) { return el("td", null, [c]); }));
      var toggle = function () { self.open = self.open === idx ? -1 : idx; self.draw(); };
      tr.addEventListener("click", toggle);
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(); } });
      body.appendChild(tr);
      if (self.open === idx) body.appendChild(el("tr", { cls: "detail" }, [el("td", { colspan: String(o.cols) }, [o.detail(row)])]));
    })(this.rows[i], i);
    if (!this.rows.length) body.appendChild(el("tr", null, [el("td", { colspan: String(o.cols), cls: "empty", text: "Nothing matches." })]));
    o.table.dataset.total = String(o.rows.length);
    o.table.dataset.filtered = String(this.rows.length);
    o.table.dataset.shown = String(to - from);
    o.prev.disabled = this.page === 0;
    o.next.disabled = to >= this.rows.length;
    o.count.textContent = this.rows.length + " of " + o.rows.length + (this.rows.length > PAGE && !printing ? " — rows " + (from + 1) + "–" + to : "");
  };
  function dl(pairs) {
    var d = el("dl");
    pairs.forEach(function (p) { if (p[1] == null || p[1] === "" || (p[1].length === 0)) return; d.appendChild(el("dt", { text: p[0] })); d.appendChild(el("dd", null, [typeof p[1] === "string" ? el("span", { text: p[1] }) : p[1]])); });
    return el("div", { cls: "detail" }, [d]);
  }
  function place(p) { return p.repo + ": " + p.path + ":" + p.line + (p.commit ? " @" + p.commit.slice(0, 10) : "") + (p.layer ? " layer " + p.layer : ""); }
  function lines(list) { return el("div", null, list.map(function (t) { return el("div", { cls: "mono", text: t }); })); }

  // ---- inventory
  var ids = D.identities;
  ids.forEach(function (x) {
    var attrs = Object.keys(x.attributes).map(function (k) { return String(x.attributes[k]); }).join(" ");
    x._s = (x.name + " " + x.type + " " + x.id + " " + attrs + " " + x.environments.join(" ") + " " + x.repositories.join(" ") + " " + x.exposures.map(function (p) { return p.path; }).join(" ") + " " + x.owners.map(function (o) { return o.who; }).join(" ")).toLowerCase();
  });
  function fillSelect(id, values) {
    var s = $(id);
    values.forEach(function (v) { s.appendChild(el("option", { value: v, text: v })); });
  }
  function uniq(list) { var m = {}; list.forEach(function (v) { m[v] = 1; }); return Object.keys(m).sort(); }
  fillSelect("inv-type", uniq(ids.map(function (x) { return x.type; })));
  fillSelect("inv-risk", uniq([].concat.apply([], ids.map(function (x) { return x.risks; }))));
  fillSelect("inv-env", uniq([].concat.apply([], ids.map(function (x) { return x.environments; }))));
  var inv = new Table({
    rows: ids, body: $("inv-body"), table: $("inv-table"), count: $("inv-count"), prev: $("inv-prev"), next: $("inv-next"), cols: 7,
    cells: function (x) {
      return [sevTag(x.severity), el("span", { text: x.type }), el("span", { text: x.name }), el("span", { text: String(x.credentials.length) + (x.long_lived ? " (long-lived)" : "") }),
        el("span", { text: String(x.reuse_count) }), el("span", { text: x.environments.join(", ") + (x.cross_environment ? " ⚠" : "") }), tags(x.risks, "risk")];
    },
    detail: function (x) {
      var attrs = Object.keys(x.attributes).map(function (k) { return k + ": " + x.attributes[k]; });
      return dl([
        ["id", x.id], ["attributes", lines(attrs)],
        ["credentials", lines(x.credentials.map(function (c) {
          return (c.redacted || c.rule_id) + " — " + c.title + (c.lifetime ? " — " + c.lifetime.kind : "") +
            (c.introduced ? " — introduced " + c.introduced.date.slice(0, 10) + " by " + c.introduced.author + " in " + c.introduced.commit.slice(0, 10) : "") +
            (c.at_head === false ? " — removed from HEAD" : c.at_head ? " — at HEAD" : "") + (c.exposure_days != null ? " — exposed " + c.exposure_days + " days" : "");
        }))],
        ["exposed at", lines(x.exposures.slice(0, 50).map(place).concat(x.exposures.length > 50 ? ["… " + (x.exposures.length - 50) + " more"] : []))],
        ["permissions", lines(x.permissions.map(function (p) { return p.severity + " " + p.message + " (" + p.path + ":" + p.line + ")"; }))],
        ["workloads", x.workloads.join(", ")], ["roles bound", x.roles.join(", ")],
        ["token mounted", x.token_mounted == null ? "" : String(x.token_mounted)],
        ["owners", lines(x.owners.map(function (o) { return o.who + " (" + o.source + ")"; }))],
        ["OWASP NHI", lines(x.risks.map(function (r) { return r + " " + ((D.risk_names || {})[r] || ""); }))],
        ["first step", x.remediation || ""]
      ]);
    }
  });
  function invFilter() {
    var q = $("inv-q").value.toLowerCase().trim(), ty = $("inv-type").value, rk = $("inv-risk").value, ev = $("inv-env").value;
    state.q = q; state.type = ty; state.risk = rk; state.env = ev; saveState();
    inv.filter(function (x) {
      return (!ty || x.type === ty) && (!rk || x.risks.indexOf(rk) >= 0) && (!ev || x.environments.indexOf(ev) >= 0) && (!q || x._s.indexOf(q) >= 0);
    });
  }
  ["inv-q", "inv-type", "inv-risk", "inv-env"].forEach(function (id) { $(id).addEventListener("input", invFilter); });

  // ---- findings
  var F = D.findings;
  fillSelect("f-cat", uniq(F.map(function (f) { return f.c; })));
  var fin = new Table({
    rows: F, body: $("f-body"), table: $("f-table"), count: $("f-count"), prev: $("f-prev"), next: $("f-next"), cols: 6,
    cells: function (f) {
      return [sevTag(f.s), el("span", { text: f.c }), el("span", { text: (D.rules[f.r] || {}).title || f.r }), el("code", { text: f.x || "" }),
        el("span", { cls: "mono", text: f.p + ":" + f.l }), el("span", { text: f.repo })];
    },
    detail: function (f) {
      var pv = f.pv || {};
      return dl([
        ["message", f.m], ["rule", f.r], ["secret (redacted)", f.x || ""], ["context", f.ctx], ["lifetime", f.lt || ""],
        ["identity", f.i != null && ids[f.i] ? ids[f.i].name : ""],
        ["commit", pv.commit ? pv.commit + (pv.author ? " by " + pv.author : "") + (pv.date ? " on " + pv.date : "") : ""],
        ["at HEAD", pv.at_head == null ? "" : String(pv.at_head)], ["exposure", pv.exposure_days == null ? "" : pv.exposure_days + " days"],
        ["layer", pv.layer || ""], ["OWASP NHI", (f.o || []).join(" ")],
        ["remediation", (D.rules[f.r] || {}).remediation || ""]
      ]);
    }
  });
  function finFilter() {
    var q = $("f-q").value.toLowerCase().trim(), sv = $("f-sev").value, ct = $("f-cat").value;
    state.fq = q; state.sev = sv; state.cat = ct; saveState();
    if (q && !F._indexed) { F.forEach(function (f) { f._s = (f.r + " " + f.p + " " + f.repo + " " + f.m + " " + (f.x || "")).toLowerCase(); }); F._indexed = true; }
    fin.filter(function (f) { return (!sv || f.s === sv) && (!ct || f.c === ct) && (!q || f._s.indexOf(q) >= 0); });
  }
  ["f-q", "f-sev", "f-cat"].forEach(function (id) { $(id).addEventListener("input", finFilter); });

  // ---- coverage
  var cb = $("cov-body");
  D.coverage.forEach(function (c) {
    cb.appendChild(el("tr", null, [el("td", { text: c.repo }), el("td", { cls: "st-" + c.status, text: c.status }), el("td", { text: String(c.findings) }), el("td", null, [lines(c.reasons)])]));
  });
  ["complete", "partial", "failed"].forEach(function (s) {
    $("cov-" + s).textContent = String(D.coverage.filter(function (c) { return c.status === s; }).length);
  });

  // ---- printing: all rows (of the current filter) before, one page again after. `beforeprint` is
  // what Ctrl+P and headless --print-to-pdf fire; the print media query covers browsers that only
  // switch media, and a page opened in print media.
  function setPrinting(on) {
    if (on === printing) return;
    printing = on;
    inv.draw(); fin.draw();
  }
  window.addEventListener("beforeprint", function () { setPrinting(true); });
  window.addEventListener("afterprint", function () { setPrinting(false); });
  var printMedia = window.matchMedia ? window.matchMedia("print") : null;
  if (printMedia) {
    var onMedia = function (e) { setPrinting(e.matches); };
    if (printMedia.addEventListener) printMedia.addEventListener("change", onMedia); else printMedia.addListener(onMedia);
    printing = printMedia.matches;
  }

  // ---- first render, with the URL's filters
  $("inv-q").value = state.q || ""; $("inv-type").value = state.type || ""; $("inv-risk").value = state.risk || ""; $("inv-env").value = state.env || "";
  $("f-q").value = state.fq || ""; $("f-sev").value = state.sev || ""; $("f-cat").value = state.cat || "";
  invFilter(); finFilter();
  show(state.tab || "summary");
  // performance.now() counts from navigation start: parsing the page and its data included.
  var ms = performance.now();
  document.body.dataset.renderMs = ms.toFixed(1);
  document.body.dataset.scriptMs = (ms - t0).toFixed(1);
  document.body.dataset.requests = String(performance.getEntriesByType("resource").length);
  document.body.dataset.cspViolations = String(window.nhiscanBlocked || 0);
  document.body.dataset.ready = "1";
  $("render-ms").textContent = ms.toFixed(0);
})();
