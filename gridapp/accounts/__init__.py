"""Accounts, sessions and tokens, personal information (PIPL) and the security log. Rules: rules.py."""
