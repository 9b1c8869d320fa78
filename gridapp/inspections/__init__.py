"""Inspections (检查), campaigns and rectification notices (整改通知书). Rules: rules.py."""
