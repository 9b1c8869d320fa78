"""Incidents (事件) and their closed loop (事件闭环). Rules: rules.py; the case kind: workflow.py; reporting:
reports.py."""
