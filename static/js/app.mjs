// Starts the NHS.UK frontend components (header menu, error summary focus, character count,
// radios and checkboxes, buttons, ...) on every page. Loaded by templates/base.html as a module,
// so browsers without ES module support get the no-JavaScript experience, which works on its own.
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.js";

initAll();

// The staff list's filters are open without JavaScript (nothing hidden); on a phone we fold them away
// so the list comes first. The same width as NHS.UK's "tablet" breakpoint.
if (window.matchMedia("(max-width: 40.0525em)").matches) {
  for (const details of document.querySelectorAll("details[data-fold-on-phone]")) {
    details.open = false;
  }
}
