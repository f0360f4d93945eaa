"""Schemes and demo organisations as data files, with their loaders."""
