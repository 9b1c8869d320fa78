// A long job's page (imports, exports: templates/jobs/_progress.html): refresh the progress bar
// from the job's JSON every second while it is queued or running; reload once it has finished (to
// show its outcome: an import's report, an export's download link).
(function () {
  "use strict";
  var box = document.getElementById("long-job");
  if (!box) { return; }
  var names = JSON.parse(box.getAttribute("data-names"));
  function show(job) {
    var bar = document.getElementById("job-progress");
    bar.max = job.total || 1;
    bar.value = job.done;
    document.getElementById("job-count").textContent = job.done + " / " + (job.total === null ? "?" : job.total);
    document.getElementById("job-percent").textContent = job.percent;
    document.getElementById("job-status").textContent = names[job.status] || job.status;
    box.setAttribute("data-status", job.status);
    box.setAttribute("data-done", String(job.done));
  }
  function poll() {
    fetch(box.getAttribute("data-url"), {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        show(job);
        if (job.status === "queued" || job.status === "running") { setTimeout(poll, 1000); }
        else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  var status = box.getAttribute("data-status");
  if (status === "queued" || status === "running") { setTimeout(poll, 500); }
}());
