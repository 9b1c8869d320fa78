"""The places registry (场所/单位) with its types and checklists. Rules: rules.py."""
