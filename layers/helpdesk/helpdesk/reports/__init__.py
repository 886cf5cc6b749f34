"""Reports and review packs: periods, per-ticket facts, compliance figures, KPIs against the policy's goals,
the monthly, quarterly and annual packs with their trends, their documents, and the scheduled runs."""
