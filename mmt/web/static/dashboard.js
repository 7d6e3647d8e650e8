// MMT dashboard: fills the page from the JSON API. Text from the API is only
// ever set with textContent, never parsed as HTML.
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  var analysesByType = JSON.parse(root.getAttribute("data-analyses"));
  var message = document.getElementById("message");
  var STATUSES = ["red", "amber", "green"];
  // With MMT_AUTH=on the API requires a key in this header (it also accepts "Authorization: Bearer <key>").
  var KEY_HEADER = "X-API-Key";
  var KEY_STORAGE_NAME = "mmt.apiKey";
  var authEnabled = root.getAttribute("data-auth") === "on";
  var keyInput = document.getElementById("api-key");
  // The key when the browser blocks session storage. It lasts as long as the page.
  var pageKey = "";
  var COLOURS = { green: "#1e7b34", amber: "#e6a000", red: "#c0392b" };

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function link(href, text, label) {
    var anchor = element("a", text);
    anchor.href = href;
    if (label) { anchor.setAttribute("aria-label", label); }
    return anchor;
  }

  function statusBadge(status) {
    var badge = element("span", null, "status status-" + (status || "none"));
    badge.appendChild(element("span", null, "light"));
    badge.lastChild.setAttribute("aria-hidden", "true");
    badge.appendChild(document.createTextNode(status || "no status"));
    return badge;
  }

  function formatNumber(value) {
    if (typeof value !== "number") { return value === null || value === undefined ? "" : String(value); }
    if (value === 0) { return "0"; }
    var magnitude = Math.abs(value);
    if (magnitude >= 1e5) { return value.toLocaleString("en", { maximumFractionDigits: 0 }); }
    if (magnitude >= 1e-3) { return value.toFixed(4); }
    return value.toExponential(3);
  }

  function showMessage(text, kind) {
    message.textContent = text;
    message.className = "message" + (kind ? " message-" + kind : "");
  }

  function storedKey() {
    // pageKey also covers storage that can be read but not written (a full quota, some private modes).
    try {
      return window.sessionStorage.getItem(KEY_STORAGE_NAME) || pageKey;
    } catch (error) {
      return pageKey;
    }
  }

  function storeKey(key) {
    pageKey = key;
    try {
      if (key) {
        window.sessionStorage.setItem(KEY_STORAGE_NAME, key);
      } else {
        window.sessionStorage.removeItem(KEY_STORAGE_NAME);
      }
    } catch (error) {
      // Session storage is blocked (a privacy setting), so the key lives in pageKey until the page is left.
    }
    showKeyState();
  }

  function showKeyState() {
    var state = document.getElementById("api-key-state");
    if (state) {
      state.textContent = storedKey() ? "A key is set for this tab." : "No key entered.";
    }
  }

  function authHeaders(headers) {
    var key = storedKey();
    if (key) { headers[KEY_HEADER] = key; }
    return headers;
  }

  // Turn a 401 or 403 response into what the user should do. Other errors keep the server message.
  function explain(error, action) {
    if (error.status === 401) {
      if (keyInput) { keyInput.focus(); }
      if (storedKey()) {
        return action + ": " + error.message + " Enter a valid key above and press Use key, or ask an administrator " +
          "for a new one.";
      }
      return action + ": the server requires an API key. Enter your key in the API key field above and press Use key.";
    }
    if (error.status === 403) {
      var needed = error.details && error.details.required_role;
      return action + ": " + error.message + " Ask an administrator for a key with the " + (needed || "needed") +
        " role, or enter such a key above.";
    }
    return action + ": " + error.message;
  }

  function requestJson(method, path, body) {
    var options = { method: method, headers: authHeaders({ "Accept": "application/json" }) };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || ("HTTP " + response.status));
          error.status = response.status;
          error.details = data.details;
          throw error;
        }
        return data;
      });
    });
  }

  function reportLinks(resultId) {
    var cell = element("td", null, "links");
    cell.appendChild(link("/api/analyses/" + resultId + "/report.html", "HTML report", "HTML report of result " + resultId));
    cell.appendChild(document.createTextNode(" "));
    cell.appendChild(link("/api/analyses/" + resultId + "/report.xlsx", "Excel", "Excel workbook of result " + resultId));
    return cell;
  }

  function overallStatus(statuses) {
    var counts = { green: 0, amber: 0, red: 0 };
    (statuses || []).forEach(function (entry) {
      if (entry && counts.hasOwnProperty(entry.status)) { counts[entry.status] += 1; }
    });
    var overall = null;
    if (counts.red) {
      overall = "red";
    } else if (counts.amber) {
      overall = "amber";
    } else if (counts.green) {
      overall = "green";
    }
    return { counts: counts, overall: overall };
  }

  function renderSummary(summary) {
    var cards = document.getElementById("summary-cards");
    cards.textContent = "";
    var types = Object.keys(summary.latest || {});
    if (types.length === 0) {
      cards.appendChild(element("p", "No analysis has run yet. Upload a file, then press Analyse.", "muted"));
    }
    types.forEach(function (type) {
      var latest = summary.latest[type];
      var card = element("article", null, "summary-card status-border-" + (latest.overall_status || "none"));
      card.appendChild(element("h3", type));
      card.appendChild(statusBadge(latest.overall_status));
      var counts = latest.status_counts || {};
      card.appendChild(element("p", (counts.red || 0) + " red, " + (counts.amber || 0) + " amber, " + (counts.green || 0) + " green", "muted"));
      var links = element("p");
      links.appendChild(link("/api/analyses/" + latest.analysis_result_id + "/report.html", "Report of result " + latest.analysis_result_id));
      card.appendChild(links);
      cards.appendChild(card);
    });

    var body = document.getElementById("breaches-body");
    body.textContent = "";
    // Red figures first, so that the worst ones are in view without scrolling; the API order is kept otherwise.
    var breaches = (summary.breaches || []).map(function (breach, index) { return { breach: breach, index: index }; })
      .sort(function (first, second) {
        var rank = (first.breach.status === "red" ? 0 : 1) - (second.breach.status === "red" ? 0 : 1);
        return rank || first.index - second.index;
      })
      .map(function (item) { return item.breach; });
    if (breaches.length === 0) {
      var row = element("tr");
      var cell = element("td", "No amber or red figure in the latest results.", "muted");
      cell.colSpan = 5;
      row.appendChild(cell);
      body.appendChild(row);
    }
    breaches.forEach(function (breach) {
      var row = element("tr");
      row.setAttribute("data-status", breach.status);
      row.appendChild(element("td", breach.analysis_type));
      var metricCell = element("td", breach.metric, "metric");
      // Some figures carry a note on how to read them, such as a MAPE inflated by realised values near 0.
      if (breach.note) { metricCell.appendChild(element("div", breach.note, "note muted")); }
      row.appendChild(metricCell);
      row.appendChild(element("td", formatNumber(breach.value), "num"));
      var statusCell = element("td");
      statusCell.appendChild(statusBadge(breach.status));
      row.appendChild(statusCell);
      var linkCell = element("td");
      linkCell.appendChild(link("/api/analyses/" + breach.analysis_result_id + "/report.html", "result " + breach.analysis_result_id));
      row.appendChild(linkCell);
      body.appendChild(row);
    });
    drawStatusChart(types, summary.latest || {});
  }

  function drawStatusChart(types, latest) {
    var target = document.getElementById("status-chart");
    if (typeof Plotly === "undefined") { return; }
    var traces = STATUSES.map(function (status) {
      return {
        type: "bar", orientation: "h", name: status, y: types,
        x: types.map(function (type) { return (latest[type].status_counts || {})[status] || 0; }),
        marker: { color: COLOURS[status] }
      };
    });
    var layout = {
      barmode: "stack", height: Math.max(220, 60 * types.length + 100), margin: { l: 130, r: 20, t: 10, b: 40 },
      xaxis: { title: { text: "Number of figures" }, rangemode: "tozero" }, yaxis: { automargin: true },
      legend: { orientation: "h", y: -0.3 }, paper_bgcolor: "white", plot_bgcolor: "white"
    };
    Plotly.react(target, traces, layout, { displaylogo: false, responsive: true, displayModeBar: false }).then(function () {
      target.setAttribute("data-rendered", "true");
    });
  }

  function renderDatasets(datasets, latestByDataset) {
    var body = document.getElementById("datasets-body");
    body.textContent = "";
    if (datasets.length === 0) {
      var empty = element("tr");
      var cell = element("td", "No dataset yet: upload a file above.", "muted");
      cell.colSpan = 8;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    datasets.forEach(function (dataset) {
      var row = element("tr");
      row.setAttribute("data-dataset-id", dataset.id);
      row.appendChild(element("td", dataset.id, "num"));
      row.appendChild(element("td", dataset.name));
      row.appendChild(element("td", dataset.model_type));
      row.appendChild(element("td", Number(dataset.n_rows).toLocaleString("en"), "num"));
      row.appendChild(element("td", (dataset.created_at || "").replace("T", " ").slice(0, 19)));
      var latest = latestByDataset[dataset.id];
      var statusCell = element("td");
      if (latest) {
        var result = latest.result;
        statusCell.appendChild(statusBadge(overallStatus(result.statuses).overall));
        var label = " " + result.analysis_type + " #" + result.id + (latest.asReference ? " (as reference)" : "");
        statusCell.appendChild(element("span", label, "muted"));
        row.appendChild(statusCell);
        row.appendChild(reportLinks(result.id));
      } else {
        statusCell.appendChild(element("span", "not analysed", "muted"));
        row.appendChild(statusCell);
        row.appendChild(element("td", "", "links"));
      }
      row.appendChild(analyseCell(dataset));
      body.appendChild(row);
    });
  }

  function analyseCell(dataset) {
    var cell = element("td", null, "analyse");
    var choices = analysesByType[dataset.model_type] || [];
    var select = element("select");
    select.setAttribute("aria-label", "Analysis to run on dataset " + dataset.id);
    choices.forEach(function (choice) {
      var option = element("option", choice);
      option.value = choice;
      select.appendChild(option);
    });
    var button = element("button", "Analyse");
    button.type = "button";
    button.setAttribute("aria-label", "Analyse dataset " + dataset.id);
    button.addEventListener("click", function () { runAnalysis(dataset, select.value, button); });
    if (choices.length > 1) { cell.appendChild(select); }
    cell.appendChild(button);
    return cell;
  }

  function renderResults(results, datasetNames) {
    var body = document.getElementById("results-body");
    body.textContent = "";
    if (results.length === 0) {
      var empty = element("tr");
      var cell = element("td", "No result yet.", "muted");
      cell.colSpan = 7;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    results.slice().reverse().forEach(function (result) {
      var row = element("tr");
      row.setAttribute("data-result-id", result.id);
      var status = overallStatus(result.statuses);
      row.appendChild(element("td", result.id, "num"));
      row.appendChild(element("td", result.analysis_type));
      row.appendChild(element("td", result.dataset_id === null ? "" : (datasetNames[result.dataset_id] || ("dataset " + result.dataset_id))));
      row.appendChild(element("td", (result.created_at || "").replace("T", " ").slice(0, 19)));
      var overallCell = element("td");
      overallCell.appendChild(statusBadge(status.overall));
      row.appendChild(overallCell);
      row.appendChild(element("td", status.counts.red + " / " + status.counts.amber + " / " + status.counts.green));
      var links = reportLinks(result.id);
      links.appendChild(document.createTextNode(" "));
      links.appendChild(link("/api/analyses/" + result.id, "JSON"));
      row.appendChild(links);
      body.appendChild(row);
    });
  }

  function refresh() {
    return Promise.all([
      requestJson("GET", "/api/summary"),
      requestJson("GET", "/api/datasets?per_page=1000"),
      requestJson("GET", "/api/analyses?per_page=1000&include_results=0")
    ]).then(function (answers) {
      var summary = answers[0];
      var datasets = answers[1].datasets || [];
      var results = answers[2].analysis_results || [];
      var latestByDataset = {};
      var datasetNames = {};
      // A dataset read only as a reference (a PD baseline) links to the latest result that used it.
      // A result of the dataset itself takes precedence.
      results.forEach(function (result) {
        (result.dataset_ids || []).forEach(function (id) {
          if (id !== result.dataset_id) { latestByDataset[id] = { result: result, asReference: true }; }
        });
      });
      results.forEach(function (result) {
        if (result.dataset_id !== null) { latestByDataset[result.dataset_id] = { result: result, asReference: false }; }
      });
      datasets.forEach(function (dataset) { datasetNames[dataset.id] = dataset.name; });
      renderSummary(summary);
      renderDatasets(datasets, latestByDataset);
      renderResults(results, datasetNames);
      root.setAttribute("data-loaded", "true");
      return true;
    }).catch(function (error) {
      if (error.status === 401 || error.status === 403) { clearTables("Enter an API key above to load this table."); }
      showMessage(explain(error, "Could not load the dashboard data"), "error");
      return false;
    });
  }

  // Remove data shown under an earlier key, so that forgetting the key also hides what it could read.
  function clearTables(text) {
    var cards = document.getElementById("summary-cards");
    cards.textContent = "";
    cards.appendChild(element("p", text, "muted"));
    [["breaches-body", 5], ["datasets-body", 8], ["results-body", 7]].forEach(function (table) {
      var body = document.getElementById(table[0]);
      var row = element("tr");
      var cell = element("td", text, "muted");
      cell.colSpan = table[1];
      row.appendChild(cell);
      body.textContent = "";
      body.appendChild(row);
    });
    var chart = document.getElementById("status-chart");
    if (typeof Plotly !== "undefined") { Plotly.purge(chart); }
    chart.removeAttribute("data-rendered");
    root.removeAttribute("data-loaded");
  }

  // Links to /api/ files (reports, JSON) cannot carry the key header when followed, so under access
  // control they are fetched with the key and saved as downloads. The OpenAPI document stays public.
  function fileName(response, url) {
    var disposition = response.headers.get("Content-Disposition") || "";
    var match = /filename="?([^";]+)"?/.exec(disposition);
    if (match) { return match[1]; }
    var name = url.pathname.split("/").filter(Boolean).join("-").replace(/^api-/, "");
    var type = response.headers.get("Content-Type") || "";
    return type.indexOf("json") >= 0 && !/\.json$/.test(name) ? name + ".json" : name;
  }

  function downloadWithKey(anchor) {
    var url = new URL(anchor.href, window.location.href);
    showMessage("Downloading " + url.pathname + "…", "busy");
    fetch(url.href, { headers: authHeaders({}) }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          var error = new Error(data.error || ("HTTP " + response.status));
          error.status = response.status;
          error.details = data.details;
          throw error;
        });
      }
      return response.blob().then(function (blob) {
        var saved = element("a");
        saved.href = URL.createObjectURL(blob);
        saved.download = fileName(response, url);
        document.body.appendChild(saved);
        saved.click();
        saved.remove();
        setTimeout(function () { URL.revokeObjectURL(saved.href); }, 10000);
        showMessage("Saved " + saved.download + " to your downloads.", "ok");
      });
    }).catch(function (error) {
      showMessage(explain(error, "Could not download " + url.pathname), "error");
    });
  }

  document.addEventListener("click", function (event) {
    var anchor = event.target.closest ? event.target.closest("a[href]") : null;
    if (!authEnabled || !anchor || event.defaultPrevented) { return; }
    var url = new URL(anchor.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname.indexOf("/api/") !== 0 || url.pathname === "/api/openapi.json") {
      return;
    }
    event.preventDefault();
    downloadWithKey(anchor);
  });

  var keyForm = document.getElementById("api-key-form");
  if (keyForm) {
    keyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var key = keyInput.value.trim();
      if (!key) { showMessage("Enter an API key first.", "error"); return; }
      storeKey(key);
      keyInput.value = "";
      showMessage("Checking the API key…", "busy");
      refresh().then(function (loaded) {
        if (loaded) { showMessage("The API key is accepted and kept for this tab.", "ok"); }
      });
    });
    document.getElementById("api-key-forget").addEventListener("click", function () {
      storeKey("");
      keyInput.value = "";
      clearTables("Enter an API key above to load this table.");
      showMessage("The API key is forgotten. Enter a key to load the data again.", "ok");
    });
    showKeyState();
  }

  function waitForJob(statusUrl) {
    return requestJson("GET", statusUrl).then(function (job) {
      if (job.state === "completed") { return job; }
      if (job.state === "failed") {
        throw new Error((job.error && job.error.message) || "the analysis failed");
      }
      showMessage("Analysis running: " + Math.round(job.progress || 0) + " %", "busy");
      return new Promise(function (resolve) { setTimeout(resolve, 700); }).then(function () { return waitForJob(statusUrl); });
    });
  }

  function runAnalysis(dataset, analysisType, button) {
    button.disabled = true;
    showMessage("Running the " + analysisType + " analysis of dataset " + dataset.id + " (" + dataset.name + ")…", "busy");
    requestJson("POST", "/api/analyze/" + encodeURIComponent(analysisType), { dataset_id: dataset.id, async: true })
      .then(function (accepted) { return waitForJob(accepted.status_url); })
      .then(function (job) {
        showMessage("Analysis finished: result " + job.result_id + ". Its report is linked in the tables below.", "ok");
        return refresh();
      })
      .catch(function (error) { showMessage(explain(error, "The analysis failed"), "error"); })
      .then(function () { button.disabled = false; });
  }

  document.getElementById("upload-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var type = document.getElementById("upload-type").value;
    var fileInput = document.getElementById("upload-file");
    if (!fileInput.files.length) { showMessage("Choose a file to upload.", "error"); return; }
    var form = new FormData();
    form.append("file", fileInput.files[0]);
    var name = document.getElementById("upload-name").value.trim();
    if (name) { form.append("name", name); }
    showMessage("Uploading " + fileInput.files[0].name + "…", "busy");
    requestJson("POST", "/api/upload/" + encodeURIComponent(type), form).then(function (answer) {
      showMessage(answer.message + " Dataset " + answer.dataset_id + ".", "ok");
      event.target.reset();
      return refresh();
    }).catch(function (error) {
      showMessage(explain(error, "The upload was rejected"), "error");
    });
  });

  refresh();
})();
