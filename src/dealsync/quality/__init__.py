"""The quality layer: pure functions over canonical deals (duplicates, rules, health scores, metrics)."""
