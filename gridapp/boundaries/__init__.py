"""Administrative areas and grids: the location rule, imports, grid editing, export. Rules: rules.py."""
