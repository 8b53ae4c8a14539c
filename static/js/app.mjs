// Starts the NHS.UK frontend components (header menu, error summary focus, character count,
// radios and checkboxes, buttons, ...) on every page. Loaded by templates/base.html as a module,
// so browsers without ES module support get the no-JavaScript experience, which works on its own.
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
