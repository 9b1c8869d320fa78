"""Coverage of the grids by workers and party groups, the coverage check and the city-scale map tiles.
Rules: rules.py."""
