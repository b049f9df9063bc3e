"""Settings for `rq worker -c workers.rq_settings`: the Redis URL and the queues."""

from webapp.services import ensure_configured
from workers.queues import QUEUES

REDIS_URL = ensure_configured().redis_url
QUEUES = list(QUEUES)
