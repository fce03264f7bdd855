"""Helpers the tests share; fixtures live in the conftest.py files that use them.

instance   the demo instance handle, the CLI runner, the once-per-run template and its copies
reports    sealed reports, messages and files stored the way the apps store them
backoffice a back-office test client that keeps its CSRF token; staff sign-in
portal     portal test-client helpers: the report form, receipt codes, mailbox sign-in
browser    headless Chromium against real servers, and the tours of the pages
render     every page state of both apps through the Flask test client (for the checkers)
fuzz, fuzz_strategies   the fuzz tests' client, log watch and Hypothesis strategies
deploy     Caddy, taps and marked clients for the deployment tests
documents  Appendix 1-3 sample data and DOCX reading
needs      external programs: found, skipped locally, or a failure in CI
tools      the npm-delivered checkers (axe-core, vnu.jar)

Real servers on loopback (gunicorn, free ports, scratch databases) are bench/loopback.py, which
the benchmarks share: a benchmark must not import the test suite.
"""
