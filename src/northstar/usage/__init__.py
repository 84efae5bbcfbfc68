"""Product usage: the columnar event store and usage analytics."""
