// Marks the page as having JavaScript before it is drawn, so NHS.UK components show their scripted
// form without a flash. A file rather than an inline <script>: the Content-Security-Policy allows
// scripts from this site only (hubportal/middleware.py).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
