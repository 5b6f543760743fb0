// A sort list (select[data-sort-on-change]) applies the chosen order at once: no second button to press.
// Picked with the mouse or a finger, the page reloads on the choice. Moved through with the arrow keys
// (some browsers report every step as a change), it waits for Enter or for the focus to leave the list,
// so a keyboard user can reach the last option without a reload at each step. The form's own "Trier"
// button is kept in <noscript> for browsers without JavaScript.
(function () {
  var selects = document.querySelectorAll("select[data-sort-on-change]");
  Array.prototype.forEach.call(selects, function (select) {
    var form = select.form;
    var initial = select.value;
    var isKeyboard = false;
    var help = document.getElementById(select.getAttribute("data-sort-help"));
    if (help) {
      help.hidden = false;
      select.setAttribute("aria-describedby", help.id);
    }
    function apply() {
      if (select.value !== initial) {
        initial = select.value;
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    }
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        apply();
      } else if (event.key !== "Tab") {
        isKeyboard = true;
      }
    });
    select.addEventListener("mousedown", function () { isKeyboard = false; });
    select.addEventListener("touchstart", function () { isKeyboard = false; }, { passive: true });
    select.addEventListener("change", function () {
      if (!isKeyboard) { apply(); }
    });
    select.addEventListener("blur", function () {
      if (isKeyboard) {
        isKeyboard = false;
        apply();
      }
    });
  });
})();
