"""Importers: CSV, Parquet and JSON Lines into the operational and event stores, all-or-nothing."""
