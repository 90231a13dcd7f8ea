// The print views' "打印 / Print" button (no inline script: the content policy forbids it).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
