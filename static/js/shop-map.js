// The shop map of the home page (Leaflet, static/vendor/leaflet/). The list of shops next to it is the
// page's real content: without JavaScript, or when the tile server cannot be reached, the list is all
// there is and the page is complete. With them, the map appears above the list with one marker a shop.
(function () {
  var element = document.getElementById("shop-map");
  var data = document.getElementById("shop-map-data");
  if (!element || !data || !window.L) { return; }
  var places = JSON.parse(data.textContent);
  if (!places.length) { return; }
  element.hidden = false;
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, {
    maxZoom: 19,
    attribution: element.dataset.attribution
  }).addTo(map);
  var bounds = [];
  places.forEach(function (place) {
    var marker = L.marker([place.latitude, place.longitude], { title: place.name, alt: place.name });
    var link = document.createElement("a");
    link.href = place.url;
    link.textContent = place.name;
    var popup = document.createElement("p");
    popup.appendChild(link);
    if (place.address) {
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(place.address));
    }
    marker.bindPopup(popup).addTo(map);
    bounds.push([place.latitude, place.longitude]);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
})();
