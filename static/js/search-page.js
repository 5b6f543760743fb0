// The search's filters (details.facets-disclosure): on a phone, a "Filtrer" button folding them away so
// the products come first; that works without JavaScript. Where there is room for a sidebar (the width of
// the two-column layout in storefront.css), they are shown open beside the results, as on a desktop.
(function () {
  var filters = document.querySelector("details.facets-disclosure");
  if (!filters || !window.matchMedia) { return; }
  var wide = window.matchMedia("(min-width: 56rem)");
  function follow() {
    var wasSidebar = filters.classList.contains("is-sidebar");
    filters.classList.toggle("is-sidebar", wide.matches);
    if (wide.matches) {
      filters.open = true;
    } else if (wasSidebar) {
      filters.open = false;  // back to a phone's width: folded again, the products first
    }
  }
  if (wide.addEventListener) { wide.addEventListener("change", follow); } else { wide.addListener(follow); }
  follow();
})();
