"""Analysis of finished runs: metrics, statistics and virtual cohorts."""
