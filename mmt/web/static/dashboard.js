// MMT dashboard: fills the page from the JSON API. Text from the API is only
// ever set with textContent, never parsed as HTML.
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  var analysesByType = JSON.parse(root.getAttribute("data-analyses"));
  var message = document.getElementById("message");
  var STATUSES = ["red", "amber", "green"];
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

  function requestJson(method, path, body) {
    var options = { method: method, headers: { "Accept": "application/json" } };
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
    var breaches = summary.breaches || [];
    if (breaches.length === 0) {
      var row = element("tr");
      var cell = element("td", "No amber or red figure in the latest results.", "muted");
      cell.colSpan = 5;
      row.appendChild(cell);
      body.appendChild(row);
    }
    breaches.forEach(function (breach) {
      var row = element("tr");
      row.appendChild(element("td", breach.analysis_type));
      row.appendChild(element("td", breach.metric, "metric"));
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
    }).catch(function (error) {
      showMessage("Could not load the dashboard data: " + error.message, "error");
    });
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
      .catch(function (error) { showMessage("The analysis failed: " + error.message, "error"); })
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
      showMessage("The upload was rejected: " + error.message, "error");
    });
  });

  refresh();
})();
