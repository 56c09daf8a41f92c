// Label the toggles of solution cells "Show solution" / "Hide solution" instead of
// myst-nb's generic "Show code cell outputs" (cells tagged `solution`).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".tag_solution details > summary").forEach(function (s) {
    var c = s.querySelector(".collapsed"), e = s.querySelector(".expanded");
    if (c) c.textContent = "Show solution";
    if (e) e.textContent = "Hide solution";
  });
});
