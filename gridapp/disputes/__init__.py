"""Disputes (矛盾纠纷排查化解): register, route by difficulty, mediate, refer, follow up. Rules: rules.py."""
