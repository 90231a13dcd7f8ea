// The round wizard: Enter in the unit search looks the name up (htmx's "search"
// trigger) instead of sending the whole form on to the next step.
document.addEventListener("keydown", function (event) {
  var input = event.target;
  if (event.key === "Enter" && input instanceof HTMLInputElement &&
      input.hasAttribute("data-enter-search")) {
    event.preventDefault();
    input.dispatchEvent(new Event("search"));
  }
});

// After a step with problems, the error summary takes the focus (GOV.UK): a keyboard or
// screen-reader user hears what is wrong first, and tabs on to the links to each field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("#round-wizard-errors .error-summary");
  if (summary) { summary.focus(); }
});
