"""The contact centre: agents, routing jobs, call records, metrics, the screen pop, the
live board."""
