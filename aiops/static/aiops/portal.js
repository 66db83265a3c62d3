// The portal's only script besides htmx: a static file, so the Content-Security-Policy can forbid
// inline scripts. A <select data-autosubmit> submits its form when changed (organisation switcher).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target && target.form && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});
