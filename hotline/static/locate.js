/* "Use my location" on the message form (a static file: no inline script under the Content Security Policy);
   its messages come from the button's data attributes, translated by the template. */
(function () {
  var button = document.getElementById('locate');
  if (!navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById('lat').value = pos.coords.latitude.toFixed(6);
      document.getElementById('long').value = pos.coords.longitude.toFixed(6);
      document.getElementById('located').textContent = button.dataset.added;
    }, function () {
      document.getElementById('located').textContent = button.dataset.unavailable;
    });
  });
})();
