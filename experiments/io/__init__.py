"""Files: the results store, sweep bookkeeping and discovery of finished runs."""
