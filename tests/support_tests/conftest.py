"""Make the tests/support plugins' fixtures available to their self-tests.

pytest only honours ``pytest_plugins`` in the root conftest, which belongs to the Django
suite; importing the fixtures here keeps these tests runnable without Django or a database:
``pytest tests/support_tests -p no:django --confcutdir=tests/support_tests`` (confcutdir
skips the root conftest, which imports Django models). In a normal run the root conftest
also lists the plugins, and these imports simply shadow the same fixture functions.
"""

from tests.support.alertmanager import *  # noqa: F401,F403
from tests.support.browser import *  # noqa: F401,F403
from tests.support.http_stub import *  # noqa: F401,F403
from tests.support.smtp import *  # noqa: F401,F403
from tests.support.sshd import *  # noqa: F401,F403
