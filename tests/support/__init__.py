"""Real components for the test suite, packaged as pytest plugins.

The design asks for real parts wherever this machine can run them: Debian's Alertmanager,
an OpenSSH server, an SMTP server, Chromium, and loopback HTTP servers standing in for the
third-party APIs that cannot run here. Each module is a pytest plugin; the root conftest lists
them in ``pytest_plugins``. Everything binds to 127.0.0.1 on a free port.
"""
