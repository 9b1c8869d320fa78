"""Party organisation in the grid (党建引领网格): groups, members, workers, stationed units, ratings. Rules:
rules.py."""
