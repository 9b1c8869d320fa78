// The dispatch form (issue 22): the handler list shows the members of the chosen department only
// (all when none is chosen), narrowed further by the text typed into the search box.
(function () {
  "use strict";
  function wire(form) {
    var dept = form.querySelector("select.dispatch-department");
    var handler = form.querySelector("select.dispatch-handler");
    var filter = form.querySelector("input.handler-filter");
    if (!dept || !handler || !filter) { return; }
    function apply() {
      var text = filter.value.trim().toLowerCase();
      var chosen = dept.value;
      Array.prototype.forEach.call(handler.options, function (opt) {
        if (!opt.value) { return; }
        var fits = (!chosen || opt.getAttribute("data-department") === chosen) &&
          (!text || opt.textContent.toLowerCase().indexOf(text) !== -1);
        opt.hidden = !fits;
        opt.disabled = !fits;
        if (!fits && opt.selected) { handler.value = ""; }
      });
    }
    dept.addEventListener("change", apply);
    filter.addEventListener("input", apply);
    apply();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-action='dispatch']"), wire);
  });
}());
