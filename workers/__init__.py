"""RQ job functions, queues and the scheduler: everything that talks to Discord off-request."""
