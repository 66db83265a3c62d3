"""Reusable test machinery: factory discovery, tenant-isolation and role checks for every app."""
