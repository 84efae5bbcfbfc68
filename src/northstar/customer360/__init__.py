"""Customer 360: one account's whole profile and timeline, assembled from every domain."""
