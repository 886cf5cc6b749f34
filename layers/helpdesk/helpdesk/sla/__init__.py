"""SLA clocks and due work: targets, plans, the due-work engine, its performers and the sweeper."""
