// Checkout page: focus the error summary, suggest addresses as the resident types (BAN).
(function () {
  var errors = document.getElementById("form-errors"); if (errors) { errors.focus(); }
  var input = document.getElementById("id_address"), list = document.getElementById("address-suggestions");
  if (!input || !list || !list.dataset.url) { return; }
  var timer;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    if (input.value.length < 3) { return; }
    timer = setTimeout(function () {
      fetch(list.dataset.url + "?format=json&q=" + encodeURIComponent(input.value)).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data) { return; }
        list.innerHTML = "";
        (data.results || data).forEach(function (item) { var o = document.createElement("option"); o.value = item.label; list.appendChild(o); });
      }).catch(function () {});
    }, 250);
  });
})();
