// The dispatcher board's map (Leaflet, static/vendor/leaflet/): numbered markers per round, one colour a
// courier. The lists of the page are its real content: without JavaScript or tiles they are all there is,
// and the map stays hidden from screen readers (aria-hidden), the lists saying the same.
(function () {
  var element = document.getElementById("board-map");
  var data = document.getElementById("board-map-data");
  if (!element || !data || !window.L) { return; }
  var rounds = JSON.parse(data.textContent).rounds || [];
  var bounds = [];
  rounds.forEach(function (round) {
    if (round.hub) { bounds.push([round.hub[0], round.hub[1]]); }
    round.stops.forEach(function (stop) { bounds.push([stop[0], stop[1]]); });
  });
  if (!bounds.length) { return; }
  element.hidden = false;
  // Hidden from assistive technologies (the lists say the same), so nothing in it may take the focus:
  // no zoom buttons, no link in the attribution, no keyboard handler, markers not focusable.
  var map = L.map(element, { scrollWheelZoom: false, keyboard: false, zoomControl: false });
  map.attributionControl.setPrefix(false);
  element.setAttribute("tabindex", "-1");
  L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  rounds.forEach(function (round) {
    var line = [];
    if (round.hub) { line.push([round.hub[0], round.hub[1]]); }
    round.stops.forEach(function (stop) {
      var icon = L.divIcon({
        className: "marker-number",
        html: String(stop[2]),
        iconSize: [28, 28]
      });
      var marker = L.marker([stop[0], stop[1]], { icon: icon, title: round.courier + " — " + stop[2] + ". " + stop[3], keyboard: false });
      marker.on("add", function () {
        var node = marker.getElement();
        if (node) { node.style.borderColor = round.colour; node.style.color = round.colour; }
      });
      marker.addTo(map);
      line.push([stop[0], stop[1]]);
    });
    if (round.hub) { line.push([round.hub[0], round.hub[1]]); }
    L.polyline(line, { color: round.colour, weight: 3, opacity: 0.7 }).addTo(map);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
})();
