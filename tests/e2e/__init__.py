"""Browser tests (Playwright + Debian Chromium); a package so its module names do not clash with tests/."""
