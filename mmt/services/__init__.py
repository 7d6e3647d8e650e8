"""Use cases between the HTTP layer and storage: uploads, datasets, thresholds, summary."""
