"""The rules of access (SPEC §4), in one place.

`events` turns checkout events and seller decisions into order state; `planner` turns order
state into outbox Actions; `grants` answers what Rolegate granted and what still needs it;
`perform` is what running one action means (the registry of action kinds, the member lock,
retries); `customers` links buyers' Discord accounts; `sweeper` rebuilds from the database
what Redis lost. Work reaches the queues through `webapp.jobs`, after the commit. Views, the
webhook receiver and the job bodies in `workers/` call these functions; nothing else
decides access.
"""
