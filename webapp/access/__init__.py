"""The rules of access (SPEC §4), in one place.

`events` turns checkout events and seller decisions into order state; `planner` turns order
state into outbox Actions; `grants` answers what Rolegate granted and who still needs it;
`dispatch` hands work to the queues after the transaction commits. Views, the webhook
receiver and the jobs call these functions and nothing else decides access.
"""
