// Applies the theme chosen with the toggle before the page paints. The
// choice is kept in localStorage; without one, the system's
// prefers-color-scheme decides (see app.css).
(function () {
  var theme = null;
  try { theme = localStorage.getItem("veelocity-theme"); } catch (e) { /* storage may be off */ }
  if (theme === "light" || theme === "dark") {
    document.documentElement.setAttribute("data-theme", theme);
  }
})();
