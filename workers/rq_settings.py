"""Settings for `rq worker -c workers.rq_settings`: the Redis URL and the queues."""

from webapp.jobs import QUEUES as _QUEUES
from webapp.services import ensure_configured

REDIS_URL = ensure_configured().redis_url
QUEUES = list(_QUEUES)
