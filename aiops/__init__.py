"""The shared kernel: base models, the tenancy chokepoint, events, encryption, HTTP, API bases.

It imports no app. Apps plug into it through registries (access loader, event subscribers,
portal panels, demo seeders).
"""
