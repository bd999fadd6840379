# the webhooks tests' local HTTP receiver, for the return.* deliveries
from tests.webhooks.conftest import _local_http, receiver  # noqa: F401 (pytest fixtures)
