// The staff menu (details.site-menu in base.html) is a "Menu" button opening a panel of links: that works
// without JavaScript, at every width. Where all its links fit on one line beside the town's name (a
// desktop screen), it is shown open and inline instead (.is-inline), measured again when the window changes.
(function () {
  var menu = document.querySelector("details.site-menu");
  if (!menu) { return; }
  var brand = menu.parentElement.firstElementChild;
  var list = menu.querySelector(".nav-list");
  function fitsOnOneLine() {
    var isBesideTheName = menu.getBoundingClientRect().top < brand.getBoundingClientRect().bottom;
    return isBesideTheName && list.scrollWidth <= list.clientWidth;
  }
  function follow() {
    var wasInline = menu.classList.contains("is-inline");
    var wasOpen = menu.open;
    menu.classList.add("is-inline");
    menu.open = true;
    if (!fitsOnOneLine()) {
      menu.classList.remove("is-inline");
      // A phone's browser resizes its window as its address bar hides: a panel the person opened stays open.
      menu.open = wasInline ? false : wasOpen;
    }
  }
  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; follow(); });
  });
  follow();
})();
